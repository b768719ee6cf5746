"""Limits against automation: which POSTs count, and against what (settings RATELIMIT_* in
quiz.config, read on each request so that a deployment or a test can change them).

Only the routes decorated here pay for a limit; pages (GET) are never counted. Over a limit,
quiz.web answers with a 429 page saying when to try again.
"""
from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from .extensions import limiter

POST = ["POST"]


def _setting(name: str):
    return lambda: current_app.config[name]


def _contest_key() -> str:
    return "contest:" + str(request.view_args.get("code", "")).upper()


def _attempt_key() -> str:
    return f"attempt:{request.view_args.get('attempt_id')}"


def login_name(value: str | None) -> str:
    """The user name as a login counts it: "Admin " and "admin" share one count."""
    return (value or "").strip().casefold()[:64]


def _username_key() -> str:
    return "user:" + login_name(request.form.get("username"))


def _failed_login(response) -> bool:
    # Only wrong passwords count: an organiser who logs in often is never locked out.
    return response.status_code == 401


LOGIN_LOCKED = "登录尝试过多，请 {when}后再试。"

signup_per_address = limiter.limit(_setting("RATELIMIT_SIGNUP_PER_ADDRESS"),
                                   key_func=get_remote_address, methods=POST)
signup_per_contest = limiter.limit(_setting("RATELIMIT_SIGNUP_PER_CONTEST"),
                                   key_func=_contest_key, methods=POST)
answer_per_attempt = limiter.limit(_setting("RATELIMIT_ANSWER_PER_ATTEMPT"),
                                   key_func=_attempt_key, methods=POST)
live_join_per_address = limiter.limit(_setting("RATELIMIT_LIVE_JOIN_PER_ADDRESS"),
                                      key_func=get_remote_address, methods=POST)
login_per_address = limiter.limit(_setting("RATELIMIT_LOGIN_PER_ADDRESS"), key_func=get_remote_address,
                                  methods=POST, deduct_when=_failed_login, error_message=LOGIN_LOCKED)
login_per_user = limiter.limit(_setting("RATELIMIT_LOGIN_PER_USER"), key_func=_username_key,
                               methods=POST, deduct_when=_failed_login, error_message=LOGIN_LOCKED)
