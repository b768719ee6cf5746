"""Security headers (quiz/security_headers.py) on every GET route of the URL map, walked as an
organiser; pages free of what the Content-Security-Policy refuses (inline scripts, on…=
handlers, style="" attributes); Host checking and the refusal to serve without
PUBLIC_BASE_URL (quiz/hosts.py); ``flask setup --production``."""
from __future__ import annotations

import re
from itertools import product

import pytest
from sqlalchemy import func, select

from app import create_app
from quiz import security_headers
from quiz.config import Config, TestingConfig
from quiz.extensions import db
from quiz.hosts import MissingPublicBaseUrl, trusted_hosts
from quiz.models import Campaign, Contest, Enterprise, Question, User

from .conftest import START
from .test_access_walk import argument_values, build_world

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
# Event streams never end: the hook adds their headers like any other, the walk skips them.
STREAMS = re.compile(r"events$")


def fill(name: str, world: dict) -> list[str]:
    public = {"code": [world["contest"].code], "enterprise_code": [world["a"].code],
              "number": ["SQ0000000000"], "filename": ["app.css"],
              "category_id": [world["question"].category_id]}
    return [str(v) for v in public[name]] if name in public else argument_values(name, world)


def get_routes(app, world):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or STREAMS.search(rule.endpoint):
            continue
        names = sorted(rule.arguments)
        for combo in product(*[fill(n, world) for n in names]):
            try:
                yield rule.endpoint, rule.build(dict(zip(names, combo)), append_unknown=False)[1]
            except Exception:  # noqa: BLE001 - a converter refusing a value (png|svg vs pdf)
                continue


def test_every_get_route_carries_the_headers(app):
    world = build_world(app)
    organiser = world["organiser"]
    walked, problems = set(), []
    for endpoint, path in get_routes(app, world):
        response = organiser.get(path)
        walked.add(endpoint)
        headers = response.headers
        expected = dict(security_headers.HEADERS)
        if endpoint in security_headers.EMBEDDED_BY_SELF:  # the console's stage preview
            expected.update(security_headers.SELF_FRAMED)
        for name, value in expected.items():
            if name == "Content-Security-Policy" and response.mimetype == "image/svg+xml" and \
                    headers.get(name) == "default-src 'none'; style-src 'unsafe-inline'":
                continue  # a chart opened on its own (quiz/reports) keeps its stricter policy
            if headers.get(name) != value:
                problems.append(f"{path}: {name} = {headers.get(name)!r}")
        cache = headers.get("Cache-Control", "")
        if path.startswith(("/admin", "/a/")):
            if cache != "no-store":
                problems.append(f"{path}: Cache-Control {cache!r}, not no-store")
        elif endpoint == "static":
            if "no-store" in cache or "max-age=31536000" not in cache:
                problems.append(f"{path}: static Cache-Control {cache!r}")
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            for what, pattern in (("inline script", INLINE_SCRIPT), ("inline handler", INLINE_HANDLER),
                                  ("style attribute", STYLE_ATTRIBUTE)):
                if found := pattern.search(html):
                    problems.append(f"{path}: {what} {found.group(0)[:80]!r}")
        response.close()
    assert len(walked) > 60, sorted(walked)
    assert {"participant.result", "static", "dashboard.index", "index"} <= walked
    assert problems == []


def test_the_policy_names_exactly_what_the_pages_use():
    policy = dict(part.split(" ", 1) for part in security_headers.CONTENT_SECURITY_POLICY.split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"


def test_htmx_is_told_not_to_eval_nor_inject_styles(client):
    page = client.get("/join").get_data(as_text=True)
    assert '"allowEval":false' in page and '"includeIndicatorStyles":false' in page


# ---- Host header and PUBLIC_BASE_URL ---------------------------------------------------


def test_a_forged_host_is_refused_and_never_reaches_a_qr_code(app, organiser_client, contest):
    evil = "evil.example"
    refused = organiser_client.get(f"/admin/contests/{contest.id}/poster", headers={"Host": evil})
    assert refused.status_code == 400
    assert evil not in refused.get_data(as_text=True)
    assert organiser_client.get("/join", headers={"Host": f"{evil}:80"}).status_code == 400
    # The poster of the trusted host carries PUBLIC_BASE_URL, whatever host was asked.
    poster = organiser_client.get(f"/admin/contests/{contest.id}/poster").get_data(as_text=True)
    assert f"http://quiz.test/j/{contest.code}" in poster and evil not in poster
    assert organiser_client.get("/healthz", headers={"Host": "quiz.test"}).status_code == 200


def test_a_server_refuses_to_start_without_public_base_url(app, database_uri, monkeypatch):
    config = Config()
    config.PUBLIC_BASE_URL = ""
    config.SQLALCHEMY_DATABASE_URI = "sqlite://"
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(MissingPublicBaseUrl, match="PUBLIC_BASE_URL"):
        create_app(config)
    config.DEBUG = True  # the development server (make dev) serves this machine's host
    assert create_app(config).config["TRUSTED_HOSTS"] is None
    production = Config()
    production.PUBLIC_BASE_URL = "https://quiz.example.gov.cn"
    production.ALLOWED_HOSTS = "10.0.0.5, .quiz.example.gov.cn"
    production.SQLALCHEMY_DATABASE_URI = database_uri
    served = create_app(production)
    assert served.config["TRUSTED_HOSTS"] == ["quiz.example.gov.cn", "10.0.0.5", ".quiz.example.gov.cn"]
    assert served.test_client().get("/healthz", headers={"Host": "quiz.example.gov.cn"}).status_code == 200
    assert served.test_client().get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_hosts():
    assert trusted_hosts("", "") is None
    assert trusted_hosts("http://quiz.test:8000", "") == ["quiz.test"]
    with pytest.raises(MissingPublicBaseUrl):
        trusted_hosts("quiz.test", "")


# ---- flask setup --production ------------------------------------------------------------


def test_setup_production_makes_the_organiser_and_the_bank_only(app):
    db.session.execute(Question.__table__.delete().where(Question.source == "builtin"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["setup", "--production", "--username", "anjianju"])
    assert result.exit_code == 0, result.output
    assert "题库已载入" in result.output and "anjianju" in result.output and "示范" not in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Question.id))) > 100
    assert db.session.scalar(select(func.count(Contest.id))) == 0
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0
    organiser = db.session.scalar(select(User).where(User.username == "anjianju"))
    assert organiser.role == "organiser" and organiser.created_at is not None
    again = app.test_cli_runner().invoke(args=["setup", "--production"])
    assert again.exit_code == 0 and "密码" not in again.output  # the password is shown once


def test_testing_config_trusts_the_test_hosts():
    assert trusted_hosts(TestingConfig.PUBLIC_BASE_URL, TestingConfig.ALLOWED_HOSTS) == [
        "quiz.test", "localhost", "127.0.0.1"]
    assert START.year == 2026


def test_only_the_stage_may_be_framed_and_only_by_this_site(app, organiser_client):
    from quiz.live import rules as live_rules
    from quiz.models import Question, User
    from sqlalchemy import select
    from .conftest import START

    host = db.session.scalar(select(User.id).where(User.username == "organiser"))
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(2)))
    round_ = live_rules.create_round(host, "预览", questions, START)
    db.session.commit()
    stage = organiser_client.get(f"/admin/live/{round_.id}/stage")
    assert "frame-ancestors 'self'" in stage.headers["Content-Security-Policy"]
    assert stage.headers["X-Frame-Options"] == "SAMEORIGIN"
    console = organiser_client.get(f"/admin/live/{round_.id}")
    assert "frame-ancestors 'none'" in console.headers["Content-Security-Policy"]
    assert console.headers["X-Frame-Options"] == "DENY"
