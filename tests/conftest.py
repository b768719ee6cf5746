"""Fixtures: the app on a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
a controllable clock, clients for participants and organisers, small factories."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from time import time as _wall_time
from datetime import datetime, timedelta

# Uploads and generated files of the test run go to a directory of their own, not the
# checkout's instance/ (set before the app module reads it).
os.environ["SAFEQUIZ_INSTANCE"] = tempfile.mkdtemp(prefix="safequiz-tests-")
atexit.register(shutil.rmtree, os.environ["SAFEQUIZ_INSTANCE"], True)

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete, select, text

from app import create_app
from quiz.i18n import compile_catalogues
from question_bank.loader import load_bank, read_bank
from quiz.clock import FrozenClock
from quiz.config import TestingConfig, database_url
from quiz.extensions import db, limiter
from quiz.models import Campaign, Category, Contest, Enterprise, Question, User

BANK_TABLES = {"question", "category"}
compile_catalogues(Path(__file__).resolve().parent.parent)  # English pages need fresh catalogues


def refused_test_database(url: str | None) -> str | None:
    """Why the suite refuses ``TEST_DATABASE_URL`` (it drops that database's schema), or None.
    Only a database whose name contains "test" is used."""
    if not url:
        return None
    from sqlalchemy.engine import make_url

    try:
        name = make_url(database_url(url)).database or ""
    except Exception:  # noqa: BLE001 - any unreadable URL is refused, with the reason
        return f"TEST_DATABASE_URL 无法解析：{url!r}"
    if "test" not in name.lower():
        return (f"TEST_DATABASE_URL 指向数据库 {name!r}：测试会删除它的全部数据，只允许名称含 \"test\" 的数据库 "
                f"(the suite drops the schema of the database it names; its name must contain 'test').")
    return None


def pytest_configure(config):
    refusal = refused_test_database(os.environ.get("TEST_DATABASE_URL"))
    if refusal:
        raise pytest.UsageError(refusal)

START = datetime(2026, 6, 16, 1, 0, 0)  # 09:00 in Beijing on 6·16 咨询日, as naive UTC


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_uri):
    """The schema, built once by the migrations themselves (so they are tested too)."""
    app = create_app(_config(database_uri, FrozenClock(START)))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        files, problems = read_bank()
        assert not problems, problems
        db.session.remove()
        db.engine.dispose()
    return files


class RequestClient(FlaskClient):
    """Each request in an app context of its own, as in production.

    Tests hold an app context to use ``db.session``; without this, requests would
    share its ``g`` (and its CSRF token) and its database session. After each
    request the test's session is expired, so it reads what the request stored.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


def _config(uri: str, clock: FrozenClock) -> TestingConfig:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = uri
    config.CLOCK = clock
    return config


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def app(database_uri, _schema, clock):
    app = create_app(_config(database_uri, clock))
    app.test_client_class = RequestClient
    with app.app_context():
        limiter.reset()  # every test starts with no request counted against a limit
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in BANK_TABLES:
                db.session.execute(delete(table))
        # The built-in bank stays loaded between tests (fast); what a test added or changed goes.
        db.session.execute(delete(Question).where((Question.source != "builtin") | (Question.version > 1)))
        # A test that renamed a built-in question's 编号 leaves a row the bank no longer names.
        builtin_uids = [q.uid for f in _schema for q in f.questions]
        db.session.execute(delete(Question).where(Question.uid.not_in(builtin_uids)))
        db.session.execute(Question.__table__.update().values(current=True, active=True))
        db.session.execute(delete(Category).where(~Category.id.in_(select(Question.category_id))))
        load_bank(db.session, _schema)  # restores any question a test changed
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class LimitClock:
    """The limiter's own clock (its memory storage's time): stands still, so that requests of
    a slow test fall into one window, and is moved on instead of sleeping."""

    def __init__(self):
        self.now = _wall_time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limit_clock(app, monkeypatch) -> LimitClock:
    import limits.storage.memory

    found = LimitClock()
    monkeypatch.setattr(limits.storage.memory, "time", found)
    return found


def csrf_token(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert match, "no CSRF token on " + path
    return match.group(1)


# ---- factories ---------------------------------------------------------------


def make_campaign(name="2026年“安全生产月”", theme="人人讲安全、个个会应急") -> Campaign:
    campaign = Campaign(name=name, theme=theme, year=2026)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_enterprise(name: str, code: str, headcount: int = 10, **kw) -> Enterprise:
    enterprise = Enterprise(name=name, code=code, headcount=headcount, **kw)
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def make_contest(
    code="TEST01",
    question_count=5,
    minutes=10,
    categories=None,
    enterprises=None,
    opens_in=timedelta(hours=-1),
    lasts=timedelta(days=1),
    now=START,
    **kw,
) -> Contest:
    campaign = db.session.query(Campaign).first() or make_campaign()
    cats = categories or list(db.session.query(Category).order_by(Category.position))
    contest = Contest(
        campaign=campaign,
        code=code,
        title=kw.pop("title", "测试竞赛"),
        opens_at=now + opens_in,
        closes_at=now + opens_in + lasts,
        question_count=question_count,
        time_limit_seconds=minutes * 60,
        points_single=kw.get("points", 10),
        points_multi=kw.get("points", 10),
        points_judge=kw.pop("points", 10),
        open_to_all=enterprises is None,
        created_at=now,
        categories=cats,
        enterprises=enterprises or [],
        max_attempts=kw.pop("max_attempts", 1),
        **kw,  # any other contest rule: pass_score, per_question_seconds, draw_rules, …
    )
    db.session.add(contest)
    db.session.commit()
    return contest


def make_organiser(username="organiser", password="correct horse 1") -> User:
    user = User(username=username, role="organiser", created_at=START)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def enterprises(app):
    """Three enterprises as in the demo campaign, with headcounts."""
    found = [
        make_enterprise("示范化工有限公司", "HG01", 4, region="滨海街道", industry="危险化学品"),
        make_enterprise("安达物流股份有限公司", "WL02", 5, region="开发区", industry="仓储物流"),
        make_enterprise("城建第三工程有限公司", "JS03", 0, region="新城镇", industry="城市建设"),
    ]
    db.session.commit()
    return found


@pytest.fixture
def contest(app, enterprises) -> Contest:
    return make_contest()


@pytest.fixture
def organiser_client(app):
    make_organiser()
    client = app.test_client()
    token = csrf_token(client, "/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": "organiser", "password": "correct horse 1", "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


# ---- the participant's side, as a phone does it ------------------------------

HX = {"HX-Request": "true"}


class Phone:
    """A participant's phone: its own cookie jar, the CSRF header htmx sends."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def headers(self, htmx=True):
        if self.token is None:
            self.token = csrf_token(self.client)
        return {**(HX if htmx else {}), "X-CSRFToken": self.token}

    def get(self, path, htmx=False, headers=None, **kw):
        return self.client.get(path, headers={**(HX if htmx else {}), **(headers or {})}, **kw)

    def post(self, path, data=None, htmx=True, **kw):
        return self.client.post(path, data=data or {}, headers=self.headers(htmx), **kw)

    def sign_up(self, contest_code, name="张三", identifier="13800138000", enterprise=None,
                department="安全环保部", poster=None):
        path = f"/j/{contest_code}" + (f"/{poster}" if poster else "")
        data = {"name": name, "identifier": identifier, "department": department}
        if enterprise is not None:
            data["enterprise"] = str(enterprise)
        return self.post(path, data)

    def attempt_id(self, response) -> int:
        location = response.headers.get("HX-Redirect") or response.headers.get("Location")
        match = re.search(r"/a/(\d+)", location or "")
        assert match, (response.status_code, response.get_data(as_text=True)[:500])
        return int(match.group(1))


@pytest.fixture
def phone(app):
    return Phone(app)


@pytest.fixture
def new_phone(app):
    return lambda: Phone(app)


def question_of(attempt_id: int, position: int):
    from quiz.models import AttemptQuestion

    return (
        db.session.query(AttemptQuestion)
        .filter_by(attempt_id=attempt_id, position=position)
        .one()
    )


def shown_letters_for(item, original: str) -> list[str]:
    """The letters a participant must tap to give the original-letter answer."""
    from quiz.contests.attempts import to_shown

    return list(to_shown(item, original))


def staff_client(app, username: str, role: str = "enterprise_admin", enterprise=None,
                 password: str = "correct horse 1"):
    """A new account of this role (an enterprise admin of ``enterprise``), logged in."""
    user = User(username=username, role=role, enterprise_id=enterprise.id if enterprise else None,
                created_at=START)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    response = client.post("/admin/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(client, "/admin/login"),
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def run_at_once(app, jobs) -> list:
    """Each job in a thread with its own app context (own session, own connection).

    A job is ``job(ready)``: it loads what its request would load, then calls ``ready()``,
    which returns once every job got there, so they all act at the same moment.
    Returns what each job returned or raised.
    """
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def ready():
        # Give the connection back while waiting: more threads than the pool has connections.
        db.session.commit()
        barrier.wait(timeout=60)

    def work(i, job):
        try:
            with app.app_context():
                results[i] = job(ready)
        except BaseException as error:  # reported by the test, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results
