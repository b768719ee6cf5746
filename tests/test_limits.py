"""Limits against automation (finding 2): sign-ups per address and per contest, answers per
attempt per second, live joins and practice sign-ups per address. Over a limit: a 429 page in
Chinese saying when to retry; nothing is stored. Pages (GET) are never counted. The window is
passed with the limiter's own clock (conftest.limit_clock), never by sleeping."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Attempt, LivePlayer, Participant

from .conftest import HX, Phone, csrf_token, make_contest, question_of, shown_letters_for
from .test_live_pages import create_round

TOO_MANY = "操作太频繁"


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def sign_up(app, contest, i: int, enterprise, address: str | None = None):
    phone = Phone(app)
    if address:
        phone.client.environ_base["REMOTE_ADDR"] = address
    return phone, phone.sign_up(contest.code, name=f"职工{i:03d}", identifier=f"1380000{i:04d}",
                                enterprise=enterprise.id)


def test_sign_ups_per_address_are_limited_and_the_window_passes(app, contest, enterprises, limit_clock):
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = "3 per minute"
    for i in range(3):
        assert sign_up(app, contest, i, enterprises[0])[1].status_code == 204
    _, refused = sign_up(app, contest, 3, enterprises[0])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and f"{TOO_MANY}，请 " in html and "秒后再试" in html
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert count(Participant) == 3 and count(Attempt) == 3
    # Another address is not held up by this one.
    assert sign_up(app, contest, 4, enterprises[0], address="10.1.1.1")[1].status_code == 204
    limit_clock.advance(61)
    assert sign_up(app, contest, 5, enterprises[0])[1].status_code == 204
    assert count(Attempt) == 5


@pytest.mark.parametrize("setting,tries,accepted", [
    ("10 per minute", 30, 10),  # thirty invented phone numbers gave thirty attempts
    ("20 per second; 600 per minute", 200, 20),  # 200 sign-ups a second were accepted
])
def test_one_client_inventing_numbers_is_limited(app, enterprises, limit_clock, setting, tries, accepted):
    """Finding 2, on a one-attempt contest. The limiter's clock stands still: every request
    falls into one window however long the test takes."""
    contest = make_contest(code="ONCE01", max_attempts=1)
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = setting
    phone = Phone(app)
    statuses = [phone.sign_up(contest.code, name="好奇", identifier=f"139{i:08d}",
                              enterprise=enterprises[0].id).status_code for i in range(tries)]
    assert statuses == [204] * accepted + [429] * (tries - accepted)
    assert count(Attempt) == accepted


def test_sign_ups_per_contest_are_limited_across_addresses(app, contest, enterprises):
    app.config["RATELIMIT_SIGNUP_PER_CONTEST"] = "2 per minute"
    for i in range(2):
        assert sign_up(app, contest, i, enterprises[0], address=f"10.0.0.{i + 1}")[1].status_code == 204
    _, refused = sign_up(app, contest, 2, enterprises[0], address="10.0.0.3")
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    # The code typed in lower case is the same contest.
    phone = Phone(app)
    phone.client.environ_base["REMOTE_ADDR"] = "10.0.0.4"
    assert phone.sign_up(contest.code.lower(), identifier="13800009999",
                         enterprise=enterprises[0].id).status_code == 429
    # Another contest has its own count.
    other = make_contest(code="OTHER1")
    assert sign_up(app, other, 3, enterprises[0], address="10.0.0.5")[1].status_code == 204


def test_a_hall_behind_one_address_is_not_limited_by_the_defaults(app, contest, enterprises):
    """A factory on one Wi-Fi: 300 people sign up within a minute from one address."""
    statuses = [sign_up(app, contest, i, enterprises[i % 3])[1].status_code for i in range(300)]
    assert statuses == [204] * 300
    assert count(Attempt) == 300


def test_pages_are_never_counted(app, contest, enterprises):
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = "1 per minute"
    phone = Phone(app)
    for _ in range(10):
        assert phone.get(f"/j/{contest.code}").status_code == 200
    assert phone.sign_up(contest.code, enterprise=enterprises[0].id).status_code == 204


def test_an_htmx_refusal_goes_to_the_notice_line_and_a_plain_one_is_a_page(app, contest, enterprises):
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = "1 per minute"
    assert sign_up(app, contest, 0, enterprises[0])[1].status_code == 204
    phone, refused = sign_up(app, contest, 1, enterprises[0])
    assert refused.status_code == 429
    # htmx swaps 4xx responses (base.html's responseHandling): into #notice, the form stays.
    assert refused.headers["HX-Retarget"] == "#notice"
    assert refused.headers["HX-Reswap"].startswith("innerHTML")
    html = refused.get_data(as_text=True)
    assert "<html" not in html and 'role="alert"' in html and TOO_MANY in html
    page = phone.post(f"/j/{contest.code}", {"name": "张三", "identifier": "13800000001",
                                             "enterprise": enterprises[0].id, "department": "x"}, htmx=False)
    text = page.get_data(as_text=True)
    assert page.status_code == 429 and "<html" in text and TOO_MANY in text and 'id="notice"' in text
    assert "HX-Retarget" not in page.headers


def test_answers_per_attempt_per_second(app, contest, enterprises, phone, limit_clock):
    from quiz.config import Config

    app.config["RATELIMIT_ANSWER_PER_ATTEMPT"] = Config.RATELIMIT_ANSWER_PER_ATTEMPT
    assert Config.RATELIMIT_ANSWER_PER_ATTEMPT == "10 per second"
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    letters = shown_letters_for(question_of(attempt_id, 1), question_of(attempt_id, 1).question.answer)
    for _ in range(10):  # the default: ten in one second, far more than a person taps
        response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": letters})
        assert response.status_code == 200
    refused = phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": ["A"]})
    assert refused.status_code == 429 and "操作太频繁，请 1 秒后再试" in refused.get_data(as_text=True)
    assert question_of(attempt_id, 2).chosen is None
    # Reading the quiz is not an answer; another attempt has its own count.
    assert phone.get(f"/a/{attempt_id}").status_code == 200
    other = Phone(app)
    other_id = other.attempt_id(other.sign_up(contest.code, identifier="13900000002", enterprise=enterprises[1].id))
    assert other.post(f"/a/{other_id}/answer", {"position": 1, "choice": ["A"]}).status_code in (200, 400)
    limit_clock.advance(1.01)
    assert phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": letters}).status_code == 200


def test_live_joins_per_address(app, organiser_client, enterprises, limit_clock):
    round_ = create_round(organiser_client)
    app.config["RATELIMIT_LIVE_JOIN_PER_ADDRESS"] = "2 per minute"

    def join(name, address="127.0.0.1", htmx=True):
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(phone, f"/live/{round_.code}")
        return phone.post(f"/live/{round_.code}", headers={**(HX if htmx else {}), "X-CSRFToken": token},
                          data={"name": name, "enterprise": enterprises[0].id, "department": "安全科"})

    assert join("甲").status_code == 204 and join("乙").status_code == 204
    refused = join("丙")
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    assert refused.headers["HX-Retarget"] == "#notice"
    assert join("丁", address="10.2.2.2").status_code == 204
    assert app.test_client().get(f"/live/{round_.code}").status_code == 200  # the page is not counted
    assert sorted(db.session.scalars(select(LivePlayer.name))) == sorted(["甲", "乙", "丁"])
    limit_clock.advance(61)
    assert join("丙").status_code == 204


def test_practice_sign_ups_per_address(app, enterprises):
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = "2 per minute"

    def practise(i):
        phone = Phone(app)
        return phone.post("/practice/", {"name": f"练习{i}", "identifier": f"1370000{i:04d}",
                                         "enterprise": enterprises[0].id, "department": "仓储部"}, htmx=False)

    assert [practise(i).status_code for i in range(3)] == [303, 303, 429]
    assert sorted(db.session.scalars(select(Participant.name))) == ["练习0", "练习1"]


@pytest.mark.parametrize("setting", [
    "RATELIMIT_SIGNUP_PER_ADDRESS", "RATELIMIT_SIGNUP_PER_CONTEST", "RATELIMIT_ANSWER_PER_ATTEMPT",
    "RATELIMIT_LIVE_JOIN_PER_ADDRESS", "RATELIMIT_LOGIN_PER_ADDRESS", "RATELIMIT_LOGIN_PER_USER"])
def test_every_limit_is_a_documented_setting(app, setting):
    from quiz.config import ROOT

    from limits import parse_many

    assert parse_many(app.config[setting])  # valid Flask-Limiter notation
    assert f"`{setting}`" in (ROOT / "README.md").read_text()


def test_behind_a_trusted_proxy_each_phone_has_its_own_address(database_uri, _schema, clock, contest, enterprises):
    """Production runs behind nginx: without TRUSTED_PROXY_HOPS every phone would share the
    proxy's address, and the per-address limits would hold up the whole district."""
    from app import create_app

    from .conftest import RequestClient, _config

    config = _config(database_uri, clock)
    config.TRUSTED_PROXY_HOPS = 1
    config.RATELIMIT_SIGNUP_PER_ADDRESS = "1 per minute"
    proxied = create_app(config)
    proxied.test_client_class = RequestClient

    def through_proxy(i: int, address: str):
        phone = Phone(proxied)
        phone.client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address)
        return phone.sign_up(contest.code, name=f"职工{i}", identifier=f"1380000{i:04d}",
                             enterprise=enterprises[0].id).status_code

    assert [through_proxy(0, "10.9.0.1"), through_proxy(1, "10.9.0.2"), through_proxy(2, "10.9.0.1")] == [
        204, 204, 429]


def test_a_limit_declared_with_flask_limiter_itself_still_holds(app):
    """quiz.limits checks its limits in the views; one declared with limiter.limit (which
    checks itself, without Flask-Limiter's per-request pass) gets the same Chinese page."""
    from quiz.extensions import csrf, limiter

    def ping():
        return "pong"

    view = limiter.limit("2 per minute", methods=["POST"])(csrf.exempt(ping))
    app.add_url_rule("/_ping", "ping", view, methods=["GET", "POST"])
    client = app.test_client()
    assert [client.post("/_ping").status_code for _ in range(3)] == [200, 200, 429]
    refused = client.post("/_ping", headers=HX)
    assert refused.status_code == 429 and "操作太频繁，请 " in refused.get_data(as_text=True)
    assert refused.headers["HX-Retarget"] == "#notice" and int(refused.headers["Retry-After"]) <= 60
    assert client.get("/_ping").status_code == 200
