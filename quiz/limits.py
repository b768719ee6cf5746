"""Limits against automation: which POSTs count, and against what (settings RATELIMIT_* in
quiz.config, read on each request so that a deployment or a test can change them).

Counted by Flask-Limiter's strategy and storage (``limiter.limiter``: Redis when REDIS_URL is
set, memory otherwise), but checked here in the view's own decorator rather than through
``limiter.limit``: its per-request resolution of blueprints, exemptions and scopes added about
130 µs to every answer, where this check costs about 18 µs. Pages (GET) are never counted.
"""
from __future__ import annotations

import math
import time
from functools import cache, wraps

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse_many

from .errors import QuizError
from .extensions import limiter
from .i18n import N_

# Message ids ({when}: retry_phrase), translated when raised.
TOO_MANY = N_("操作太频繁，请 {when}后再试。")
LOGIN_LOCKED = N_("登录尝试过多，请 {when}后再试。")


def retry_phrase(wait: int) -> str:
    if wait < 120:
        return _("%(n)s 秒", n=wait)
    return _("%(n)s 分钟", n=math.ceil(wait / 60))


class OverLimit(QuizError):
    """Over a limit: quiz.web answers 429 with Retry-After and this message."""

    def __init__(self, template: str, wait: int):
        super().__init__(_(template).format(when=retry_phrase(wait)), status=429)
        self.wait = wait


@cache
def _items(setting_value: str):
    """"10 per second; 600 per minute" → its limits, parsed once per value."""
    return tuple(parse_many(setting_value))


def limited(setting: str, key, *, counts=None, message: str = TOO_MANY):
    """Decorator: each POST to the view counts against the limits in ``setting``, per ``key()``.

    ``counts(response)``: count only the responses it accepts (checked before the view, counted
    after it), e.g. failed logins only.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method != "POST" or not limiter.enabled:
                return view(*args, **kwargs)
            strategy = limiter.limiter
            keys = ("safequiz", setting, key())
            items = _items(current_app.config[setting])
            check = strategy.test if counts else strategy.hit
            for item in items:
                if not check(item, *keys):
                    reset = strategy.get_window_stats(item, *keys).reset_time
                    raise OverLimit(message, max(1, math.ceil(reset - time.time())))
            if counts is None:
                return view(*args, **kwargs)
            response = current_app.make_response(view(*args, **kwargs))
            if counts(response):
                for item in items:
                    strategy.hit(item, *keys)
            return response

        return wrapper

    return decorate


def login_name(value: str | None) -> str:
    """The user name as a login counts it: "Admin " and "admin" share one count."""
    return (value or "").strip().casefold()[:64]


def _contest_key() -> str:
    return str(request.view_args.get("code", "")).upper()


def _attempt_key() -> str:
    return str(request.view_args.get("attempt_id"))


def _username_key() -> str:
    return login_name(request.form.get("username"))


def _failed_login(response) -> bool:
    # Only wrong passwords count: an organiser who logs in often is never locked out.
    return response.status_code == 401


signup_per_address = limited("RATELIMIT_SIGNUP_PER_ADDRESS", get_remote_address)
signup_per_contest = limited("RATELIMIT_SIGNUP_PER_CONTEST", _contest_key)
answer_per_attempt = limited("RATELIMIT_ANSWER_PER_ATTEMPT", _attempt_key)
live_join_per_address = limited("RATELIMIT_LIVE_JOIN_PER_ADDRESS", get_remote_address)
login_per_address = limited("RATELIMIT_LOGIN_PER_ADDRESS", get_remote_address, counts=_failed_login,
                            message=LOGIN_LOCKED)
login_per_user = limited("RATELIMIT_LOGIN_PER_USER", _username_key, counts=_failed_login,
                         message=LOGIN_LOCKED)
