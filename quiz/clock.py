"""The server's clock. All deadlines are decided here, never in the browser.

Times are naive UTC datetimes in the database (SQLite has no time zones);
``local()`` converts for display. Tests swap in a ``FrozenClock`` so that
deadlines can be crossed without sleeping.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_babel import gettext

from .i18n import N_


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(tzinfo=None)


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None):
        self.current = start or SystemClock().now().replace(microsecond=0)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float = 0, **kwargs) -> datetime:
        self.current += timedelta(seconds=seconds, **kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


def now() -> datetime:
    return current_app.extensions["safequiz.clock"].now()


RECEIVED_AT = "safequiz.received_at"


class ReceivedAt:
    """WSGI middleware, the outermost layer: notes the clock's time in the environ before
    anything else of the request runs (the session, the user, the database).

    Under load a request can wait in the worker for its turn and then for the database; a
    deadline decided by ``now()`` at the time of the check would refuse an answer that left the
    phone in time only because the server got to it late. ``received()`` is the moment the
    app first saw the request."""

    def __init__(self, app, flask_app):
        self.app = app
        self.clock = flask_app.extensions["safequiz.clock"]

    def __call__(self, environ, start_response):
        environ[RECEIVED_AT] = self.clock.now()
        return self.app(environ, start_response)


def received() -> datetime:
    """When the current request reached the app (``now()`` outside the middleware)."""
    moment = request.environ.get(RECEIVED_AT) if has_request_context() else None
    return moment if moment is not None else now()


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


# Zones as people in China name them (message ids, translated when shown); any other zone is
# named by its offset from UTC.
ZONE_NAMES = {"Asia/Shanghai": N_("北京时间"), "Asia/Chongqing": N_("北京时间"), "Asia/Harbin": N_("北京时间"),
              "PRC": N_("北京时间"), "Asia/Hong_Kong": N_("香港时间"), "Asia/Macau": N_("澳门时间"),
              "Asia/Taipei": N_("台北时间")}


def zone_label() -> str:
    """The configured zone in words for the screen, in the page's language: 北京时间 (Beijing
    time), or e.g. 当地时间（UTC+09:00）."""
    name = current_app.config["TIMEZONE"]
    if name in ZONE_NAMES:
        return gettext(ZONE_NAMES[name])
    offset = datetime.now(timezone.utc).astimezone(zone()).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return gettext("当地时间（UTC%(offset)s）", offset=f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(zone())


def from_local(moment: datetime) -> datetime:
    """A naive local (e.g. Asia/Shanghai) time from a form, as naive UTC."""
    return moment.replace(tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)
