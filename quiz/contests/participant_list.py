"""A contest's participants list (参赛人员): every attempt with who made it and why it may be
suspect, for the organiser's clean-up (作废 / 恢复 / 换手机, rules in :mod:`quiz.contests.voiding`).

Flags, each also a filter:

名单外 (``off_roster``)
    The person's enterprise has a roster and the person is not matched to it.
同一地址 (``shared_address``)
    The attempt's ``client_address`` started more than ``PARTICIPANTS_SHARED_ADDRESS_MIN``
    (default 20) attempts of this contest. A whole workshop on one Wi-Fi shares an address, so
    this is a hint to look, not a verdict.
用时过短 (``too_fast``)
    Submitted with ``time_used_ms`` under ``PARTICIPANTS_FAST_SECONDS_PER_QUESTION`` (default
    2) seconds per question of the contest.
已作废 (``voided``)
    The attempt or its participant is voided.

One SQL statement per page (the shared addresses are one grouped subquery); an enterprise
admin's list is restricted to its own enterprise's people on the server.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from ..league import tables as league_tables
from ..units import rosters
from ..extensions import db
from ..models import Attempt, AuditEntry, Contest, Enterprise, Participant, User

from ..i18n import N_

PAGE_SIZE = 200
FLAGS = {
    "off_roster": N_("名单外"),
    "shared_address": N_("同一地址"),
    "too_fast": N_("用时过短"),
    "voided": N_("已作废"),
}
AUDIT_LABELS = {
    "void_attempt": N_("作废答题"),
    "restore_attempt": N_("恢复答题"),
    "void_participant": N_("作废人员"),
    "restore_participant": N_("恢复人员"),
    "change_device": N_("换手机"),
}


@dataclass(frozen=True)
class Filters:
    flags: tuple[str, ...] = ()
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "Filters":
        flags = tuple(f for f in FLAGS if args.get(f) == "1")
        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        return cls(flags, page)

    def query_args(self, **changes) -> dict:
        args = {f: "1" for f in self.flags}
        if self.page > 1:
            args["page"] = str(self.page)
        args.update(changes)
        return {k: v for k, v in args.items() if v is not None}


@dataclass(frozen=True)
class Row:
    attempt_id: int
    participant_id: int
    name: str
    identifier: str             # masked (phone) for display
    enterprise_id: int
    enterprise: str
    department: str
    score: float | None         # None: not submitted
    max_score: float
    time_used_ms: int | None
    started_at: datetime
    submitted_at: datetime | None
    client_address: str
    has_device: bool            # still bound to a phone (换手机 clears it)
    attempt_voided: bool
    participant_voided: bool
    off_roster: bool
    shared_address: bool
    too_fast: bool

    @property
    def voided(self) -> bool:
        return self.attempt_voided or self.participant_voided

    @property
    def flag_labels(self) -> list[str]:
        return [label for key, label in FLAGS.items() if getattr(self, key)]


def settings() -> tuple[int, float]:
    config = current_app.config
    return (int(config["PARTICIPANTS_SHARED_ADDRESS_MIN"]),
            float(config["PARTICIPANTS_FAST_SECONDS_PER_QUESTION"]))


def _flag_columns(contest: Contest):
    shared_min, fast_seconds = settings()
    crowded = (
        select(Attempt.client_address)
        .where(Attempt.contest_id == contest.id, Attempt.client_address != "")
        .group_by(Attempt.client_address)
        .having(func.count() > shared_min)
    )
    roster = rosters.active_counts()
    too_fast_ms = int(fast_seconds * 1000 * contest.question_count)
    columns = {
        "off_roster": league_tables.off_roster(roster) == 1,
        "shared_address": Attempt.client_address.in_(crowded),
        "too_fast": and_(Attempt.submitted_at.is_not(None), Attempt.time_used_ms < too_fast_ms),
        "voided": or_(Attempt.voided_at.is_not(None), Participant.voided_at.is_not(None)),
    }
    return roster, columns


def rows(contest: Contest, enterprise_id: int | None, filters: Filters) -> tuple[list[Row], int]:
    """One page of the contest's attempts (newest first) and how many match the filters."""
    roster, flags = _flag_columns(contest)
    conditions = [Attempt.contest_id == contest.id, *(flags[f] for f in filters.flags)]
    if enterprise_id is not None:
        conditions.append(Participant.enterprise_id == enterprise_id)

    def joined(query):
        return (query.select_from(Attempt)
                .join(Participant, Participant.id == Attempt.participant_id)
                .join(Enterprise, Enterprise.id == Participant.enterprise_id)
                .outerjoin(roster, roster.c.enterprise_id == Participant.enterprise_id)
                .where(*conditions))

    total = db.session.scalar(joined(select(func.count())))
    query = joined(select(
        Attempt.id, Attempt.participant_id, Participant.name, Participant.identifier,
        Participant.enterprise_id, Enterprise.name.label("enterprise"), Attempt.department,
        Attempt.score, Attempt.max_score, Attempt.time_used_ms, Attempt.started_at, Attempt.submitted_at,
        Attempt.client_address, Attempt.device, Attempt.voided_at, Participant.voided_at.label("p_voided"),
        *(case((flag, 1), else_=0).label(key) for key, flag in flags.items() if key != "voided"),
    )).order_by(
        Attempt.started_at.desc(), Attempt.id.desc()
    ).limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    out = [
        Row(attempt_id=m["id"], participant_id=m["participant_id"], name=m["name"],
            identifier=rosters.mask_phone(m["identifier"]), enterprise_id=m["enterprise_id"],
            enterprise=m["enterprise"], department=m["department"] or "",
            score=m["score"] if m["submitted_at"] is not None else None, max_score=m["max_score"],
            time_used_ms=m["time_used_ms"], started_at=m["started_at"], submitted_at=m["submitted_at"],
            client_address=m["client_address"] or "", has_device=bool(m["device"]),
            attempt_voided=m["voided_at"] is not None, participant_voided=m["p_voided"] is not None,
            off_roster=bool(m["off_roster"]), shared_address=bool(m["shared_address"]),
            too_fast=bool(m["too_fast"]))
        for m in (r._mapping for r in db.session.execute(query))
    ]
    return out, int(total or 0)


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    user: str
    action: str
    name: str
    attempt_id: int | None
    reason: str


def audit(contest: Contest, enterprise_id: int | None, limit: int = 200) -> list[AuditRow]:
    """Who voided, restored or moved what in this contest (its attempts, and people who made
    one), newest first; an enterprise admin sees its own people's entries only."""
    on_attempt = aliased(Attempt)
    in_contest = or_(
        AuditEntry.attempt_id.in_(select(Attempt.id).where(Attempt.contest_id == contest.id)),
        and_(AuditEntry.attempt_id.is_(None),
             AuditEntry.participant_id.in_(select(Attempt.participant_id).where(Attempt.contest_id == contest.id))),
    )
    query = (
        select(AuditEntry.at, User.username, AuditEntry.action, Participant.name, AuditEntry.attempt_id,
               AuditEntry.reason)
        .select_from(AuditEntry)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .outerjoin(on_attempt, on_attempt.id == AuditEntry.attempt_id)
        .join(Participant, Participant.id == func.coalesce(AuditEntry.participant_id, on_attempt.participant_id))
        .where(in_contest)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if enterprise_id is not None:
        query = query.where(Participant.enterprise_id == enterprise_id)
    return [AuditRow(at, user or "—", AUDIT_LABELS.get(action, action), name, attempt_id, reason or "")
            for at, user, action, name, attempt_id, reason in db.session.execute(query)]
