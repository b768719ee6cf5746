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
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from .errors import QuizError
from .extensions import db, upsert
from .models import (
    TYPE_LABELS, Attempt, AttemptQuestion, Category, Contest, ContestQuestionUse, Question, contest_category,
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
            level = f"难度 {rule.difficulty} 的" if rule.difficulty else ""
            problems.append(
                f"{names.get(rule.category_id, '?')}{level}{TYPE_LABELS[rule.qtype]}只有 {available} 道，"
                f"不足 {rule.count} 道。"
            )
    return problems


def fixed_paper(uids: list[str]) -> tuple[list[Question], list[str]]:
    """The current versions of a fixed paper's questions, and the ids that cannot be used."""
    found = {
        q.uid: q for q in db.session.scalars(select(Question).where(Question.uid.in_(uids), *drawable()))
    }
    return [found[uid] for uid in uids if uid in found], [uid for uid in uids if uid not in found]


def _pool_uses(contest_id: int, pool) -> list[tuple[int, int]]:
    """(question id, papers of this contest that drew it) for every question of the ``pool`` query."""
    uses = ContestQuestionUse.__table__
    return db.session.execute(
        pool.add_columns(func.coalesce(uses.c.uses, 0))
        .outerjoin(uses, (uses.c.question_id == _question.c.id) & (uses.c.contest_id == contest_id))
    ).all()


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


def _least_used(pool: list[tuple[int, int]], count: int, rng: random.Random) -> list[int]:
    """``count`` ids, the least used first; among equally used ones at random, in random order."""
    by_uses: dict[int, list[int]] = defaultdict(list)
    for qid, uses in pool:
        by_uses[uses].append(qid)
    chosen: list[int] = []
    for level in sorted(by_uses):
        chosen.extend(rng.sample(by_uses[level], min(count - len(chosen), len(by_uses[level]))))
        if len(chosen) == count:
            break
    return chosen


def draw(contest: Contest, rng: random.Random):
    """This attempt's questions, in paper order: rows with id, qtype and options."""
    if contest.fixed_question_uids:
        questions, missing = fixed_paper(contest.fixed_question_uids)
        if missing:
            raise QuizError("试卷中有题目已停用，请联系组织者。", status=503)
        return questions
    chosen: list[int] = []
    if contest.draw_rules:
        rules = sorted((Rule.from_json(r) for r in contest.draw_rules), key=lambda r: TYPE_ORDER[r.qtype])
        for rule in rules:
            pool = [(qid, uses) for qid, uses in _pool_uses(contest.id, _pool([rule.category_id], rule.qtype,
                                                                              rule.difficulty))
                    if qid not in chosen]
            if len(pool) < rule.count:
                raise QuizError("题库中的题目不足，请联系组织者。", status=503)
            chosen.extend(_least_used(pool, rule.count, rng))
    else:
        categories = select(contest_category.c.category_id).where(contest_category.c.contest_id == contest.id)
        pool = _pool_uses(contest.id, _pool(categories))
        if len(pool) < contest.question_count:
            raise QuizError("题库中的题目不足，请联系组织者。", status=503)
        chosen = _least_used(pool, contest.question_count, rng)
        rng.shuffle(chosen)
    by_id = {row.id: row for row in db.session.execute(
        select(_question.c.id, _question.c.qtype, _question.c.options).where(_question.c.id.in_(chosen)))}
    return [by_id[qid] for qid in chosen]
