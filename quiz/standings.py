"""Leaderboards, each one SQL aggregate returning plain rows (columns only).

Individual ranking: score descending, then time used ascending, then the
earlier submission first. RANK() gives equal ranks only when all three are equal.

Enterprise ranking: average score descending, then participation rate
descending, then name. Participants are people with a submitted attempt;
participation rate = participants ÷ headcount (应参与人数), None when the
headcount is unknown (0).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, cast, func, select

from .extensions import db
from .models import Attempt, Contest, Enterprise, Participant, contest_enterprise

INDIVIDUAL_ORDER = (
    Attempt.score.desc(),
    Attempt.time_used_ms.asc(),
    Attempt.submitted_at.asc(),
)


@dataclass(frozen=True)
class IndividualRow:
    rank: int
    attempt_id: int
    participant_id: int
    name: str
    enterprise: str
    department: str
    score: int
    correct_count: int
    time_used_ms: int
    submitted_at: datetime


@dataclass(frozen=True)
class EnterpriseRow:
    rank: int
    enterprise_id: int
    name: str
    headcount: int
    participants: int
    average_score: float | None
    participation_rate: float | None


def _ranked_attempts(contest_id: int):
    return (
        select(
            func.rank().over(order_by=INDIVIDUAL_ORDER).label("rank"),
            Attempt.id.label("attempt_id"),
            Participant.id.label("participant_id"),
            Participant.name,
            Enterprise.name.label("enterprise"),
            Participant.department,
            Attempt.score,
            Attempt.correct_count,
            Attempt.time_used_ms,
            Attempt.submitted_at,
        )
        .join(Participant, Participant.id == Attempt.participant_id)
        .join(Enterprise, Enterprise.id == Participant.enterprise_id)
        .where(Attempt.contest_id == contest_id, Attempt.submitted_at.is_not(None))
    )


def individuals(contest_id: int, limit: int | None = 100) -> list[IndividualRow]:
    query = _ranked_attempts(contest_id).order_by(*INDIVIDUAL_ORDER, Attempt.id)
    if limit is not None:
        query = query.limit(limit)
    return [IndividualRow(**row._mapping) for row in db.session.execute(query)]


def rank_of(contest_id: int, attempt_id: int) -> tuple[int | None, int]:
    """(rank of this attempt, number of ranked attempts) in the contest."""
    ranked = _ranked_attempts(contest_id).add_columns(
        func.count().over().label("total")
    ).subquery()
    row = db.session.execute(
        select(ranked.c.rank, ranked.c.total).where(ranked.c.attempt_id == attempt_id)
    ).first()
    if row is None:
        return None, 0
    return row.rank, row.total


def enterprises(contest: Contest) -> list[EnterpriseRow]:
    per_enterprise = (
        select(
            Participant.enterprise_id.label("enterprise_id"),
            func.count(func.distinct(Attempt.participant_id)).label("participants"),
            func.avg(cast(Attempt.score, Float)).label("average_score"),
        )
        .join(Participant, Participant.id == Attempt.participant_id)
        .where(Attempt.contest_id == contest.id, Attempt.submitted_at.is_not(None))
        .group_by(Participant.enterprise_id)
        .subquery()
    )
    participants = func.coalesce(per_enterprise.c.participants, 0)
    rate = case(
        (Enterprise.headcount > 0, cast(participants, Float) / Enterprise.headcount),
        else_=None,
    )
    order = (
        per_enterprise.c.average_score.desc().nulls_last(),
        rate.desc().nulls_last(),
        Enterprise.name,
    )
    query = (
        select(
            func.rank().over(order_by=order).label("rank"),
            Enterprise.id.label("enterprise_id"),
            Enterprise.name,
            Enterprise.headcount,
            participants.label("participants"),
            per_enterprise.c.average_score,
            rate.label("participation_rate"),
        )
        .outerjoin(per_enterprise, per_enterprise.c.enterprise_id == Enterprise.id)
        .order_by(*order)
    )
    if contest.open_to_all:
        query = query.where(Enterprise.active.is_(True))
    else:
        query = query.join(
            contest_enterprise,
            and_(
                contest_enterprise.c.enterprise_id == Enterprise.id,
                contest_enterprise.c.contest_id == contest.id,
            ),
        )
    return [EnterpriseRow(**row._mapping) for row in db.session.execute(query)]
