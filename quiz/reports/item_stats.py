"""Item statistics (试题分析): which knowledge the participants have, question by question.

Scope
    The counted attempts of the campaign's contests — one per participant and contest,
    chosen as the contest's ranking says (``best``: score desc, time used asc, submitted
    asc, id asc; ``latest``: submitted desc, id desc), exactly as the league tables count
    them (voided attempts and people left out) — optionally only one enterprise's participants.
Item score
    Each question of a counted attempt is an item response
    x = points ÷ the question's full points in its contest, so 0…1 with partial credit.
    Full points are earned only by a right answer (``is_correct``), and a score between 0
    and full marks exists only for a 多选 with partial credit (:func:`scoring.points`), so
    x = 1 when right, points ÷ the contest's 多选 points when partly right, else 0
    (unanswered included).
Attempt total
    T = Σ x over the attempt's items. Read from the attempt row, not re-summed from its
    answers: all-or-nothing contests give T = correct_count; with partial credit and the
    same points for every type, T = score ÷ points. Only a contest with partial credit and
    different points per type has its totals summed from its answers.
Facility (难度/答对率)
    mean x: the share answered right (partial answers count by their share).
Discrimination index (区分度)
    As Moodle's quiz statistics compute it: the corrected item–total correlation, i.e. the
    Pearson correlation of x with the rest of the attempt, y = T − x, over the attempts
    that had the item. None when fewer than 2 attempts had it or when x or y does not vary.
    Below :data:`MIN_DISCRIMINATION_ANSWERS` answers the value is computed but not shown (page
    and export say 样本不足): from a handful of answers it swings anywhere between −1 and 1.
    Computed from sums: ONE SQL aggregate per scope returns per question n, Σx, Σx², ΣT,
    ΣT², ΣxT and the number right; Σy, Σy² and Σxy follow from them, and the formula is
    finished here (:func:`pearson`).
Categories
    A category pools the answers to its questions: facility = mean x over all of them;
    discrimination = the same corrected item–total correlation over all those answers (each
    answer's x against the rest of its own attempt, T − x). Its sums are the sums of its
    questions' sums, so no second pass over the answers is needed. (Treating the category
    as one item — the attempt's mean over the category against T minus the category's sum —
    would need every answer grouped a second time, by attempt and category: on SQLite a
    second sort of 2 million rows, about as long as the whole aggregate.)
Wrong answers
    answers − right answers (a partly right 多选 and an unanswered question are wrong).
    The training list: the 10 questions with most wrong answers; ties by lower facility,
    then by question id (:func:`top_wrong`).

Questions are counted per version (a revised question is another item); the practice set
built from the list uses the current version of each question id (uid).

Speed: the aggregate reads the counted attempts (one window over the campaign's attempts),
then their answers through the covering index ``ix_attempt_question_scores`` (attempt_id,
question_id, is_correct, points; migration 0006) without touching the table, and groups by
question. Results go through :func:`results_cache.cached`. Measured on the ``flask demo big``
campaign (100 000 counted attempts, 2 million answers) on the 2-core machine: SQLite about
2.0 s of CPU (the 2-million-row GROUP BY is a sort there), PostgreSQL about 1.2 s (a hash
aggregate over an index-only scan); one enterprise 0.03 s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Float, and_, case, cast, func, literal, select

from ..league import tables as league_tables
from ..league.tables import N_
from .. import results_cache
from ..extensions import db
from ..models import Attempt, AttemptQuestion, Category, Contest, Question

TOP_WRONG = 10
HIGHLIGHT = 0.10  # an enterprise's facility this far from the overall one is highlighted
# A discrimination index from fewer answers than this is shown as 样本不足, not as a number:
# its standard error is about 1/√n, so below 30 answers a good item can read as −0.3.
MIN_DISCRIMINATION_ANSWERS = 30
TOO_FEW = N_("样本不足")  # shown translated: gettext(TOO_FEW)

@dataclass(frozen=True)
class Sums:
    """Additive sums of (x, T) over item responses; y = T − x is derived."""

    n: int = 0
    right: int = 0
    sx: float = 0.0
    sxx: float = 0.0
    st: float = 0.0
    stt: float = 0.0
    sxt: float = 0.0

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.n + other.n, self.right + other.right, self.sx + other.sx,
                    self.sxx + other.sxx, self.st + other.st, self.stt + other.stt,
                    self.sxt + other.sxt)

    @property
    def facility(self) -> float | None:
        return self.sx / self.n if self.n else None

    @property
    def discrimination(self) -> float | None:
        # y = T − x: Σy = ΣT − Σx; Σy² = ΣT² − 2ΣxT + Σx²; Σxy = ΣxT − Σx².
        sy = self.st - self.sx
        syy = self.stt - 2 * self.sxt + self.sxx
        sxy = self.sxt - self.sxx
        return pearson(self.n, self.sx, self.sxx, sy, syy, sxy)


def pearson(n: int, sx: float, sxx: float, sy: float, syy: float, sxy: float) -> float | None:
    """Pearson's r from sums; None when n < 2 or either variable does not vary."""
    if n < 2:
        return None
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    tolerance = 1e-9 * n * n
    if var_x <= tolerance or var_y <= tolerance:
        return None
    r = (n * sxy - sx * sy) / math.sqrt(var_x * var_y)
    return max(-1.0, min(1.0, r))


class _FromSums:
    """The figures every row (question or category) derives from its sums."""

    sums: Sums

    @property
    def answers(self) -> int:
        return self.sums.n

    @property
    def right(self) -> int:
        return self.sums.right

    @property
    def wrong(self) -> int:
        return self.sums.n - self.sums.right

    @property
    def facility(self) -> float | None:
        return self.sums.facility

    @property
    def discrimination(self) -> float | None:
        return self.sums.discrimination

    @property
    def too_few_answers(self) -> bool:
        """Too few answers for the discrimination index to mean anything (样本不足)."""
        return self.sums.n < MIN_DISCRIMINATION_ANSWERS


@dataclass(frozen=True)
class QuestionFigures(_FromSums):
    question_id: int
    uid: str
    version: int
    category_id: int
    category: str
    qtype: str
    stem: str
    sums: Sums


@dataclass(frozen=True)
class CategoryFigures(_FromSums):
    category_id: int
    name: str
    position: int
    questions: int
    sums: Sums


@dataclass(frozen=True)
class ItemStats:
    questions: list[QuestionFigures] = field(default_factory=list)  # by facility asc, then id
    categories: list[CategoryFigures] = field(default_factory=list)  # by category position

    @property
    def answers(self) -> int:
        return sum(q.answers for q in self.questions)



# ---- the aggregate --------------------------------------------------------------------


def _item_score(is_correct, points, multi_points):
    return case(
        (is_correct.is_(True), literal(1.0, Float)),
        (points > 0, cast(points, Float) / cast(multi_points, Float)),
        else_=literal(0.0, Float),
    )


def counted_attempts(campaign_id: int, enterprise_id: int | None = None, since=None, until=None, *,
                     with_totals: bool = True):
    """A CTE of the counted attempts in scope: attempt_id, score, max_score, the contest's
    多选 points (``pm``) and the attempt total T (``t``). Counted among the attempts in scope
    (``since <= submitted_at < until``, naive UTC): :func:`league_tables.scoped_attempts`
    decides which attempt counts, for the league tables and here alike.
    Without ``with_totals`` the column ``t`` is NULL (and costs nothing)."""
    contests = [] if not with_totals else db.session.execute(
        select(Contest.id, Contest.multi_partial, Contest.points_single, Contest.points_multi,
               Contest.points_judge).where(Contest.campaign_id == campaign_id)
    ).all()
    # Contests whose totals must be summed from the answers (see the module docstring).
    summed = [c.id for c in contests if c.multi_partial and not (
        c.points_single == c.points_multi == c.points_judge and c.points_multi > 0)]
    scoped = league_tables.scoped_attempts(campaign_id, None, enterprise_id, since, until,
                                           with_enterprise=False)
    multi_points = func.nullif(Contest.points_multi, 0)
    total_whens = [
        (Contest.multi_partial.is_(False), cast(scoped.c.correct_count, Float)),
        (and_(Contest.points_single == Contest.points_multi, Contest.points_judge == Contest.points_multi,
              Contest.points_multi > 0),
         cast(scoped.c.score, Float) / cast(multi_points, Float)),
    ]
    query = (
        select(scoped.c.attempt_id, scoped.c.score, scoped.c.max_score, multi_points.label("pm"))
        .select_from(scoped)
        .join(Contest, Contest.id == scoped.c.contest_id)
        .where(scoped.c.counted == 1)
    )
    if not with_totals:
        total = literal(None, Float)
    elif summed:
        x = _item_score(AttemptQuestion.is_correct, AttemptQuestion.points, multi_points)
        from_answers = (
            select(AttemptQuestion.attempt_id, func.sum(x).label("total"))
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .join(Contest, Contest.id == Attempt.contest_id)
            .where(Contest.id.in_(summed))
            .group_by(AttemptQuestion.attempt_id)
            .subquery("from_answers")
        )
        query = query.outerjoin(from_answers, from_answers.c.attempt_id == scoped.c.attempt_id)
        total = case(*total_whens, else_=func.coalesce(from_answers.c.total, 0.0))
    else:
        total = case(*total_whens, else_=literal(0.0, Float))
    return query.add_columns(total.label("t")).cte("counted").prefix_with("MATERIALIZED")


def _compute(campaign_id: int, enterprise_id: int | None) -> ItemStats:
    counted = counted_attempts(campaign_id, enterprise_id)
    x = _item_score(AttemptQuestion.is_correct, AttemptQuestion.points, counted.c.pm)
    items = (
        select(
            AttemptQuestion.question_id,
            x.label("x"),
            counted.c.t,
            case((AttemptQuestion.is_correct.is_(True), 1), else_=0).label("right"),
        )
        .select_from(counted)
        .join(AttemptQuestion, AttemptQuestion.attempt_id == counted.c.attempt_id)
        # OFFSET 0 keeps SQLite from flattening the subquery, so x is computed once per
        # answer rather than once per sum that uses it (about 5% of the whole aggregate).
        .offset(0)
        .subquery("items")
    )
    grouped = (
        select(
            items.c.question_id,
            func.count().label("n"),
            func.sum(items.c.right).label("right"),
            func.sum(items.c.x).label("sx"),
            func.sum(items.c.x * items.c.x).label("sxx"),
            func.sum(items.c.t).label("st"),
            func.sum(items.c.t * items.c.t).label("stt"),
            func.sum(items.c.x * items.c.t).label("sxt"),
        )
        .group_by(items.c.question_id)
        .subquery("grouped")
    )
    rows = db.session.execute(
        select(grouped, Question.uid, Question.version, Question.qtype, Question.stem,
               Question.category_id, Category.name.label("category"), Category.position)
        .join(Question, Question.id == grouped.c.question_id)
        .join(Category, Category.id == Question.category_id)
    ).all()
    questions: list[QuestionFigures] = []
    by_category: dict[int, list] = {}
    for row in rows:
        sums = Sums(int(row.n), int(row.right or 0), float(row.sx or 0), float(row.sxx or 0),
                    float(row.st or 0), float(row.stt or 0), float(row.sxt or 0))
        questions.append(QuestionFigures(row.question_id, row.uid, row.version, row.category_id,
                                         row.category, row.qtype, row.stem, sums))
        entry = by_category.setdefault(row.category_id, [row.category, row.position, 0, Sums()])
        entry[2] += 1
        entry[3] = entry[3] + sums
    questions.sort(key=lambda q: (q.facility if q.facility is not None else 2.0, q.question_id))
    categories = sorted(
        (CategoryFigures(cid, name, position, count, sums)
         for cid, (name, position, count, sums) in by_category.items()),
        key=lambda c: (c.position, c.category_id),
    )
    return ItemStats(questions, categories)


def item_stats(campaign_id: int, enterprise_id: int | None = None) -> ItemStats:
    """Per question and per category figures of the scope (see the module docstring)."""
    return results_cache.cached("reports.item_stats", (campaign_id, enterprise_id),
                                lambda: _compute(campaign_id, enterprise_id))


def top_wrong(stats: ItemStats, limit: int = TOP_WRONG) -> list[QuestionFigures]:
    """The questions answered wrong most often: wrong answers desc, facility asc, id asc."""
    ranked = sorted(
        (q for q in stats.questions if q.wrong > 0),
        key=lambda q: (-q.wrong, q.facility if q.facility is not None else 2.0, q.question_id),
    )
    return ranked[:limit]


# ---- an enterprise against everyone -------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    """One row of an enterprise's figures next to the overall ones."""

    mine: QuestionFigures | CategoryFigures | None
    overall: QuestionFigures | CategoryFigures | None

    @property
    def difference(self) -> float | None:
        if self.mine is None or self.overall is None:
            return None
        if self.mine.facility is None or self.overall.facility is None:
            return None
        return self.mine.facility - self.overall.facility

    @property
    def verdict(self) -> str:
        """"worse" / "better" when the facility differs by HIGHLIGHT or more, else ""."""
        difference = self.difference
        if difference is None:
            return ""
        if difference <= -HIGHLIGHT + 1e-12:
            return "worse"
        if difference >= HIGHLIGHT - 1e-12:
            return "better"
        return ""


def compare_categories(mine: ItemStats, overall: ItemStats) -> list[Compared]:
    """Every category of the overall figures, with the enterprise's where it has answers."""
    found = {c.category_id: c for c in mine.categories}
    return [Compared(found.get(c.category_id), c) for c in overall.categories]


def compare_questions(mine: ItemStats, overall: ItemStats) -> list[Compared]:
    """The questions the enterprise answered, weakest (relative to everyone) first."""
    everyone = {q.question_id: q for q in overall.questions}
    rows = [Compared(q, everyone.get(q.question_id)) for q in mine.questions]
    rows.sort(key=lambda r: (r.difference if r.difference is not None else 2.0, r.mine.question_id))
    return rows
