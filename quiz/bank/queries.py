"""Rules of the question bank: versions, retiring, searching, item figures.

A question that has been answered (in a contest, in practice or in a live round) is never
changed in place: ``revise`` adds a new version and the old row stays for the
results that asked it.
"""
from __future__ import annotations

from dataclasses import dataclass

import json

from sqlalchemy import String, case, cast, exists, func, select
from sqlalchemy.orm import joinedload

from ..contests.draws import drawable
from ..extensions import db
from ..models import AttemptQuestion, Category, LiveQuestion, PracticeAnswer, Question

EDITABLE = (
    "category_id", "qtype", "stem", "options", "answer", "explanation",
    "basis", "difficulty", "tags",
)


def is_answered(question_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    AttemptQuestion.question_id == question_id,
                    AttemptQuestion.chosen.is_not(None),
                )
                | exists().where(PracticeAnswer.question_id == question_id)
                # Asked in a live round: the hall saw it, the export must show what it saw.
                | exists().where(LiveQuestion.question_id == question_id,
                                 LiveQuestion.started_at.is_not(None))
            )
        )
    )


def answered_ids(question_ids: list[int]) -> set[int]:
    """Which of these question versions have been answered (``is_answered`` for many at once)."""
    found: set[int] = set()
    for start in range(0, len(question_ids), 500):
        chunk = question_ids[start:start + 500]
        found.update(db.session.scalars(select(AttemptQuestion.question_id).where(
            AttemptQuestion.question_id.in_(chunk), AttemptQuestion.chosen.is_not(None)).distinct()))
        found.update(db.session.scalars(select(PracticeAnswer.question_id).where(
            PracticeAnswer.question_id.in_(chunk)).distinct()))
        found.update(db.session.scalars(select(LiveQuestion.question_id).where(
            LiveQuestion.question_id.in_(chunk), LiveQuestion.started_at.is_not(None)).distinct()))
    return found


def current_version(uid: str) -> Question | None:
    return db.session.scalar(select(Question).where(Question.uid == uid, Question.current.is_(True)))


def revise(question: Question, values: dict, answered: bool | None = None) -> Question:
    """Apply an edit; returns the row that now holds the question (a new version if answered).
    ``answered``: already known (see ``answered_ids``), else looked up."""
    changed = {k: v for k, v in values.items() if k in EDITABLE and getattr(question, k) != v}
    if not changed:
        return question
    if not (is_answered(question.id) if answered is None else answered):
        for key, value in changed.items():
            setattr(question, key, value)
        db.session.flush()
        return question
    question.current = False
    db.session.flush()  # the old row leaves "current" before the new one arrives
    successor = Question(
        uid=question.uid,
        version=question.version + 1,
        current=True,
        source=question.source,
        active=question.active,
        **{key: changed.get(key, getattr(question, key)) for key in EDITABLE},
    )
    db.session.add(successor)
    db.session.flush()
    return successor


def set_active(question: Question, active: bool) -> None:
    """Retire (or bring back) a question: retired questions are never drawn or practised."""
    question.active = active
    db.session.flush()


@dataclass
class BankFilter:
    text: str = ""
    category_id: int | None = None
    qtype: str | None = None
    difficulty: int | None = None
    tag: str = ""
    source: str = ""
    status: str = "active"  # active | retired | all


def search(f: BankFilter):
    """The current versions matching the filter, as a select (paginate it)."""
    query = select(Question).where(Question.current.is_(True)).options(joinedload(Question.category))
    if f.text:
        query = query.where(Question.stem.contains(f.text, autoescape=True))
    if f.category_id:
        query = query.where(Question.category_id == f.category_id)
    if f.qtype:
        query = query.where(Question.qtype == f.qtype)
    if f.difficulty:
        query = query.where(Question.difficulty == f.difficulty)
    if f.tag:
        # Tags are a JSON list stored as text (ensure_ascii off, see config): match the quoted tag.
        quoted = json.dumps(f.tag, ensure_ascii=False)
        query = query.where(cast(Question.tags, String).contains(quoted, autoescape=True))
    if f.source:
        query = query.where(Question.source == f.source)
    if f.status == "active":
        query = query.where(Question.active.is_(True))
    elif f.status == "retired":
        query = query.where(Question.active.is_(False))
    return query.order_by(Question.category_id, Question.uid)


def drawable_counts(by_type: bool = False) -> dict:
    """Questions that can be drawn or practised: category id → count, or (category id, type) → count."""
    keys = (Question.category_id, Question.qtype) if by_type else (Question.category_id,)
    rows = db.session.execute(
        select(*keys, func.count(Question.id)).where(*drawable()).group_by(*keys)
    ).all()
    return {(row[:-1] if by_type else row[0]): row[-1] for row in rows}


def sources() -> list[str]:
    return list(db.session.scalars(select(Question.source).distinct().order_by(Question.source)))


@dataclass(frozen=True)
class ItemFigures:
    answered: int
    right: int

    @property
    def facility(self) -> float | None:
        return self.right / self.answered if self.answered else None


def figures(question_ids: list[int]) -> dict[int, ItemFigures]:
    """How often each question version was answered in contests, and how often right."""
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(
            AttemptQuestion.question_id,
            func.count(AttemptQuestion.id),
            func.sum(case((AttemptQuestion.is_correct.is_(True), 1), else_=0)),
        )
        .where(AttemptQuestion.question_id.in_(question_ids), AttemptQuestion.chosen.is_not(None))
        .group_by(AttemptQuestion.question_id)
    ).all()
    found = {qid: ItemFigures(int(n), int(right or 0)) for qid, n, right in rows}
    return {qid: found.get(qid, ItemFigures(0, 0)) for qid in question_ids}


def versions(uid: str) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.uid == uid).order_by(Question.version.desc())))


def category_by_name(name: str, create: bool = True) -> Category | None:
    category = db.session.scalar(select(Category).where(Category.name == name))
    if category is None and create:
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        category = Category(name=name, position=position)
        db.session.add(category)
        db.session.flush()
    return category

