"""Training (练习): one question at a time, immediate feedback, no clock, no ranking."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from question_bank.laws import article_text

from ..bank import queries as bank
from . import mistakes
from ..contests import scoring
from ..contests.attempts import shuffled_order
from ..contests.draws import drawable
from ..errors import Conflict, NotFound, QuizError
from ..extensions import db
from ..i18n import N_
from ..models import CAMPAIGNS_NEWEST_FIRST, Campaign, Category, PracticeAnswer, Question


def categories_with_counts() -> list[tuple[Category, int]]:
    counts = bank.drawable_counts()
    return [
        (category, counts.get(category.id, 0))
        for category in db.session.scalars(select(Category).order_by(Category.position))
        if counts.get(category.id)
    ]


def next_in_category(participant_id: int, category_id: int, rng: random.Random,
                     after: int | None = None) -> Question | None:
    """A random question of the category, among those this person has practised least."""
    practised = (
        select(PracticeAnswer.question_id, func.count(PracticeAnswer.id).label("times"))
        .where(PracticeAnswer.participant_id == participant_id)
        .group_by(PracticeAnswer.question_id)
        .subquery()
    )
    times = func.coalesce(practised.c.times, 0)
    rows = db.session.execute(
        select(Question.id, times)
        .outerjoin(practised, practised.c.question_id == Question.id)
        .where(Question.category_id == category_id, *drawable())
    ).all()
    candidates = [row for row in rows if row[0] != after] or rows
    if not candidates:
        return None
    fewest = min(t for _, t in candidates)
    chosen = rng.choice([qid for qid, t in candidates if t == fewest])
    return db.session.get(Question, chosen)


def next_mistake(participant_id: int, after: int | None = None) -> Question | None:
    """The oldest open question of the 错题本 (its current version), not the one just answered."""
    uids = mistakes.open_uids(participant_id)
    if not uids:
        return None
    questions = {
        q.uid: q
        for q in db.session.scalars(select(Question).where(Question.uid.in_(uids), *drawable()))
    }
    ordered = [questions[uid] for uid in uids if uid in questions]
    return next((q for q in ordered if q.id != after), ordered[0] if ordered else None)


# ---- practice sets: a fixed list of questions behind one shareable link ---------------------
#
# The link carries the list itself, signed with the app's SECRET_KEY (itsdangerous): nothing
# is stored, the same list always gives the same link, and nobody can make a link for a list
# of their own choosing or alter one (a changed token fails the signature). Question ids
# (uids) are kept, not version ids, so the link stays valid when a question is revised: the
# participant practises the current version.

SET_SALT = "practice-set"
SET_MAX = 50


def _set_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SET_SALT)


def set_token(uids: list[str]) -> str:
    """The signed token of a practice set (question uids in order, duplicates dropped)."""
    ordered = list(dict.fromkeys(uids))[:SET_MAX]
    return _set_serializer().dumps(ordered)


def set_uids(token: str) -> list[str] | None:
    """The uids of a practice-set token; None when the token is not one we signed."""
    try:
        value = _set_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        return None
    return value[:SET_MAX]


def set_question(uids: list[str], index: int) -> Question | None:
    """The current, active version of the set's ``index``-th question (None if retired)."""
    if not 0 <= index < len(uids):
        return None
    return db.session.scalar(select(Question).where(Question.uid == uids[index], *drawable()))


def identity_mode() -> str:
    """Who may practise: the newest campaign's setting (open when there is no campaign)."""
    mode = db.session.scalar(select(Campaign.practice_identity_mode).order_by(*CAMPAIGNS_NEWEST_FIRST).limit(1))
    return mode or "open"


def may_practise(participant, mode: str) -> bool:
    """In 名单 only a participant matched to the roster practises; someone known from an open
    contest is asked to sign up again."""
    return mode != "roster" or participant.roster_person_id is not None


# ---- what practice served: only those questions are graded -----------------------------------
#
# Grading reveals the answer, 解析 and 依据, so an arbitrary question id must not be graded
# (finding 4: one identity read the whole bank, open contests included, by posting ids).
# The ids practice served are kept in the phone's signed session, bound to the participant,
# newest last and few: a phone answers the page it shows, not one from an hour of pages ago.

SERVED_MAX = 20
NOT_SERVED = N_("请先打开题目再作答：这道题不是练习刚刚给您出的题。")


def remember_served(served: dict | None, participant_id: int, question_id: int) -> dict:
    """The session's served record with ``question_id`` added (a new participant starts afresh)."""
    ids = list(served["q"]) if isinstance(served, dict) and served.get("p") == participant_id else []
    if question_id in ids:
        ids.remove(question_id)
    return {"p": participant_id, "q": (ids + [question_id])[-SERVED_MAX:]}


def require_served(served: dict | None, participant_id: int, question_id: int) -> None:
    if not (isinstance(served, dict) and served.get("p") == participant_id
            and question_id in (served.get("q") or [])):
        raise QuizError(_(NOT_SERVED), status=409)


# ---- the shown order of options ---------------------------------------------------------------
#
# Practice shuffles options as contests do (``attempts.shuffled_order``), so nobody learns "the
# answer is B". The form submits the bank's own letters, so grading needs no stored order; the
# order travels back in a hidden field only to list the feedback as the phone showed it, and a
# forged one changes nothing but that listing.

# The bank's labels of a question's type (models.TYPE_LABELS), translated where practice shows
# them (``|tr``).
TYPE_LABELS = (N_("单选题"), N_("多选题"), N_("判断题"))


@dataclass(frozen=True)
class ShownOption:
    letter: str    # printed on the phone
    original: str  # the bank's letter, submitted by the form
    text: str


def shown_options(question: Question, order: list[int]) -> list[ShownOption]:
    return [ShownOption(scoring.LETTERS[i], scoring.LETTERS[o], question.options[o])
            for i, o in enumerate(order)]


def new_order(question: Question, rng: random.Random) -> list[int]:
    return shuffled_order(question, rng)


def parse_order(raw: str | None, count: int) -> list[int]:
    """The order a form sent back; the bank's own order when it is not a permutation."""
    try:
        order = [int(part) for part in (raw or "").split(",")]
    except ValueError:
        order = []
    return order if sorted(order) == list(range(count)) else list(range(count))


@dataclass(frozen=True)
class Feedback:
    question: Question
    chosen: str
    is_correct: bool
    basis_text: str | None
    streak_left: int | None  # right answers still needed to leave the 错题本, if it is in it
    order: list[int] | None = None  # as shown on the phone

    @property
    def shown(self) -> list[ShownOption]:
        return shown_options(self.question, self.order or list(range(len(self.question.options))))

    def _printed(self, originals: str) -> str:
        return "".join(sorted(o.letter for o in self.shown if o.original in originals))

    @property
    def answer_label(self) -> str:
        """The key in the letters shown (正确/错误 for a 判断题)."""
        if self.question.qtype == "judge":
            return self.question.answer_label
        return self._printed(self.question.answer)

    @property
    def chosen_label(self) -> str:
        if self.question.qtype == "judge":
            return N_("正确") if self.chosen == "A" else N_("错误")  # translated where shown
        return self._printed(self.chosen)


def answer(participant_id: int, question_id: int, letters: list[str], now: datetime,
           order: str | None = None) -> Feedback:
    question = db.session.get(Question, question_id)
    if question is None or not question.active:
        raise NotFound(_("这道题不存在或已停用。"))
    if not question.current:
        raise Conflict(_("这道题已更新，请重新作答。"))
    chosen = scoring.check_choice(question.qtype, letters, len(question.options))
    correct = chosen == question.answer
    db.session.add(PracticeAnswer(participant_id=participant_id, question_id=question.id,
                                  chosen=chosen, is_correct=correct, answered_at=now))
    mistake = mistakes.record(participant_id, question.uid, correct, now)
    db.session.flush()
    found = article_text(question.basis) if question.basis else None
    streak_left = None
    if mistake is not None and mistake.cleared_at is None:
        streak_left = mistakes.CLEAR_AFTER - mistake.right_streak
    return Feedback(question, chosen, correct, found[2] if found else None, streak_left,
                    parse_order(order, len(question.options)))
