"""The server's clock. All deadlines are decided here, never in the browser.

Times are naive UTC datetimes in the database (SQLite has no time zones);
``local()`` converts for display. Tests swap in a ``FrozenClock`` so that
deadlines can be crossed without sleeping.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app


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


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(zone())


def from_local(moment: datetime) -> datetime:
    """A naive local (e.g. Asia/Shanghai) time from a form, as naive UTC."""
    return moment.replace(tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)
