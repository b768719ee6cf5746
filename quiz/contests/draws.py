"""Drawing a paper for an attempt.

Three ways, set on the contest: draw rules (category × type × count, optional
difficulty), a number of questions at random from chosen categories, or a fixed
paper. Within each pool the questions used least so far in this contest come
first (as Moodle's random questions do), ties broken at random, so that a
contest with many attempts covers its pool evenly. A question never appears
twice in one paper. The uses are counted per contest and question as papers
are drawn (``count_uses``), not recounted from the answers at each sign-up.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import QuizError
from ..extensions import db, upsert
from ..models import (
    TYPE_LABELS,
    Attempt,
    AttemptQuestion,
    Category,
    Contest,
    ContestQuestionUse,
    Question,
    contest_category,
)

TYPE_ORDER = {"single": 0, "multi": 1, "judge": 2}


@dataclass(frozen=True)
class Rule:
    category_id: int
    qtype: str
    count: int
    difficulty: int | None = None

    @classmethod
    def from_json(cls, raw: dict) -> "Rule":
        return cls(int(raw["category_id"]), str(raw["qtype"]), int(raw["count"]),
                   int(raw["difficulty"]) if raw.get("difficulty") else None)

    def to_json(self) -> dict:
        return {"category_id": self.category_id, "qtype": self.qtype, "count": self.count,
                "difficulty": self.difficulty}


_question = Question.__table__  # plain columns: a pool is read as hundreds of bare rows per sign-up


def drawable():
    """Conditions for a question that may be drawn: the current version, not retired."""
    return (_question.c.current.is_(True), _question.c.active.is_(True))


def _pool(category_ids, qtype: str | None = None, difficulty: int | None = None):
    """The ids of the drawable questions of these categories (ids, or a select of them)."""
    query = select(_question.c.id).where(*drawable(), _question.c.category_id.in_(category_ids))
    if qtype:
        query = query.where(_question.c.qtype == qtype)
    if difficulty:
        query = query.where(_question.c.difficulty == difficulty)
    return query


def pool_size(category_ids: list[int], qtype: str | None = None, difficulty: int | None = None) -> int:
    if not category_ids:
        return 0
    return db.session.scalar(select(func.count()).select_from(_pool(category_ids, qtype, difficulty).subquery())) or 0


def rule_problems(rules: list[Rule]) -> list[str]:
    """Why these rules cannot fill a paper (not enough questions), in Chinese."""
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    problems = []
    for rule in rules:
        available = pool_size([rule.category_id], rule.qtype, rule.difficulty)
        if available < rule.count:
            kind = _(TYPE_LABELS[rule.qtype])
            category = names.get(rule.category_id, "?")
            if rule.difficulty:
                problems.append(_("%(category)s难度 %(level)s 的%(kind)s只有 %(n)s 道，不足 %(count)s 道。",
                                  category=category, level=rule.difficulty, kind=kind, n=available,
                                  count=rule.count))
            else:
                problems.append(_("%(category)s%(kind)s只有 %(n)s 道，不足 %(count)s 道。",
                                  category=category, kind=kind, n=available, count=rule.count))
    return problems


def fixed_paper(uids: list[str]) -> tuple[list[Question], list[str]]:
    """The current versions of a fixed paper's questions, and the ids that cannot be used."""
    found = {
        q.uid: q for q in db.session.scalars(select(Question).where(Question.uid.in_(uids), *drawable()))
    }
    return [found[uid] for uid in uids if uid in found], [uid for uid in uids if uid not in found]


def _least_used(contest_id: int, pool, count: int, rng: random.Random, exclude: list[int]) -> list:
    """``count`` questions of the ``pool`` query (rows: id, qtype, options), the least used in
    this contest first, ties at random, in random order. The database sorts: a pool is
    hundreds of questions and a paper twenty, so only the paper's rows are read."""
    uses = ContestQuestionUse.__table__
    query = (
        pool.add_columns(_question.c.qtype, _question.c.options)
        .outerjoin(uses, (uses.c.question_id == _question.c.id) & (uses.c.contest_id == contest_id))
        .order_by(func.coalesce(uses.c.uses, 0), func.random())
        .limit(count)
    )
    if exclude:
        query = query.where(_question.c.id.not_in(exclude))
    rows = db.session.execute(query).all()
    if len(rows) < count:
        raise QuizError(_("题库中的题目不足，请联系组织者。"), status=503)
    rng.shuffle(rows)
    return rows


def count_uses(contest_id: int, question_ids: list[int]) -> None:
    """One more paper of the contest drew these questions (one upsert for all of them).

    In ascending id order: two sign-ups counting the same questions at once then lock the
    rows in the same order on PostgreSQL, so neither waits for the other in a deadlock.
    """
    table = ContestQuestionUse.__table__
    statement = upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.contest_id, table.c.question_id],
        set_={"uses": table.c.uses + 1},
    )
    db.session.execute(statement, [
        {"contest_id": contest_id, "question_id": qid, "uses": 1} for qid in sorted(question_ids)
    ])


def recount_uses(connection, contest_ids: list[int]) -> None:
    """Count these contests' papers afresh, after a bulk load wrote papers directly (demo data)."""
    table = ContestQuestionUse.__table__
    connection.execute(table.delete().where(table.c.contest_id.in_(contest_ids)))
    connection.execute(table.insert().from_select(
        ["contest_id", "question_id", "uses"],
        select(Attempt.contest_id, AttemptQuestion.question_id, func.count())
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.contest_id.in_(contest_ids))
        .group_by(Attempt.contest_id, AttemptQuestion.question_id),
    ))


def draw(contest: Contest, rng: random.Random):
    """This attempt's questions, in paper order: rows with id, qtype and options."""
    if contest.fixed_question_uids:
        questions, missing = fixed_paper(contest.fixed_question_uids)
        if missing:
            raise QuizError(_("试卷中有题目已停用，请联系组织者。"), status=503)
        return questions
    if not contest.draw_rules:
        categories = select(contest_category.c.category_id).where(contest_category.c.contest_id == contest.id)
        return _least_used(contest.id, _pool(categories), contest.question_count, rng, [])
    paper: list = []
    for rule in sorted((Rule.from_json(r) for r in contest.draw_rules), key=lambda r: TYPE_ORDER[r.qtype]):
        pool = _pool([rule.category_id], rule.qtype, rule.difficulty)
        paper.extend(_least_used(contest.id, pool, rule.count, rng, [row.id for row in paper]))
    return paper
