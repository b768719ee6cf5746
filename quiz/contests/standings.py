"""Leaderboards, each one SQL aggregate returning plain rows (columns only).

Which attempt counts: each participant's best (score desc, time used asc,
submitted asc) or latest submitted attempt, as the contest says.

Individual ranking: score descending, then time used ascending, then the
earlier submission first. RANK() gives equal ranks only when all three are equal.

Enterprise ranking: average score (of counted attempts) descending, then
participation rate descending, then name. Participants are people with a
submitted attempt; participation rate = participants ÷ headcount (应参与人数),
None when the headcount is unknown (0). Where an enterprise has a roster, 应参与人数 is its
active people and only people matched to it are participants (others 名单外), as in
:mod:`quiz.league.tables`. Voided attempts and participants are left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, cast, func, select

from ..league import tables as league_tables
from ..units import rosters
from . import voiding
from ..extensions import db
from ..models import Attempt, Contest, Enterprise, Participant, RosterPerson, contest_enterprise

BEST = (Attempt.score.desc(), Attempt.time_used_ms.asc(), Attempt.submitted_at.asc(), Attempt.id.asc())
LATEST = (Attempt.submitted_at.desc(), Attempt.id.desc())


@dataclass(frozen=True)
class IndividualRow:
    rank: int
    enterprise_rank: int
    attempt_id: int
    participant_id: int
    name: str
    enterprise: str
    department: str
    score: float
    correct_count: int
    time_used_ms: int
    submitted_at: datetime
    leave_count: int
    off_roster: int = 0  # 1: 名单外 (the enterprise has a roster, this person is not on it)


@dataclass(frozen=True)
class EnterpriseRow:
    rank: int
    enterprise_id: int
    name: str
    headcount: int
    participants: int
    attempts: int
    average_score: float | None
    participation_rate: float | None
    has_roster: bool = False  # 应参与人数 from the roster (名单), else typed (填报)
    off_roster: int = 0       # 名单外 people with a submitted attempt

    @property
    def headcount_source(self) -> str:
        return league_tables.HEADCOUNT_ROSTER if self.has_roster else league_tables.HEADCOUNT_TYPED


def counted_attempts(contest: Contest):
    """One submitted attempt per participant: the one the contest's ranking counts."""
    order = LATEST if contest.ranking == "latest" else BEST
    numbered = (
        select(
            Attempt.id.label("attempt_id"),
            func.row_number().over(partition_by=Attempt.participant_id, order_by=order).label("n"),
        )
        .join(Participant, Participant.id == Attempt.participant_id)
        .where(Attempt.contest_id == contest.id, Attempt.submitted_at.is_not(None),
               *voiding.counts(Attempt, Participant))
        .subquery()
    )
    return select(numbered.c.attempt_id).where(numbered.c.n == 1)


def _ranked(contest: Contest, with_roster: bool = False):
    """The counted attempts ranked; ``with_roster`` adds ``off_roster`` (名单外) — not for
    :func:`placing`, which every result page asks and which needs no roster counts."""
    order = (Attempt.score.desc(), Attempt.time_used_ms.asc(), Attempt.submitted_at.asc())
    query = (
        select(
            func.rank().over(order_by=order).label("rank"),
            func.rank().over(partition_by=Participant.enterprise_id, order_by=order).label("enterprise_rank"),
            Attempt.id.label("attempt_id"),
            Participant.id.label("participant_id"),
            Participant.name,
            Enterprise.name.label("enterprise"),
            Participant.department,
            Attempt.score,
            Attempt.correct_count,
            Attempt.time_used_ms,
            Attempt.submitted_at,
            Attempt.leave_count,
        )
        .join(Participant, Participant.id == Attempt.participant_id)
        .join(Enterprise, Enterprise.id == Participant.enterprise_id)
        .where(Attempt.id.in_(counted_attempts(contest)))
    )
    if with_roster:
        # Per row, through the roster's (enterprise, active) index: the board shows 100 rows
        # every 30 s on every phone, so it does not count a whole 100 000-person roster.
        has_roster = select(RosterPerson.id).where(RosterPerson.enterprise_id == Participant.enterprise_id,
                                                   RosterPerson.active.is_(True)).exists()
        off_roster = case((and_(Participant.roster_person_id.is_(None), has_roster), 1), else_=0)
        query = query.add_columns(off_roster.label("off_roster"))
    return query


def individuals(contest: Contest, limit: int | None = 100) -> list[IndividualRow]:
    ranked = _ranked(contest, with_roster=True).subquery()
    query = select(ranked).order_by(ranked.c.rank, ranked.c.attempt_id)
    if limit is not None:
        query = query.limit(limit)
    return [IndividualRow(**row._mapping) for row in db.session.execute(query)]


@dataclass(frozen=True)
class Placing:
    rank: int | None  # None: this attempt is not the one that counts
    total: int
    enterprise_rank: int | None
    enterprise_total: int


def placing(contest: Contest, attempt_id: int) -> Placing:
    """Rank of an attempt in the contest and inside its enterprise."""
    ranked = _ranked(contest).add_columns(
        func.count().over().label("total"),
        func.count().over(partition_by=Participant.enterprise_id).label("enterprise_total"),
    ).subquery()
    row = db.session.execute(select(ranked).where(ranked.c.attempt_id == attempt_id)).first()
    if row is None:
        total = db.session.scalar(select(func.count()).select_from(counted_attempts(contest).subquery()))
        return Placing(None, total or 0, None, 0)
    return Placing(row.rank, row.total, row.enterprise_rank, row.enterprise_total)


def enterprises(contest: Contest) -> list[EnterpriseRow]:
    counted = counted_attempts(contest)
    per_enterprise = (
        select(
            Participant.enterprise_id.label("enterprise_id"),
            func.count(func.distinct(Attempt.participant_id)).label("people"),
            func.count(func.distinct(Participant.roster_person_id)).label("matched"),
            func.count(Attempt.id).label("attempts"),
            func.avg(case((Attempt.id.in_(counted), cast(Attempt.score, Float)))).label("average_score"),
        )
        .join(Participant, Participant.id == Attempt.participant_id)
        .where(Attempt.contest_id == contest.id, Attempt.submitted_at.is_not(None),
               *voiding.counts(Attempt, Participant))
        .group_by(Participant.enterprise_id)
        .subquery()
    )
    # As the league tables (rosters.headcounts).
    roster, has_roster, headcount, participants, off_roster = rosters.headcounts(
        Enterprise.headcount, func.coalesce(per_enterprise.c.people, 0),
        func.coalesce(per_enterprise.c.matched, 0))
    rate = case(
        (headcount > 0, cast(participants, Float) / headcount),
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
            headcount.label("headcount"),
            participants.label("participants"),
            func.coalesce(per_enterprise.c.attempts, 0).label("attempts"),
            per_enterprise.c.average_score,
            rate.label("participation_rate"),
            has_roster.label("has_roster"),
            off_roster.label("off_roster"),
        )
        .outerjoin(per_enterprise, per_enterprise.c.enterprise_id == Enterprise.id)
        .outerjoin(roster, roster.c.enterprise_id == Enterprise.id)
        .order_by(*order)
    )
    if contest.enterprise_id is not None:
        query = query.where(Enterprise.id == contest.enterprise_id)
    elif contest.open_to_all:
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
