"""The 错题本: questions a participant got wrong, until answered right twice in a row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import AttemptQuestion, Mistake, Question

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
    """After a contest: every question answered wrong goes into the book."""
    wrong = db.session.scalars(
        select(Question.uid)
        .join(AttemptQuestion, AttemptQuestion.question_id == Question.id)
        .where(
            AttemptQuestion.attempt_id == attempt_id,
            AttemptQuestion.is_correct.is_(False),
        )
    ).all()
    if not wrong:
        return
    try:
        with db.session.begin_nested():
            _record_wrong(participant_id, wrong, now)
    except IntegrityError:  # another request added one of them meanwhile: one by one instead
        for uid in wrong:
            record(participant_id, uid, False, now)


def _record_wrong(participant_id: int, wrong: list[str], now: datetime) -> None:
    # One read of the book for all wrong questions, then inserts/updates in one flush.
    book = {
        m.question_uid: m
        for m in db.session.scalars(
            select(Mistake).where(Mistake.participant_id == participant_id, Mistake.question_uid.in_(wrong))
        )
    }
    for uid in wrong:
        mistake = book.get(uid)
        if mistake is None:
            mistake = Mistake(participant_id=participant_id, question_uid=uid, wrong_count=0,
                              right_streak=0, last_wrong_at=now)
            db.session.add(mistake)
            book[uid] = mistake
        mistake.wrong_count += 1
        mistake.right_streak = 0
        mistake.last_wrong_at = now
        mistake.cleared_at = None
    db.session.flush()


def open_uids(participant_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Mistake.question_uid)
            .where(Mistake.participant_id == participant_id, Mistake.cleared_at.is_(None))
            .order_by(Mistake.last_wrong_at)
        )
    )


def open_count(participant_id: int) -> int:
    return db.session.scalar(
        select(func.count(Mistake.id)).where(
            Mistake.participant_id == participant_id, Mistake.cleared_at.is_(None)
        )
    ) or 0
