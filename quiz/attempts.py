"""Rules of an attempt: drawing questions, the server-owned deadline, answers, scoring.

Functions take the session-bound objects and ``now`` (naive UTC) and raise
``QuizError`` subclasses with the message the participant reads. They flush
but never commit: the caller decides the transaction.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from question_bank.laws import article_text

from . import clock, draws, mistakes, results_cache, scoring
from .codes import new_code
from .errors import Closed, Conflict, NotFound, QuizError, TooLate
from .extensions import db
from .models import Attempt, AttemptQuestion, Contest, Participant, Question
from .scoring import LETTERS


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


def shuffled_order(question: Question, rng: random.Random) -> list[int]:
    order = list(range(len(question.options)))
    if question.qtype != "judge":  # 正确/错误 keep their customary order
        rng.shuffle(order)
    return order


def find_attempt(contest: Contest, participant: Participant) -> Attempt | None:
    """The participant's newest attempt at this contest."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.contest_id == contest.id, Attempt.participant_id == participant.id
        ).order_by(Attempt.number.desc())
    )


def attempts_left(contest: Contest, participant: Participant, now: datetime) -> int:
    """How many more attempts this person may start: in all, or today (local day) if per day."""
    query = select(Attempt.started_at).where(
        Attempt.contest_id == contest.id, Attempt.participant_id == participant.id
    )
    started = db.session.scalars(query).all()
    if contest.attempts_per_day:
        today = clock.to_local(now).date()
        started = [s for s in started if clock.to_local(s).date() == today]
    return max(0, contest.max_attempts - len(started))


def start_or_resume(
    contest: Contest, participant: Participant, now: datetime, rng: random.Random | None = None,
    new: bool = False,
) -> Attempt:
    """The attempt in progress, else (with ``new``, or when there is none) a new one if allowed."""
    existing = find_attempt(contest, participant)
    if existing is not None and (not existing.is_submitted or not new):
        return existing
    require_open(contest, now)
    if attempts_left(contest, participant, now) <= 0:
        if contest.attempts_per_day:
            raise Conflict(f"今天的 {contest.max_attempts} 次答题机会已用完，明天再来。")
        raise Conflict(f"本竞赛每人可答 {contest.max_attempts} 次，您的次数已用完。")
    rng = rng or random.SystemRandom()
    questions = draws.draw(contest, rng)
    limit = contest.time_limit_seconds
    if contest.per_question_seconds:
        limit = contest.per_question_seconds * len(questions)
    attempt = Attempt(
        contest_id=contest.id,
        participant_id=participant.id,
        number=(existing.number + 1) if existing else 1,
        started_at=now,
        deadline=min(now + timedelta(seconds=limit), contest.closes_at),
        score=0,
        max_score=float(sum(contest.points_for(q.qtype) for q in questions)),
        correct_count=0,
        leave_count=0,
        department=participant.department,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            # One executemany for the whole paper.
            db.session.execute(insert(AttemptQuestion), [
                dict(attempt_id=attempt.id, position=i + 1, question_id=q.id,
                     option_order=shuffled_order(q, rng), points=0)
                for i, q in enumerate(questions)
            ])
    except IntegrityError:
        # The same person started on two phones at once: the other request won.
        other = find_attempt(contest, participant)
        if other is None or other is existing:
            raise
        return other
    return attempt


def items(attempt: Attempt) -> list[AttemptQuestion]:
    return list(
        db.session.scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
        )
    )


# The answer path runs ~20 times per person, all at once in a hall: its statements are
# built once here, because building a select costs more than SQLite takes to run it.
_aq = AttemptQuestion.__table__
_ITEM_AT = select(AttemptQuestion).where(
    AttemptQuestion.attempt_id == bindparam("attempt_id"),
    AttemptQuestion.position == bindparam("position"),
)
_PROGRESS = (
    select(_aq.c.position, _aq.c.chosen.is_not(None))
    .where(_aq.c.attempt_id == bindparam("attempt_id"))
    .order_by(_aq.c.position)
)
_SAVE_ANSWER = (
    update(_aq)
    .where(
        _aq.c.id == bindparam("item_id"),
        # Only while the attempt is open: an answer racing a submission never changes a result.
        exists().where(Attempt.__table__.c.id == bindparam("open_attempt_id"),
                       Attempt.__table__.c.submitted_at.is_(None)),
    )
    .values(
        chosen=bindparam("new_chosen"), is_correct=bindparam("new_is_correct"),
        points=bindparam("new_points"), answered_at=bindparam("new_answered_at"),
    )
)


@dataclass(frozen=True)
class Progress:
    position: int
    answered: bool


def progress(attempt: Attempt) -> list[Progress]:
    """Which positions are answered: two columns, no question loaded (the nav on every screen)."""
    rows = db.session.execute(_PROGRESS, {"attempt_id": attempt.id}).all()
    return [Progress(position, bool(answered)) for position, answered in rows]


def item_at(attempt: Attempt, position: int) -> AttemptQuestion | None:
    return db.session.scalar(_ITEM_AT, {"attempt_id": attempt.id, "position": position})


def seconds_left(attempt: Attempt, now: datetime, item: AttemptQuestion | None = None) -> int:
    """Seconds the participant has: to the attempt's deadline, or the question's if it has one."""
    deadline = attempt.deadline
    if item is not None and item.deadline is not None:
        deadline = min(deadline, item.deadline)
    return max(0, int((deadline - now).total_seconds()))


def per_question(attempt: Attempt) -> bool:
    return bool(attempt.contest.per_question_seconds)


def current_item(attempt: Attempt, now: datetime, grace_seconds: float) -> AttemptQuestion | None:
    """Per-question timing: the question to show now. Its clock starts when first shown;
    a question whose time ran out is left behind unanswered. None: the paper is done."""
    unanswered = db.session.scalars(
        select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.chosen.is_(None))
        .order_by(AttemptQuestion.position)
        .options(lazyload(AttemptQuestion.question))
    ).all()
    for item in unanswered:
        if item.deadline is None:
            item.shown_at = now
            item.deadline = now + timedelta(seconds=attempt.contest.per_question_seconds)
            db.session.flush()
            return item
        if now <= item.deadline + timedelta(seconds=grace_seconds):
            return item
    return None


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
    item = item_at(attempt, position)
    if item is None:
        raise NotFound("该题不在您的试卷中。")
    if per_question(attempt):
        if item.deadline is None:
            raise QuizError("请按顺序作答。", status=409)
        if item.chosen is not None:
            raise Conflict("本题已作答，逐题计时的竞赛不能修改答案。")
        if now > item.deadline + timedelta(seconds=grace_seconds):
            raise TooLate("本题时间已到，答案未被接受。")
    shown = scoring.check_choice(item.question.qtype, shown_letters, len(item.option_order))
    original = to_original(item, list(shown))
    points = scoring.points(item.question, original, attempt.contest)
    values = dict(chosen=original, is_correct=original == item.question.answer, points=points,
                  answered_at=now)
    updated = db.session.execute(_SAVE_ANSWER, {
        "item_id": item.id, "open_attempt_id": attempt.id, **{f"new_{k}": v for k, v in values.items()},
    }).rowcount
    if not updated:
        raise Conflict("试卷已提交，答案不能再修改。")
    for key, value in values.items():  # what was stored, without reading it back
        set_committed_value(item, key, value)
    return item


def submit(attempt: Attempt, now: datetime) -> Attempt:
    """Score and close the attempt. Late closing (sweep, next visit) counts up to the deadline.

    The closing UPDATE only matches an open attempt, so of two submits at the same
    moment exactly one wins; the other is told the paper is already in.
    """
    if attempt.is_submitted:
        raise Conflict("试卷已提交，不能重复提交。")
    submitted_at = min(now, attempt.deadline)
    correct, score = db.session.execute(
        select(
            func.count(AttemptQuestion.id).filter(AttemptQuestion.is_correct.is_(True)),
            func.coalesce(func.sum(AttemptQuestion.points), 0),
        ).where(AttemptQuestion.attempt_id == attempt.id)
    ).one()
    score = scoring.clamp(score)
    contest = attempt.contest
    passed = None if contest.pass_score is None else score >= contest.pass_score
    closed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=submitted_at,
            correct_count=correct,
            score=score,
            passed=passed,
            time_used_ms=int((submitted_at - attempt.started_at).total_seconds() * 1000),
            certificate_no=certificate_number() if passed else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not closed:
        raise Conflict("试卷已提交，不能重复提交。")
    mistakes.record_attempt(attempt.participant_id, attempt.id, now)
    db.session.flush()
    results_cache.invalidate_on_commit(db.session)
    return attempt


def certificate_number() -> str:
    """Unguessable, so the public verification page cannot be walked through."""
    return "SQ" + new_code(10)


def record_leave(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    """Count one leaving of the page; True when that exceeds the contest's limit and submits."""
    if attempt.is_submitted:
        return False
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(leave_count=Attempt.leave_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    limit = attempt.contest.leave_limit
    if limit is not None and attempt.leave_count > limit and not attempt.is_submitted:
        submit(attempt, now)
        return True
    return False


def close_if_expired(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    if not attempt.is_submitted and is_expired(attempt, now, grace_seconds):
        submit(attempt, now)
        return True
    return False


def close_expired(contest_id: int | None, now: datetime, grace_seconds: float) -> int:
    """Submit every attempt (of one contest, or all) whose time ran out, so results never hang open."""
    query = select(Attempt).where(
        Attempt.submitted_at.is_(None),
        Attempt.deadline < now - timedelta(seconds=grace_seconds),
    )
    if contest_id is not None:
        query = query.where(Attempt.contest_id == contest_id)
    closed = 0
    for attempt in db.session.scalars(query).all():
        try:
            with db.session.begin_nested():
                submit(attempt, now)
            closed += 1
        except Conflict:
            pass  # closed meanwhile by its own request
    return closed


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
