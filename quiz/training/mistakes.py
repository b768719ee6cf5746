"""The 错题本: questions a participant got wrong, until answered right twice in a row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, and_, bindparam, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db, upsert
from ..models import Attempt, AttemptQuestion, Contest, Mistake, Question
from ..prepared import Prepared

CLEAR_AFTER = 2  # right answers in a row that take a question out of the book


def record(participant_id: int, question_uid: str, correct: bool, now: datetime) -> Mistake | None:
    """Note one answer. A wrong one puts the question in the book (again); right ones count down."""
    mistake = db.session.scalar(
        select(Mistake).where(
            Mistake.participant_id == participant_id, Mistake.question_uid == question_uid
        )
    )
    if correct:
        if mistake is None or mistake.cleared_at is not None:
            return mistake
        mistake.right_streak += 1
        if mistake.right_streak >= CLEAR_AFTER:
            mistake.cleared_at = now
        return mistake
    if mistake is None:
        mistake = Mistake(
            participant_id=participant_id, question_uid=question_uid,
            wrong_count=0, right_streak=0, last_wrong_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(mistake)
        except IntegrityError:  # the same wrong answer arriving twice at once
            return record(participant_id, question_uid, correct, now)
    mistake.wrong_count += 1
    mistake.right_streak = 0
    mistake.last_wrong_at = now
    mistake.cleared_at = None
    return mistake


def record_attempt(participant_id: int, attempt_id: int, now: datetime) -> None:
    """After a contest: every question answered wrong goes into the book, in one statement —
    new ones are added, ones already there are counted again and reopened."""
    _RECORD_ATTEMPT.rowcount(participant_id=participant_id, attempt_id=attempt_id, now=now)


def _record_attempt_statement():
    """``record_attempt``'s statement for the database in use (ON CONFLICT is built per
    dialect); building it for every submission was a third of what a submission cost."""
    table = Mistake.__table__
    wrong = (
        select(bindparam("participant_id", type_=Integer), Question.uid, literal(1), literal(0),
               bindparam("now", type_=DateTime))
        .join_from(AttemptQuestion, Question, AttemptQuestion.question_id == Question.id)
        .where(AttemptQuestion.attempt_id == bindparam("attempt_id"), AttemptQuestion.is_correct.is_(False))
        .order_by(Question.uid)  # one order of row locks for any two writers (PostgreSQL)
    )
    insert = upsert(table).from_select(
        ["participant_id", "question_uid", "wrong_count", "right_streak", "last_wrong_at"], wrong
    )
    return insert.on_conflict_do_update(
        index_elements=[table.c.participant_id, table.c.question_uid],
        set_={"wrong_count": table.c.wrong_count + 1, "right_streak": 0,
              "last_wrong_at": insert.excluded.last_wrong_at, "cleared_at": None},
    )


_RECORD_ATTEMPT = Prepared(_record_attempt_statement)


def _open(participant_id: int, now: datetime | None):
    """The open mistakes, less the questions of this person's contests whose answer key is
    still hidden (the review setting): practising them would tell the right answer."""
    now = now or clock.now()
    key_hidden = (
        select(Question.uid)
        .join(AttemptQuestion, AttemptQuestion.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Contest, Contest.id == Attempt.contest_id)
        .where(Attempt.participant_id == participant_id,
               or_(Contest.review_mode == "never",
                   and_(Contest.review_mode == "after_close", Contest.closes_at > now)))
    )
    return (Mistake.participant_id == participant_id, Mistake.cleared_at.is_(None),
            Mistake.question_uid.not_in(key_hidden))


def open_uids(participant_id: int, now: datetime | None = None) -> list[str]:
    return list(db.session.scalars(
        select(Mistake.question_uid).where(*_open(participant_id, now)).order_by(Mistake.last_wrong_at)
    ))


def open_count(participant_id: int, now: datetime | None = None) -> int:
    return db.session.scalar(select(func.count(Mistake.id)).where(*_open(participant_id, now))) or 0


LIST_LIMIT = 300  # entries shown on the 错题本's page (practising goes through all of them)


def open_entries(participant_id: int, now: datetime | None = None,
                 limit: int = LIST_LIMIT) -> tuple[int, list[tuple[Mistake, Question]]]:
    """The 错题本's page: how many questions it holds that can be practised (the current
    version of each, still in use), and the latest-missed first of them with that version."""
    from ..contests.draws import drawable

    query = (
        select(Mistake, Question)
        .join(Question, Question.uid == Mistake.question_uid)
        .where(*_open(participant_id, now), *drawable())
    )
    shown = query.options(joinedload(Question.category))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        shown.order_by(Mistake.last_wrong_at.desc(), Mistake.id.desc()).limit(limit)
    ).all()
    return total, [(mistake, question) for mistake, question in rows]
