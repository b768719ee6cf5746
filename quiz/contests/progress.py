"""How far contests have got: who has taken part, what is under way — for the dashboard, the
contests list and a contest's page. One SQL aggregate each, columns only; voided attempts and
voided participants are left out (:func:`voiding.counts`), and an enterprise admin's figures
are its own enterprise's people only.

Definitions
-----------
people
    Distinct participants with a submitted attempt (in scope).
submitted
    Submitted attempts (every one, not only counted ones).
in_progress
    Attempts started and not submitted whose deadline has not passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from .. import clock
from ..extensions import db
from ..models import Attempt, Contest, Participant, contest_enterprise
from . import voiding


@dataclass(frozen=True)
class Counts:
    people: int = 0
    submitted: int = 0
    in_progress: int = 0


def admits(enterprise_id: int) -> ColumnElement[bool]:
    """SQL: the contests an enterprise's people may take part in — its own internal contests,
    and the campaign contests open to every unit or listing it."""
    invited = select(contest_enterprise.c.contest_id).where(contest_enterprise.c.enterprise_id == enterprise_id)
    return or_(
        Contest.enterprise_id == enterprise_id,
        and_(Contest.enterprise_id.is_(None), or_(Contest.open_to_all.is_(True), Contest.id.in_(invited))),
    )


def _conditions(now: datetime, since: datetime | None = None, until: datetime | None = None):
    """(submitted in scope, under way now) as SQL conditions on Attempt."""
    submitted = Attempt.submitted_at.is_not(None)
    if since is not None:
        submitted = and_(submitted, Attempt.submitted_at >= since, Attempt.submitted_at < until)
    return submitted, and_(Attempt.submitted_at.is_(None), Attempt.deadline > now)


def _aggregates(submitted, running):
    return (
        func.count(func.distinct(case((submitted, Attempt.participant_id)))).label("people"),
        func.coalesce(func.sum(case((submitted, 1), else_=0)), 0).label("submitted"),
        func.coalesce(func.sum(case((running, 1), else_=0)), 0).label("in_progress"),
    )


def by_contest(contest_ids: list[int], enterprise_id: int | None, now: datetime) -> dict[int, Counts]:
    """{contest id: Counts} of these contests (absent: nothing yet); with ``enterprise_id``
    only that enterprise's people."""
    if not contest_ids:
        return {}
    submitted, running = _conditions(now)
    query = (
        select(Attempt.contest_id, *_aggregates(submitted, running))
        .join(Participant, Participant.id == Attempt.participant_id)
        .where(Attempt.contest_id.in_(contest_ids), *voiding.counts(Attempt, Participant))
        .group_by(Attempt.contest_id)
    )
    if enterprise_id is not None:
        query = query.where(Participant.enterprise_id == enterprise_id)
    return {row.contest_id: Counts(int(row.people), int(row.submitted), int(row.in_progress))
            for row in db.session.execute(query)}


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of today in the configured zone, as naive UTC."""
    day = clock.to_local(now).date()
    return clock.from_local(datetime.combine(day, time())), clock.from_local(
        datetime.combine(day + timedelta(days=1), time()))


def today(enterprise_id: int | None, now: datetime) -> Counts:
    """Today (local day): people who submitted an attempt, attempts submitted, and attempts
    under way now — every contest; with ``enterprise_id`` only that enterprise's people."""
    since, until = local_day(now)
    submitted, running = _conditions(now, since, until)
    query = (
        select(*_aggregates(submitted, running))
        .select_from(Attempt)
        .join(Participant, Participant.id == Attempt.participant_id)
        .where(or_(and_(Attempt.submitted_at >= since, Attempt.submitted_at < until),
                   and_(Attempt.submitted_at.is_(None), Attempt.deadline > now)),
               *voiding.counts(Attempt, Participant))
    )
    if enterprise_id is not None:
        query = query.where(Participant.enterprise_id == enterprise_id)
    row = db.session.execute(query).one()
    return Counts(int(row.people or 0), int(row.submitted or 0), int(row.in_progress or 0))
