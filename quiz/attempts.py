"""Rules of an attempt: drawing questions, the server-owned deadline, answers, scoring.

Functions take the session-bound objects and ``now`` (naive UTC) and raise
``QuizError`` subclasses with the message the participant reads. They flush
but never commit: the caller decides the transaction.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from question_bank.laws import article_text

from . import mistakes
from .errors import Closed, Conflict, NotFound, QuizError, TooLate
from .extensions import db
from .models import (
    Attempt,
    AttemptQuestion,
    Contest,
    Participant,
    Question,
    contest_category,
)

LETTERS = "ABCDEFGH"


def contest_state(contest: Contest, now: datetime) -> str:
    """'upcoming', 'open' or 'closed'."""
    if now < contest.opens_at:
        return "upcoming"
    if now >= contest.closes_at:
        return "closed"
    return "open"


def require_open(contest: Contest, now: datetime) -> None:
    state = contest_state(contest, now)
    if state == "upcoming":
        raise Closed("本次竞赛尚未开始，请在开始时间之后再来。", status=403)
    if state == "closed":
        raise Closed("本次竞赛已经结束，不能再答题。")


def drawable():
    """Conditions for a question that may be drawn: the current version, not retired."""
    return (Question.current.is_(True), Question.active.is_(True))


def available_question_count(category_ids: list[int]) -> int:
    if not category_ids:
        return 0
    return db.session.scalar(
        select(func.count(Question.id)).where(
            *drawable(), Question.category_id.in_(category_ids)
        )
    ) or 0


def draw_questions(contest: Contest, rng: random.Random) -> list[Question]:
    """A random sample, never the same question twice, from the contest's categories."""
    ids = db.session.scalars(
        select(Question.id)
        .join(contest_category, contest_category.c.category_id == Question.category_id)
        .where(contest_category.c.contest_id == contest.id, *drawable())
        .order_by(Question.id)
    ).all()
    if len(ids) < contest.question_count:
        raise QuizError("题库中的题目不足，请联系组织者。", status=503)
    chosen = rng.sample(ids, contest.question_count)
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(chosen)))}
    return [by_id[i] for i in chosen]


def shuffled_order(question: Question, rng: random.Random) -> list[int]:
    order = list(range(len(question.options)))
    if question.qtype != "judge":  # 正确/错误 keep their customary order
        rng.shuffle(order)
    return order


def find_attempt(contest: Contest, participant: Participant) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.contest_id == contest.id, Attempt.participant_id == participant.id
        ).order_by(Attempt.number.desc())
    )


def start_or_resume(
    contest: Contest, participant: Participant, now: datetime, rng: random.Random | None = None
) -> Attempt:
    """The participant's attempt, started now if there is none (one attempt per contest)."""
    existing = find_attempt(contest, participant)
    if existing is not None:
        return existing
    require_open(contest, now)
    rng = rng or random.SystemRandom()
    deadline = min(now + timedelta(seconds=contest.time_limit_seconds), contest.closes_at)
    attempt = Attempt(
        contest_id=contest.id,
        participant_id=participant.id,
        number=1,
        started_at=now,
        deadline=deadline,
        score=0,
        correct_count=0,
    )
    questions = draw_questions(contest, rng)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            db.session.add_all(
                AttemptQuestion(
                    attempt_id=attempt.id,
                    position=i + 1,
                    question_id=q.id,
                    option_order=shuffled_order(q, rng),
                )
                for i, q in enumerate(questions)
            )
            db.session.flush()
    except IntegrityError:
        # The same person started on two phones at once: the other request won.
        existing = find_attempt(contest, participant)
        if existing is None:
            raise
        return existing
    return attempt


def items(attempt: Attempt) -> list[AttemptQuestion]:
    return list(
        db.session.scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
        )
    )


def seconds_left(attempt: Attempt, now: datetime) -> int:
    return max(0, int((attempt.deadline - now).total_seconds()))


def is_expired(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    return now > attempt.deadline + timedelta(seconds=grace_seconds)


@dataclass(frozen=True)
class ShownOption:
    letter: str  # the letter printed on this participant's screen
    text: str


def shown_options(item: AttemptQuestion) -> list[ShownOption]:
    return [
        ShownOption(LETTERS[i], item.question.options[original])
        for i, original in enumerate(item.option_order)
    ]


def to_original(item: AttemptQuestion, shown_letters: list[str]) -> str:
    """Letters as shown on the phone → letters of the bank question, sorted."""
    count = len(item.option_order)
    originals = set()
    for letter in shown_letters:
        index = LETTERS.find(letter)
        if len(letter) != 1 or index < 0 or index >= count:
            raise QuizError("所选选项不存在，请重新选择。")
        originals.add(LETTERS[item.option_order[index]])
    return "".join(sorted(originals))


def to_shown(item: AttemptQuestion, original_letters: str | None) -> str:
    if not original_letters:
        return ""
    shown = [LETTERS[item.option_order.index(LETTERS.index(c))] for c in original_letters]
    return "".join(sorted(shown))


def save_answer(
    attempt: Attempt, position: int, shown_letters: list[str], now: datetime, grace_seconds: float
) -> AttemptQuestion:
    """Store an answer the moment it is given; answering again replaces it until submission."""
    if attempt.is_submitted:
        raise Conflict("试卷已提交，答案不能再修改。")
    if is_expired(attempt, now, grace_seconds):
        submit(attempt, now)
        raise TooLate("答题时间已到，本题答案未被接受，试卷已自动提交。")
    item = db.session.scalar(
        select(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position
        )
    )
    if item is None:
        raise NotFound("该题不在您的试卷中。")
    letters = [s.strip().upper() for s in shown_letters if s.strip()]
    if not letters:
        raise QuizError("请先选择答案。")
    qtype = item.question.qtype
    if qtype in ("single", "judge") and len(letters) != 1:
        raise QuizError("本题只能选择一个答案。")
    original = to_original(item, letters)
    if qtype == "multi" and len(original) < 2:
        raise QuizError("多选题至少选择两个选项。")
    item.chosen = original
    item.is_correct = original == item.question.answer
    item.answered_at = now
    db.session.flush()
    return item


def submit(attempt: Attempt, now: datetime) -> Attempt:
    """Score and close the attempt. Late closing (sweep, next visit) counts up to the deadline."""
    if attempt.is_submitted:
        raise Conflict("试卷已提交，不能重复提交。")
    submitted_at = min(now, attempt.deadline)
    correct = db.session.scalar(
        select(func.count(AttemptQuestion.id)).where(
            AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.is_correct.is_(True)
        )
    ) or 0
    attempt.correct_count = correct
    attempt.score = correct * attempt.contest.points_per_question
    attempt.submitted_at = submitted_at
    attempt.time_used_ms = int((submitted_at - attempt.started_at).total_seconds() * 1000)
    mistakes.record_attempt(attempt.participant_id, attempt.id, now)
    db.session.flush()
    return attempt


def close_if_expired(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    if not attempt.is_submitted and is_expired(attempt, now, grace_seconds):
        submit(attempt, now)
        return True
    return False


def close_expired(contest_id: int, now: datetime, grace_seconds: float) -> int:
    """Submit every attempt of the contest whose time ran out, so results never hang open."""
    expired = db.session.scalars(
        select(Attempt).where(
            Attempt.contest_id == contest_id,
            Attempt.submitted_at.is_(None),
            Attempt.deadline < now - timedelta(seconds=grace_seconds),
        )
    ).all()
    for attempt in expired:
        submit(attempt, now)
    return len(expired)


@dataclass(frozen=True)
class ReviewOption:
    letter: str
    text: str
    chosen: bool
    right: bool


@dataclass(frozen=True)
class Review:
    """A question after submission: what was chosen, what is right, and why."""

    item: AttemptQuestion
    options: list[ReviewOption]
    chosen: str  # shown letters
    right: str  # shown letters
    basis_text: str | None


def review(item: AttemptQuestion) -> Review:
    chosen = to_shown(item, item.chosen)
    right = to_shown(item, item.question.answer)
    found = article_text(item.question.basis) if item.question.basis else None
    return Review(
        item=item,
        options=[
            ReviewOption(o.letter, o.text, o.letter in chosen, o.letter in right)
            for o in shown_options(item)
        ],
        chosen=chosen,
        right=right,
        basis_text=found[2] if found else None,
    )
