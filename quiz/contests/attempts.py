"""Rules of an attempt: drawing questions, the server-owned deadline, answers, scoring.

Functions take the session-bound objects — or, on the answer path, the plain rows
``Sheet`` and ``SheetItem`` with the same attribute names — and ``now`` (naive UTC), and
raise ``QuizError`` subclasses with the message the participant reads. They flush but
never commit: the caller decides the transaction.
"""
from __future__ import annotations

import random
import secrets
from contextlib import nullcontext
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import String, and_, bindparam, cast, exists, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from question_bank.laws import article_text

from ..i18n import N_
from .. import clock, results_cache
from . import draws, participants, scoring
from ..training import mistakes
from ..codes import new_code
from ..errors import Closed, Conflict, NotFound, QuizError, TooLate
from ..extensions import db
from ..models import (
    Attempt,
    AttemptQuestion,
    Contest,
    ContestPoints,
    Enterprise,
    Participant,
    Question,
    QuestionLabels,
)
from ..prepared import Prepared
from .scoring import LETTERS


def contest_state(contest: Contest, now: datetime) -> str:
    """'upcoming', 'open' or 'closed'."""
    if now < contest.opens_at:
        return "upcoming"
    if now >= contest.closes_at:
        return "closed"
    return "open"


# An organiser paused the contest (quiz/contests/lifecycle.py): answers, submissions and
# sign-ups are refused, and every open attempt's clock stands still at ``paused_at`` — on
# resuming, deadlines move later by the paused time.
PAUSED = N_("竞赛已暂停，计时已停止。请稍候，恢复后可继续作答。")


def require_open(contest: Contest, now: datetime) -> None:
    state = contest_state(contest, now)
    if state == "upcoming":
        raise Closed(_("本次竞赛尚未开始，请在开始时间之后再来。"), status=403)
    if state == "closed":
        raise Closed(_("本次竞赛已经结束，不能再答题。"))
    require_running(contest)


def require_running(contest: Contest | ContestRules) -> None:
    """Refuse (409, 竞赛已暂停) while the contest is paused."""
    if contest.paused_at is not None:
        raise QuizError(_(PAUSED), status=409)


def attempt_now(attempt: AttemptLike, now: datetime) -> datetime:
    """The time an attempt's clock reads: ``now``, or the moment its contest was paused."""
    paused = attempt.contest.paused_at
    return min(now, paused) if paused is not None else now


def shuffled_order(question, rng: random.Random) -> list[int]:
    """The shown order of a question's options (``question``: a drawn row or a Question)."""
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


def sign_up_and_start(contest: Contest, enterprise: Enterprise, identifier: str, name: str,
                      department: str, now: datetime, rng: random.Random | None = None,
                      device: str | None = None, address: str = "") -> Attempt:
    """A sign-up and its attempt (the one in progress, or a new one), with the paper drawn
    before the first write: on SQLite the write lock is then held for the writes alone, not
    for the draw's reads too — a hall signs up at once, and answers wait for that lock."""
    require_open(contest, now)
    rng = rng or new_rng()
    paper = draws.draw(contest, rng)  # unused if the person has an attempt in progress
    participant, created = participants.find_or_create(enterprise, identifier, name, department, now,
                                                       contest.identity_mode)
    return start_or_resume(contest, participant, now, rng, paper=paper, first=created,
                           device=device, address=address)


def new_rng() -> random.Random:
    """An attempt's shuffles: seeded from the OS's randomness once, not a system call per shuffle."""
    return random.Random(random.SystemRandom().getrandbits(128))


def start_or_resume(
    contest: Contest, participant: Participant, now: datetime, rng: random.Random | None = None,
    new: bool = False, paper: list | None = None, first: bool = False,
    device: str | None = None, address: str = "",
) -> Attempt:
    """The attempt in progress, else (with ``new``, or when there is none) a new one if allowed,
    with ``paper`` as its questions when the caller has drawn them. ``first``: the participant
    was created in this transaction, so has no attempt yet and nobody else can start one.
    A new attempt belongs to ``device`` (the phone's session token) from ``address``; an
    existing one is returned whichever phone holds it (the caller checks, see ``claim``)."""
    existing = None if first else find_attempt(contest, participant)
    if existing is not None and (not existing.is_submitted or not new):
        return existing
    require_open(contest, now)
    # Without an attempt yet there is one left (max_attempts >= 1): no need to count.
    if existing is not None and attempts_left(contest, participant, now) <= 0:
        if contest.attempts_per_day:
            raise Conflict(_("今天的 %(n)s 次答题机会已用完，明天再来。", n=contest.max_attempts))
        raise Conflict(_("本竞赛每人可答 %(n)s 次，您的次数已用完。", n=contest.max_attempts))
    rng = rng or new_rng()
    questions = paper if paper is not None else draws.draw(contest, rng)
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
        device=device,
        resume_code=new_resume_code(),
        client_address=(address or "")[:45],
    )
    try:
        # A savepoint only where two phones of one person may race (no race for a person
        # created in this very transaction: nobody else sees them yet).
        with nullcontext() if first else db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            # One executemany for the whole paper, into the table: the ORM's bulk path cost
            # more than the insert itself.
            db.session.execute(insert(AttemptQuestion.__table__), [
                dict(attempt_id=attempt.id, position=i + 1, question_id=q.id,
                     option_order=shuffled_order(q, rng), points=0)
                for i, q in enumerate(questions)
            ])
            draws.count_uses(contest.id, [q.id for q in questions])
    except IntegrityError:
        # The same person started on two phones at once: the other request won.
        other = find_attempt(contest, participant)
        if other is None or other is existing:
            raise
        return other
    return attempt


def new_resume_code() -> str:
    """A 续答码: six random digits, shown only on the phone that holds the attempt."""
    return f"{secrets.randbelow(10 ** 6):06d}"


def claim(attempt: Attempt, device: str) -> bool:
    """Whether the phone ``device`` holds the attempt: its own, or one that nobody holds (an
    enterprise admin's 换手机 cleared it), which this phone takes now — of two phones, one."""
    if attempt.device is None:
        taken = db.session.execute(
            update(Attempt).where(Attempt.id == attempt.id, Attempt.device.is_(None)).values(device=device)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            set_committed_value(attempt, "device", device)
        else:
            db.session.refresh(attempt, ["device"])
    return attempt.device == device


def move_to_device(attempt: Attempt, device: str, code: str) -> bool:
    """The 续答码 typed on another phone: when right, the attempt moves there (the old phone
    loses it) and gets a new code, so the old phone cannot take it back with the one it showed.
    An attempt no phone holds (换手机) goes to the next sign-up instead: the code the old
    phone showed must not take it back."""
    typed = (code or "").strip()
    if attempt.device is None or not attempt.resume_code or not secrets.compare_digest(attempt.resume_code, typed):
        return False
    attempt.device = device
    attempt.resume_code = new_resume_code()
    return True


def review_shown(contest: Contest, now: datetime) -> bool:
    """Whether a participant may see right answers, 解析 and 依据 (the contest's review
    setting): at once, once the contest has closed, or never. Score and which were wrong
    always show."""
    if contest.review_mode == "immediate":
        return True
    return contest.review_mode == "after_close" and now >= contest.closes_at


def items(attempt: Attempt) -> list[AttemptQuestion]:
    return list(
        db.session.scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
        )
    )


# The answer path runs ~20 times per person, all at once in a hall. It reads plain rows in
# statements built once here (an ORM load, or building a select, costs more than SQLite takes
# to run it): the attempt with its contest's rules in one statement, an item with its question
# in another. The rules below take either these rows or the ORM objects: the names are the same.


@dataclass(frozen=True)
class ContestRules(ContestPoints):
    """What answering needs of a contest."""

    id: int
    title: str
    per_question_seconds: int | None
    points_single: int
    points_multi: int
    points_judge: int
    multi_partial: bool
    pass_score: float | None
    paused_at: datetime | None
    leave_limit: int | None


@dataclass
class Sheet:
    """An attempt as answering sees it: its own columns and its contest's rules."""

    id: int
    participant_id: int
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None
    device: str | None  # the phone (session token) the attempt belongs to
    resume_code: str | None  # 续答码, shown on that phone
    leave_count: int  # times the page was left (the warning shows what remains)
    contest: ContestRules

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


@dataclass(frozen=True)
class QuestionFacts(QuestionLabels):
    """What showing and scoring an answer needs of a question (no 解析: not before submission)."""

    qtype: str
    stem: str
    options: list[str]
    answer: str


@dataclass(frozen=True)
class SheetItem:
    """A question of an attempt: its place, its shuffle, the answer given, its question."""

    id: int
    position: int
    option_order: list[int]
    chosen: str | None
    deadline: datetime | None
    question: QuestionFacts


class AttemptLike(Protocol):
    """An Attempt row or a Sheet."""

    id: int
    participant_id: int
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None

    @property
    def is_submitted(self) -> bool: ...

    @property
    def contest(self) -> Contest | ContestRules: ...


_a, _c, _q, _aq = Attempt.__table__, Contest.__table__, Question.__table__, AttemptQuestion.__table__
_SHEET_COLUMNS = (_a.c.id, _a.c.participant_id, _a.c.started_at, _a.c.deadline, _a.c.submitted_at, _a.c.device,
                  _a.c.resume_code, _a.c.leave_count)
_RULES_END = len(_SHEET_COLUMNS) + len(fields(ContestRules))
_SHEET = Prepared(
    select(*_SHEET_COLUMNS, *(_c.c[f.name] for f in fields(ContestRules)))
    .join_from(_a, _c, _c.c.id == _a.c.contest_id)
    .where(_a.c.id == bindparam("attempt_id"))
)
_ITEMS = (
    select(_aq.c.id, _aq.c.position, _aq.c.option_order, _aq.c.chosen, _aq.c.deadline,
           *(_q.c[f.name] for f in fields(QuestionFacts)))
    .join_from(_aq, _q, _q.c.id == _aq.c.question_id)
    .where(_aq.c.attempt_id == bindparam("attempt_id"))
)
_ITEM_AT = Prepared(_ITEMS.where(_aq.c.position == bindparam("position")))
_UNANSWERED = Prepared(_ITEMS.where(_aq.c.chosen.is_(None)).order_by(_aq.c.position))
_SHOW_ITEM = Prepared(  # per-question timing: the clock of a question starts once, when first shown
    update(_aq)
    .where(_aq.c.id == bindparam("item_id"), _aq.c.deadline.is_(None))
    .values(shown_at=bindparam("new_shown_at"), deadline=bindparam("new_deadline"))
)
# Every position with whether it is answered, and the whole item at (up to) two positions:
# one statement gives a screen what it shows, and an answer the item it saves.
_detail = _aq.alias("detail")
_PAPER = Prepared(
    select(_aq.c.position, _aq.c.chosen.is_not(None),
           _detail.c.id, _detail.c.position, _detail.c.option_order, _detail.c.chosen, _detail.c.deadline,
           *(_q.c[f.name] for f in fields(QuestionFacts)))
    .select_from(
        _aq.outerjoin(_detail, (_detail.c.id == _aq.c.id)
                      & _aq.c.position.in_([bindparam("first"), bindparam("second")]))
        .outerjoin(_q, _q.c.id == _detail.c.question_id)
    )
    .where(_aq.c.attempt_id == bindparam("attempt_id"))
    .order_by(_aq.c.position)
)
# A screen (showing a question, or answering one and showing the next) in one statement and
# one row: the attempt with its contest's rules, how many positions it has and which are
# answered (aggregated in the database: one row to convert instead of one per position), and
# the items at up to two positions with their questions.
_ITEM_COLUMNS = (_aq.c.id, _aq.c.position, _aq.c.option_order, _aq.c.chosen, _aq.c.deadline)
_QUESTION_COLUMNS = tuple(f.name for f in fields(QuestionFacts))
_ITEM_WIDTH = len(_ITEM_COLUMNS) + len(_QUESTION_COLUMNS)


def _joined(text):
    """Aggregate text joined with commas (SQLAlchemy's aggregate_strings makes the separator a
    literal rendered at execution, which a Prepared statement cannot have)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(text, literal_column("','"))
    return func.group_concat(text)


def _screen_statement():
    """Built once per dialect (the aggregate's name differs)."""
    screen = select(
        *_SHEET_COLUMNS,
        *(_c.c[f.name] for f in fields(ContestRules)),
        select(func.count()).where(_aq.c.attempt_id == _a.c.id).scalar_subquery(),
        select(_joined(cast(_aq.c.position, String)))
        .where(_aq.c.attempt_id == _a.c.id, _aq.c.chosen.is_not(None)).scalar_subquery(),
    ).join_from(_a, _c, _c.c.id == _a.c.contest_id)
    for name in ("first", "second"):
        item, question = _aq.alias(f"{name}_item"), _q.alias(f"{name}_question")
        screen = screen.add_columns(
            *(item.c[column.name] for column in _ITEM_COLUMNS), *(question.c[c] for c in _QUESTION_COLUMNS)
        ).outerjoin(item, and_(item.c.attempt_id == _a.c.id, item.c.position == bindparam(name))
        ).outerjoin(question, question.c.id == item.c.question_id)
    return screen.where(_a.c.id == bindparam("attempt_id"))


_SCREEN = Prepared(_screen_statement)
# A tap saved: the attempt with its contest's rules and the item at one position, in one
# statement and one row (no paper: nothing is shown in return).
_TAPPED_ITEM = _aq.alias("tapped_item")
_TAPPED_QUESTION = _q.alias("tapped_question")
_SHEET_AND_ITEM = Prepared(
    select(*_SHEET_COLUMNS, *(_c.c[f.name] for f in fields(ContestRules)),
           *(_TAPPED_ITEM.c[column.name] for column in _ITEM_COLUMNS),
           *(_TAPPED_QUESTION.c[c] for c in _QUESTION_COLUMNS))
    .join_from(_a, _c, _c.c.id == _a.c.contest_id)
    .outerjoin(_TAPPED_ITEM, and_(_TAPPED_ITEM.c.attempt_id == _a.c.id,
                                  _TAPPED_ITEM.c.position == bindparam("position")))
    .outerjoin(_TAPPED_QUESTION, _TAPPED_QUESTION.c.id == _TAPPED_ITEM.c.question_id)
    .where(_a.c.id == bindparam("attempt_id"))
)
_SAVE_ANSWER = Prepared(
    update(_aq)
    .where(
        _aq.c.id == bindparam("item_id"),
        # Only while the attempt is open: an answer racing a submission never changes a result.
        exists().where(_a.c.id == bindparam("open_attempt_id"), _a.c.submitted_at.is_(None)),
    )
    .values(
        chosen=bindparam("new_chosen"), is_correct=bindparam("new_is_correct"),
        points=bindparam("new_points"), answered_at=bindparam("new_answered_at"),
    )
)


def load_sheet(attempt_id: int) -> Sheet | None:
    row = _SHEET.first(attempt_id=attempt_id)
    if row is None:
        return None
    return _sheet(row)


def _sheet(row) -> Sheet:
    start = len(_SHEET_COLUMNS)
    return Sheet(*row[:start], contest=ContestRules(*row[start:_RULES_END]))


def _sheet_item(row) -> SheetItem:
    return SheetItem(*row[:5], question=QuestionFacts(*row[5:]))


@dataclass(frozen=True)
class Progress:
    position: int
    answered: bool


@dataclass(frozen=True)
class Paper:
    """An attempt's positions (answered or not) and the items read in full."""

    progress: list[Progress]
    items: dict[int, SheetItem]

    def with_answer(self, item: SheetItem) -> "Paper":
        """The paper after ``item`` was saved (without reading it again)."""
        return Paper(
            [Progress(p.position, p.answered or p.position == item.position) for p in self.progress],
            {**self.items, item.position: item},
        )


def paper(attempt: AttemptLike, *positions: int) -> Paper:
    """Which positions are answered, and the items at up to two ``positions`` with their questions."""
    first, second = (*positions, -1, -1)[:2]
    rows = _PAPER.rows(attempt_id=attempt.id, first=first, second=second)
    return Paper(
        [Progress(row[0], bool(row[1])) for row in rows],
        {row[0]: _sheet_item(row[2:]) for row in rows if row[2] is not None},
    )


def load_item(attempt_id: int, position: int) -> tuple[Sheet, SheetItem | None] | None:
    """The attempt and its item at ``position`` (None if the paper has none there), in one
    statement: what saving a tap needs."""
    row = _SHEET_AND_ITEM.first(attempt_id=attempt_id, position=position)
    if row is None:
        return None
    item = _sheet_item(row[_RULES_END:]) if row[_RULES_END] is not None else None
    return _sheet(row), item


def load_screen(attempt_id: int, *positions: int) -> tuple[Sheet, Paper] | None:
    """The attempt and its paper with the items at up to two ``positions``, in one statement:
    what ``load_sheet`` and ``paper`` read together."""
    first, second = (*positions, -1, -1)[:2]
    row = _SCREEN.first(attempt_id=attempt_id, first=first, second=second)
    if row is None:
        return None
    sheet = _sheet(row)
    count, answered = row[_RULES_END], row[_RULES_END + 1]
    done = {int(p) for p in answered.split(",")} if answered else set()
    items = {}
    for start in (_RULES_END + 2, _RULES_END + 2 + _ITEM_WIDTH):
        if row[start] is not None:
            item = _sheet_item(row[start:start + _ITEM_WIDTH])
            items[item.position] = item
    # Positions are 1…count: a paper is inserted in one piece and never renumbered.
    return sheet, Paper([Progress(p, p in done) for p in range(1, count + 1)], items)


def progress(attempt: AttemptLike) -> list[Progress]:
    """Which positions are answered (the nav on every screen)."""
    return paper(attempt).progress


def item_at(attempt: AttemptLike, position: int) -> SheetItem | None:
    row = _ITEM_AT.first(attempt_id=attempt.id, position=position)
    return _sheet_item(row) if row is not None else None


def seconds_left(attempt: AttemptLike, now: datetime, item: SheetItem | None = None) -> int:
    """Seconds the participant has: to the attempt's deadline, or the question's if it has one."""
    deadline = attempt.deadline
    if item is not None and item.deadline is not None:
        deadline = min(deadline, item.deadline)
    return max(0, int((deadline - now).total_seconds()))


def per_question(attempt: AttemptLike) -> bool:
    return bool(attempt.contest.per_question_seconds)


def current_item(attempt: AttemptLike, now: datetime, grace_seconds: float) -> SheetItem | None:
    """Per-question timing: the question to show now. Its clock starts when first shown;
    a question whose time ran out is left behind unanswered. None: the paper is done."""
    for row in _UNANSWERED.rows(attempt_id=attempt.id):
        item = _sheet_item(row)
        if item.deadline is None:
            deadline = now + timedelta(seconds=attempt.contest.per_question_seconds)
            started = _SHOW_ITEM.rowcount(item_id=item.id, new_shown_at=now, new_deadline=deadline)
            # Two phones showing it at once: the clock the other one started counts.
            return replace(item, deadline=deadline) if started else item_at(attempt, item.position)
        if now <= item.deadline + timedelta(seconds=grace_seconds):
            return item
    return None


def is_expired(attempt: AttemptLike, now: datetime, grace_seconds: float) -> bool:
    return now > attempt.deadline + timedelta(seconds=grace_seconds)


@dataclass(frozen=True)
class ShownOption:
    letter: str  # the letter printed on this participant's screen
    text: str


def shown_options(item: SheetItem | AttemptQuestion) -> list[ShownOption]:
    return [
        ShownOption(LETTERS[i], item.question.options[original])
        for i, original in enumerate(item.option_order)
    ]


def to_original(item: SheetItem | AttemptQuestion, shown_letters: list[str]) -> str:
    """Letters as shown on the phone → letters of the bank question, sorted."""
    count = len(item.option_order)
    originals = set()
    for letter in shown_letters:
        index = LETTERS.find(letter)
        if len(letter) != 1 or index < 0 or index >= count:
            raise QuizError(_("所选选项不存在，请重新选择。"))
        originals.add(LETTERS[item.option_order[index]])
    if len(originals) != len(shown_letters):  # the same option twice is a forged form
        raise QuizError(_("同一选项不能重复选择。"))
    return "".join(sorted(originals))


def to_shown(item: SheetItem | AttemptQuestion, original_letters: str | None) -> str:
    if not original_letters:
        return ""
    shown = [LETTERS[item.option_order.index(LETTERS.index(c))] for c in original_letters]
    return "".join(sorted(shown))


def save_answer(
    attempt: AttemptLike, position: int, shown_letters: list[str], now: datetime, grace_seconds: float,
    item: SheetItem | None = None, may_clear: bool = False,
) -> SheetItem:
    """Store an answer the moment it is given; answering again replaces it until submission.

    ``item``: the item at ``position`` when the caller has read it already (with its paper).
    A 多选 with one option ticked is stored as it is (交卷 lists it as incomplete): nothing
    ticked is lost by moving on. ``may_clear``: no letters clears the answer (every box of a
    多选 unticked). Per-question timing takes only a whole answer, once.
    """
    if attempt.is_submitted:
        raise Conflict(_("试卷已提交，答案不能再修改。"))
    require_running(attempt.contest)
    if is_expired(attempt, now, grace_seconds):
        submit(attempt, now, reason="time")
        raise TooLate(_("答题时间已到，本题答案未被接受，试卷已自动提交。"))
    item = item or item_at(attempt, position)
    if item is None:
        raise NotFound(_("该题不在您的试卷中。"))
    if per_question(attempt):
        if item.deadline is None:
            raise QuizError(_("请按顺序作答。"), status=409)
        if item.chosen is not None:
            raise Conflict(_("本题已作答，逐题计时的竞赛不能修改答案。"))
        if now > item.deadline + timedelta(seconds=grace_seconds):
            raise TooLate(_("本题时间已到，答案未被接受。"))
    timed_each = per_question(attempt)
    if may_clear and not timed_each and not any(shown_letters):
        if not _SAVE_ANSWER.rowcount(item_id=item.id, open_attempt_id=attempt.id, new_chosen=None,
                                     new_is_correct=None, new_points=0.0, new_answered_at=None):
            raise Conflict(_("试卷已提交，答案不能再修改。"))
        return replace(item, chosen=None)
    shown = scoring.check_choice(item.question.qtype, shown_letters, len(item.option_order),
                                 partial=not timed_each)
    original = to_original(item, list(shown))
    points = scoring.points(item.question, original, attempt.contest)
    updated = _SAVE_ANSWER.rowcount(
        item_id=item.id, open_attempt_id=attempt.id, new_chosen=original,
        new_is_correct=original == item.question.answer, new_points=points, new_answered_at=now,
    )
    if not updated:
        raise Conflict(_("试卷已提交，答案不能再修改。"))
    return replace(item, chosen=original)


def incomplete(attempt: AttemptLike) -> list[int]:
    """Positions of 多选 answered with a single option (the 交卷 screen lists them)."""
    return list(db.session.scalars(
        select(AttemptQuestion.position)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt.id, Question.qtype == "multi",
               func.length(AttemptQuestion.chosen) == 1)
        .order_by(AttemptQuestion.position)
    ))


_SCORE = Prepared(
    select(func.count(_aq.c.id).filter(_aq.c.is_correct.is_(True)), func.coalesce(func.sum(_aq.c.points), 0))
    .where(_aq.c.attempt_id == bindparam("attempt_id"))
)
# Only an open attempt is closed: of two submits at the same moment exactly one wins.
_CLOSE = Prepared(
    update(_a)
    .where(_a.c.id == bindparam("attempt_id"), _a.c.submitted_at.is_(None))
    .values(**{name: bindparam(f"new_{name}") for name in (
        "submitted_at", "correct_count", "score", "passed", "time_used_ms", "certificate_no", "end_reason")})
)


def submit(attempt: AttemptLike, now: datetime, reason: str | None = None) -> AttemptLike:
    """Score and close the attempt. Late closing (sweep, next visit) counts up to the deadline.
    ``reason``: why it is submitted for the participant ('leave', 'time'), None for 交卷.

    The closing UPDATE only matches an open attempt, so of two submits at the same
    moment exactly one wins; the other is told the paper is already in.
    """
    if attempt.is_submitted:
        raise Conflict(_("试卷已提交，不能重复提交。"))
    submitted_at = min(now, attempt.deadline)
    correct, score = _SCORE.first(attempt_id=attempt.id)
    score = scoring.clamp(score)
    pass_score = attempt.contest.pass_score
    passed = None if pass_score is None else score >= pass_score
    values = dict(
        submitted_at=submitted_at,
        correct_count=correct,
        score=score,
        passed=passed,
        time_used_ms=int((submitted_at - attempt.started_at).total_seconds() * 1000),
        certificate_no=certificate_number() if passed else None,
        end_reason=reason,
    )
    closed = _CLOSE.rowcount(attempt_id=attempt.id, **{f"new_{key}": value for key, value in values.items()})
    if not closed:
        values = {"submitted_at": db.session.scalar(select(_a.c.submitted_at).where(_a.c.id == attempt.id))}
    # What is stored, on the object in hand, without reading it back.
    for key, value in values.items():
        if isinstance(attempt, Attempt):
            set_committed_value(attempt, key, value)
        elif hasattr(attempt, key):
            setattr(attempt, key, value)
    if not closed:
        raise Conflict(_("试卷已提交，不能重复提交。"))
    mistakes.record_attempt(attempt.participant_id, attempt.id, now)
    db.session.flush()
    results_cache.invalidate_on_commit(db.session)
    return attempt


def certificate_number() -> str:
    """Unguessable, so the public verification page cannot be walked through."""
    return "SQ" + new_code(10)


def record_leave(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    """Count one leaving of the page; True when that exceeds the contest's limit and submits."""
    if attempt.is_submitted or attempt.contest.paused_at is not None:
        return False  # the phone put away while the contest is paused is not a leave
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(leave_count=Attempt.leave_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    limit = attempt.contest.leave_limit
    if limit is not None and attempt.leave_count > limit and not attempt.is_submitted:
        submit(attempt, now, reason="leave")
        return True
    return False


def leaves_to_submit(contest, leave_count: int) -> int | None:
    """After ``leave_count`` leaves, the how-manieth further leave submits (None: no limit):
    the leave that passes the limit does — with a limit of 2, the third."""
    if contest.leave_limit is None:
        return None
    return max(1, contest.leave_limit - leave_count + 1)


def close_if_expired(attempt: AttemptLike, now: datetime, grace_seconds: float) -> bool:
    if not attempt.is_submitted and is_expired(attempt, attempt_now(attempt, now), grace_seconds):
        submit(attempt, now, reason="time")
        return True
    return False


def close_expired(contest_id: int | None, now: datetime, grace_seconds: float) -> int:
    """Submit every attempt (of one contest, or all) whose time ran out, so results never hang open."""
    query = select(Attempt).join(Contest, Contest.id == Attempt.contest_id).where(
        Attempt.submitted_at.is_(None),
        Attempt.deadline < now - timedelta(seconds=grace_seconds),
        Contest.paused_at.is_(None),  # a paused contest's clocks stand still
    )
    if contest_id is not None:
        query = query.where(Attempt.contest_id == contest_id)
    closed = 0
    for attempt in db.session.scalars(query).all():
        try:
            with db.session.begin_nested():
                submit(attempt, now, reason="time")
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


def review(item: AttemptQuestion, with_key: bool = True) -> Review:
    """``with_key`` False: what was chosen and whether it was right, but not the right answer
    or its 依据 (the review setting hides them; the template hides the 解析)."""
    chosen = to_shown(item, item.chosen)
    right = to_shown(item, item.question.answer) if with_key else ""
    found = article_text(item.question.basis) if item.question.basis and with_key else None
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
