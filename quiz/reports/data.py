"""The organiser's report figures besides the statistics table: date ranges, daily
participation and the score distribution. Each is ONE SQL aggregate returning columns,
wrapped in :func:`results_cache.cached` (invalidated when an attempt is submitted).

Scope, as in :mod:`quiz.league.tables`: the submitted attempts of the campaign's contests,
``since <= submitted_at < until`` (naive UTC), optionally only one enterprise's participants;
voided attempts and participants left out.

Daily participation
    Per local calendar day (the configured zone, Asia/Shanghai by default) of
    ``submitted_at``: ``people`` = distinct participants who submitted an attempt that day,
    ``attempts`` = attempts submitted that day (every attempt, not only counted ones). An
    attempt submitted at 23:30 Beijing time on 6月16日 (15:30 UTC) belongs to 6月16日. The
    day is computed in SQL from the zone's UTC offsets over the period (one offset for
    Beijing; zones with daylight saving get a CASE over their transitions), so a person
    counts once per day however many attempts they make. The days listed run from the first
    day with an attempt to the last one (days between them without attempts as zeros): a
    campaign whose contests stay open for two months but were taken on three days is a chart
    of three days, not of sixty bars mostly empty. No attempt: no days.
Score distribution
    Counted attempts (one per participant and contest, chosen among the attempts in the
    period as the league tables choose them: :func:`quiz.reports.item_stats.counted_attempts`) by
    百分制 score = 100 × score ÷ max_score, in ten
    bands 0–9, 10–19, …, 80–89 and 90–100 (a full 100 is in the last band). Attempts with a
    max_score of 0 are left out.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Date, cast, func, literal, select, case

from .. import clock, results_cache
from . import item_stats
from ..contests import voiding
from ..errors import QuizError
from ..extensions import db
from ..models import Attempt, Contest, Participant

BAND_LABELS = ["0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89",
               "90–100"]
MAX_DAYS = 400  # a longer span lists only the days that have attempts
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- date ranges ----------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Local calendar days, both ends included; None = open on that side."""

    first: date | None = None
    last: date | None = None

    @property
    def since(self) -> datetime | None:
        """Naive UTC start (inclusive)."""
        return None if self.first is None else clock.from_local(datetime.combine(self.first, time()))

    @property
    def until(self) -> datetime | None:
        """Naive UTC end (exclusive): the start of the day after ``last``."""
        if self.last is None:
            return None
        return clock.from_local(datetime.combine(self.last + timedelta(days=1), time()))

    @property
    def is_whole(self) -> bool:
        return self.first is None and self.last is None

    def label(self, window: tuple[date, date] | None = None) -> str:
        first = self.first or (window[0] if window else None)
        last = self.last or (window[1] if window else None)
        if first is None and last is None:
            return _("全部时间")
        return _("%(first)s 至 %(last)s", first=first.isoformat() if first else _("开始"),
                 last=last.isoformat() if last else _("现在"))

    def query_args(self) -> dict[str, str]:
        args = {}
        if self.first:
            args["since"] = self.first.isoformat()
        if self.last:
            args["until"] = self.last.isoformat()
        return args


def _parse_day(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    if not DATE_RE.match(text):
        raise QuizError(_("%(what)s格式应为 年-月-日，例如 2026-06-16。", what=what))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise QuizError(_("%(what)s“%(text)s”不是有效的日期。", what=what, text=text)) from None
    if not 2000 <= day.year <= 2100:  # also keeps "the day after" inside what datetime can hold
        raise QuizError(_("%(what)s“%(text)s”不在 2000 到 2100 年之间。", what=what, text=text))
    return day


def parse_range(since: str | None, until: str | None) -> DateRange:
    """The range typed in the report form (YYYY-MM-DD local dates), or a QuizError (400)."""
    first = _parse_day(since, _("开始日期"))
    last = _parse_day(until, _("结束日期"))
    if first and last and first > last:
        raise QuizError(_("开始日期不能晚于结束日期。"))
    return DateRange(first, last)


def campaign_window(campaign_id: int) -> tuple[date, date] | None:
    """The local days from the first contest's opening to the last one's closing."""
    opens, closes = db.session.execute(
        select(func.min(Contest.opens_at), func.max(Contest.closes_at)).where(Contest.campaign_id == campaign_id)
    ).one()
    if opens is None:
        return None
    return clock.to_local(opens).date(), clock.to_local(closes - timedelta(microseconds=1)).date()


# ---- local days in SQL ----------------------------------------------------------------


def _offset_minutes(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).astimezone(clock.zone()).utcoffset().total_seconds() // 60)


def offset_segments(start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset (minutes) over [start, end] as [(from_utc, offset)], the first
    from None. Transitions are found day by day, then to the second by bisection."""
    segments: list[tuple[datetime | None, int]] = [(None, _offset_minutes(start))]
    moment = start
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        if _offset_minutes(following) != _offset_minutes(moment):
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset_minutes(middle) == _offset_minutes(low):
                    low = middle
                else:
                    high = middle
            segments.append((high, _offset_minutes(high)))
        moment = following
    return segments


def local_day(column, segments: list[tuple[datetime | None, int]]):
    """SQL for the local calendar day of a naive-UTC column (a 'YYYY-MM-DD' text on SQLite,
    a DATE on PostgreSQL; :func:`_as_date` reads both)."""
    dialect = db.session.get_bind().dialect.name

    def offset_case(value):
        if len(segments) == 1:
            return value(segments[0][1])
        whens = [(column < start, value(offset)) for (start, _), (_, offset) in
                 zip(segments[1:], segments[:-1])]
        return case(*whens, else_=value(segments[-1][1]))

    if dialect == "sqlite":
        return func.date(column, offset_case(lambda minutes: literal(f"{minutes:+d} minutes")))
    return cast(column + func.make_interval(0, 0, 0, 0, 0, offset_case(literal)), Date)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---- the aggregates -------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: date
    people: int
    attempts: int


def _scope_conditions(campaign_id: int, enterprise_id: int | None, since, until) -> list:
    conditions = [Contest.campaign_id == campaign_id, Attempt.submitted_at.is_not(None), *voiding.counts()]
    if enterprise_id is not None:
        conditions.append(Participant.enterprise_id == enterprise_id)
    if since is not None:
        conditions.append(Attempt.submitted_at >= since)
    if until is not None:
        conditions.append(Attempt.submitted_at < until)
    return conditions


def daily_participation(campaign_id: int, *, enterprise_id: int | None = None,
                        since: datetime | None = None, until: datetime | None = None) -> list[DayCount]:
    """People and attempts per local day (see the module docstring), in day order."""
    params = (campaign_id, enterprise_id, since, until, current_app.config["TIMEZONE"])

    def compute() -> list[DayCount]:
        bounds = db.session.execute(
            select(func.min(Contest.opens_at), func.max(Contest.closes_at)).where(Contest.campaign_id == campaign_id)
        ).one()
        start = since or bounds[0]
        end = until or bounds[1]
        if start is None or end is None:
            return []
        # A little margin either side: an attempt is submitted by its contest's closing.
        segments = offset_segments(start - timedelta(days=1), end + timedelta(days=1))
        # The day is computed in a subquery and grouped by name: PostgreSQL cannot tell that
        # two copies of an expression with bound parameters are the same expression.
        inner = (
            select(local_day(Attempt.submitted_at, segments).label("day"),
                   Attempt.participant_id, Attempt.id)
            .join(Contest, Contest.id == Attempt.contest_id)
        )
        if enterprise_id is not None:
            inner = inner.join(Participant, Participant.id == Attempt.participant_id)
        inner = inner.where(*_scope_conditions(campaign_id, enterprise_id, since, until)).subquery("dated")
        rows = db.session.execute(
            select(inner.c.day, func.count(func.distinct(inner.c.participant_id)), func.count(inner.c.id))
            .group_by(inner.c.day)
        ).all()
        found = {_as_date(d): (int(people), int(attempts)) for d, people, attempts in rows}
        if not found:
            return []
        first, last = min(found), max(found)
        if (last - first).days + 1 > MAX_DAYS:
            days = sorted(found)
        else:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [DayCount(d, *found.get(d, (0, 0))) for d in days]

    return results_cache.cached("reports.daily", params, compute)


def band_of(score: float, max_score: float) -> int | None:
    """0..9 for a 百分制 score (100 × score ÷ max_score); 100 is in band 9; None without a max."""
    if not max_score or max_score <= 0:
        return None
    percent = float(score) * 100.0 / float(max_score)
    return max(0, min(9, math.floor(percent / 10 + 1e-9)))


def score_distribution(campaign_id: int, *, enterprise_id: int | None = None,
                       since: datetime | None = None, until: datetime | None = None) -> list[int]:
    """Counted attempts per 10-point band of the 百分制 score (ten counts, 0–9 … 90–100)."""
    params = (campaign_id, enterprise_id, since, until)

    def compute() -> list[int]:
        counted = item_stats.counted_attempts(campaign_id, enterprise_id, since, until, with_totals=False)
        rows = db.session.execute(
            select(counted.c.score, counted.c.max_score, func.count())
            .group_by(counted.c.score, counted.c.max_score)
        ).all()
        bands = [0] * 10
        for score, max_score, count in rows:
            band = band_of(score, max_score)
            if band is not None:
                bands[band] += int(count)
        return bands

    return results_cache.cached("reports.scores", params, compute)
