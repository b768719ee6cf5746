"""Finding 5: organiser accounts. The remember-me cookie ends with logout, a new password and
disabling; cookies are HttpOnly, SameSite=Lax (Secure with SESSION_COOKIE_SECURE=1) and last
two weeks; login is limited per address and per user name; a failed login costs the same
whether the user name exists or not."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from quiz.auth import accounts
from quiz.config import ROOT
from quiz.extensions import db
from quiz.models import User

from .conftest import csrf_token, make_organiser, staff_client

PASSWORD = "correct horse 1"
PAGE = "/admin/contests/"


def log_in(client, username="organiser", password=PASSWORD):
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_token(client, "/admin/login")})


def remember_cookie(client) -> str:
    cookie = client.get_cookie("remember_token")
    assert cookie is not None, "login set no remember-me cookie"
    return cookie.value


def with_only(app, remember: str):
    """A browser that has nothing but this remember-me cookie (the session is long gone)."""
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    return thief


def logged_in(client) -> bool:
    response = client.get(PAGE)
    return response.status_code == 200


def test_a_remember_cookie_captured_before_logout_no_longer_logs_in(app, organiser_client):
    captured = remember_cookie(organiser_client)
    assert logged_in(with_only(app, captured))  # the cookie alone did log in
    token = csrf_token(organiser_client, PAGE)
    assert organiser_client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert not logged_in(with_only(app, captured))
    assert not logged_in(organiser_client)
    # Logging in again gives a new cookie that works; the old one stays dead.
    assert log_in(organiser_client).status_code == 303
    assert logged_in(with_only(app, remember_cookie(organiser_client)))
    assert not logged_in(with_only(app, captured))


def test_logout_on_one_computer_ends_the_session_on_another(app, organiser_client):
    office = app.test_client()
    assert log_in(office).status_code == 303 and logged_in(office)
    organiser_client.post("/admin/logout", data={"csrf_token": csrf_token(organiser_client, PAGE)})
    assert not logged_in(office)


def test_a_password_reset_by_an_organiser_ends_every_session_and_cookie(app, organiser_client, enterprises):
    admin = staff_client(app, "hg-admin", enterprise=enterprises[0])
    captured = remember_cookie(admin)
    user = db.session.scalar(select(User).where(User.username == "hg-admin"))
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": str(user.id), "password": "新的密码 12345",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 303
    assert not logged_in(admin) and not logged_in(with_only(app, captured))
    assert log_in(app.test_client(), "hg-admin", "新的密码 12345").status_code == 303
    # The organiser who reset it is still logged in.
    assert logged_in(organiser_client)


def test_an_organiser_resetting_their_own_password_stays_logged_in(app, organiser_client):
    me = db.session.scalar(select(User).where(User.username == "organiser"))
    elsewhere = app.test_client()
    assert log_in(elsewhere).status_code == 303
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": str(me.id), "password": "新的密码 12345",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 303
    assert logged_in(organiser_client) and not logged_in(elsewhere)


def test_a_password_change_replaces_the_login_token(app):
    user = make_organiser("changer")
    before = user.get_id()
    user.set_password("another password 9")
    db.session.commit()
    assert user.get_id() != before and user.get_id().startswith(f"{user.id}:")


def test_disabling_ends_the_remember_cookie_even_after_enabling_again(app, organiser_client, enterprises):
    admin = staff_client(app, "hg-leaver", enterprise=enterprises[0])
    captured = remember_cookie(admin)
    leaver = db.session.scalar(select(User).where(User.username == "hg-leaver"))
    token = csrf_token(organiser_client, "/admin/users")
    for action in ("disable", "enable"):
        organiser_client.post("/admin/users", data={"action": action, "user_id": leaver.id, "csrf_token": token})
    db.session.refresh(leaver)
    assert leaver.active is True
    assert not logged_in(with_only(app, captured))


def test_a_forged_or_old_style_id_does_not_log_in(app, organiser_client):
    me = db.session.scalar(select(User).where(User.username == "organiser"))
    loader = app.login_manager._user_callback
    with app.test_request_context():
        assert loader(me.get_id()).id == me.id
        for forged in (str(me.id), f"{me.id}:", f"{me.id}:{'0' * 32}", "x:y", ""):
            assert loader(forged) is None, forged


def test_session_and_remember_cookies_are_guarded(app, client):
    make_organiser()
    response = log_in(client)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
    assert "Secure" not in cookies["remember_token"]  # plain HTTP in tests
    remember = client.get_cookie("remember_token")
    lasts = remember.expires - response.date if remember.expires and response.date else None
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    assert lasts is None or timedelta(days=13) < lasts <= timedelta(days=14, minutes=1)


def test_cookies_are_secure_when_session_cookie_secure_is_set():
    code = ("from quiz.config import Config; c = Config(); "
            "print(c.SESSION_COOKIE_SECURE, c.REMEMBER_COOKIE_SECURE, c.REMEMBER_COOKIE_SAMESITE)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "SESSION_COOKIE_SECURE": "1"}).stdout.split()
    assert out == ["True", "True", "Lax"]


def test_secure_cookies_over_https(app, client):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    make_organiser()
    token = csrf_token(client, "https://localhost/admin/login")
    response = client.post("https://localhost/admin/login", headers={"Referer": "https://localhost/admin/login"},
                           data={"username": "organiser", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "Secure" in cookie, cookie


# ---- how long a failed login takes --------------------------------------------------


def test_a_failed_login_checks_one_password_hash_whether_or_not_the_name_exists(app, client, monkeypatch):
    make_organiser()
    checked = []
    real = accounts.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    for username in ("organiser", "nobody-here"):
        checked.clear()
        response = log_in(client, username, "wrong password")
        assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
        assert len(checked) == 1, username
    # The stand-in hash costs what a real one does: made by the same function, same method.
    real_hash = db.session.scalar(select(User.password_hash).where(User.username == "organiser"))
    assert checked[0].split("$")[0] == real_hash.split("$")[0]


def test_failed_logins_take_about_as_long_for_unknown_names(app, client):
    make_organiser()
    log_in(client, "nobody-here", "warm up")  # the stand-in hash is made once, on first use

    def took(username) -> float:
        started = time.perf_counter()
        assert log_in(client, username, "wrong password").status_code == 401
        return time.perf_counter() - started

    known = min(took("organiser") for _ in range(3))
    unknown = min(took("nobody-here") for _ in range(3))
    # Before: 97 ms against 2 ms. A generous ratio: only a missing hash check would break it.
    assert unknown > known / 4, (known, unknown)


# ---- login limits ----------------------------------------------------------------------


def test_fifty_wrong_passwords_lock_the_name_even_for_the_right_one(app, client):
    make_organiser()
    statuses = [log_in(client, "organiser", f"guess {i}").status_code for i in range(50)]
    limit = int(app.config["RATELIMIT_LOGIN_PER_USER"].split()[0])
    assert statuses[:limit] == [401] * limit and set(statuses[limit:]) == {429}
    locked = log_in(client)
    html = locked.get_data(as_text=True)
    assert locked.status_code == 429 and "登录尝试过多，请 15 分钟后再试" in html
    assert int(locked.headers["Retry-After"]) > 14 * 60
    assert not logged_in(client)
    # The same name typed differently is the same name.
    assert log_in(app.test_client(), " ORGANISER ").status_code == 429


def test_the_lock_ends_when_its_window_passes(app, client, limit_clock):
    make_organiser()
    app.config["RATELIMIT_LOGIN_PER_USER"] = "3 per 15 minutes"
    for i in range(3):
        assert log_in(client, "organiser", f"guess {i}").status_code == 401
    assert log_in(client).status_code == 429
    limit_clock.advance(14 * 60)
    assert log_in(client).status_code == 429
    limit_clock.advance(61)
    assert log_in(client).status_code == 303 and logged_in(client)


def test_right_logins_are_never_counted(app):
    make_organiser()
    app.config["RATELIMIT_LOGIN_PER_USER"] = "2 per 15 minutes"
    app.config["RATELIMIT_LOGIN_PER_ADDRESS"] = "2 per 15 minutes"
    for _ in range(4):
        assert log_in(app.test_client()).status_code == 303


def test_login_is_limited_per_address_across_names(app, client):
    make_organiser()
    app.config["RATELIMIT_LOGIN_PER_ADDRESS"] = "5 per 15 minutes"
    for i in range(5):
        assert log_in(client, f"name-{i}", "x").status_code == 401
    response = log_in(client, "organiser")
    assert response.status_code == 429 and "登录尝试过多" in response.get_data(as_text=True)
    # Another address is not held up by this one.
    other = app.test_client()
    token = csrf_token(other, "/admin/login")
    response = other.post("/admin/login", environ_overrides={"REMOTE_ADDR": "10.0.0.9"},
                          data={"username": "organiser", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


def test_the_login_page_itself_is_never_limited(app, client):
    app.config["RATELIMIT_LOGIN_PER_ADDRESS"] = "1 per 15 minutes"
    log_in(client, "nobody", "x")
    log_in(client, "nobody", "x")
    for _ in range(5):
        assert client.get("/admin/login").status_code == 200
