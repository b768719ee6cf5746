"""Item statistics (quiz/reports/item_stats.py) against a small example computed by hand.

Three questions of the bank: S (单选) and J (判断) of one category, M (多选) of another.
Item scores x (points ÷ full points) of the counted attempts, and their totals T:

  person  unit  contest                             S    M    J    T
  p1      甲    K1 partial, 10 points each  (best)  1    1    1    3     (a worse 2nd attempt: 0 0 1)
  p2      甲    K3 partial, 4/6/2 points            1    .5   0    1.5   (T summed from answers)
  p3      乙    K2 all-or-nothing (latest)          1    0    1    2     (an earlier attempt: 1 1 1)
  p4      乙    K2                                  0    0    1    1     (an unsubmitted one in K1)
  p5      乙    K1                                  0    .5   0    .5    (T = score ÷ 10)

Corrected item–total correlation of S, by hand: x = 1 1 1 0 0, y = T − x = 2 .5 1 1 .5;
mean x .6, mean y 1; Σdx·dy = .4 − .2 + 0 + 0 + .3 = .5; Σdx² = 1.2; Σdy² = 1.5;
r = .5 ÷ √(1.2 × 1.5) = 0.3727. M: r = .1 ÷ √(.7 × 2.8) = 1/14. J: Σdx·dy = 0, r = 0.
Facility: S .6, M .4, J .6. Wrong answers: S 2, M 4 (two partly right), J 2.
"""
from __future__ import annotations

import math
import statistics
from datetime import timedelta

import pytest
from sqlalchemy import select

from quiz.reports import item_stats
from quiz import results_cache
from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion, Category, Participant, Question

from .conftest import START, make_campaign, make_contest, make_enterprise

H = timedelta(hours=1)
MATRIX = {  # person → (S, M, J) of the counted attempt
    "p1": (1, 1, 1), "p2": (1, 0.5, 0), "p3": (1, 0, 1), "p4": (0, 0, 1), "p5": (0, 0.5, 0),
}
UNIT = {"p1": "jia", "p2": "jia", "p3": "yi", "p4": "yi", "p5": "yi"}


class Data:
    pass


def bank_questions():
    """A 单选 and a 判断 of the first category, a 多选 of the second."""
    first, second = db.session.scalars(select(Category).order_by(Category.position).limit(2)).all()

    def one(category, qtype):
        return db.session.scalars(select(Question).where(
            Question.category_id == category.id, Question.qtype == qtype, Question.current.is_(True)
        ).order_by(Question.id)).first()

    return one(first, "single"), one(second, "multi"), one(first, "judge")


def add_attempt(contest, person, number, at, xs, questions, submitted=True):
    """An attempt with item scores ``xs`` (1 right, 0 wrong, else the share of a 多选)."""
    points, correct = [], 0
    for question, x in zip(questions, xs):
        full = contest.points_for(question.qtype)
        points.append(round(full * x, 2))
        correct += x == 1
    attempt = Attempt(
        contest_id=contest.id, participant_id=person.id, number=number, started_at=at - timedelta(minutes=10),
        deadline=at + H, submitted_at=at if submitted else None, score=sum(points),
        max_score=sum(contest.points_for(q.qtype) for q in questions), correct_count=correct,
        time_used_ms=600_000,
    )
    db.session.add(attempt)
    db.session.flush()
    for position, (question, x, got) in enumerate(zip(questions, xs, points), start=1):
        wrong = "B" if question.answer == "A" else "A"
        chosen = question.answer if x == 1 else (question.answer[0] + "Z" if x > 0 else wrong)
        db.session.add(AttemptQuestion(
            attempt_id=attempt.id, position=position, question_id=question.id,
            option_order=list(range(len(question.options))), chosen=chosen[:10], is_correct=x == 1,
            points=got, answered_at=at,
        ))
    return attempt


def build() -> Data:
    d = Data()
    d.campaign = make_campaign()
    d.jia = make_enterprise("甲化工", "JIA1", 4, region="滨海街道", industry="危险化学品")
    d.yi = make_enterprise("乙物流", "YI02", 5, region="开发区", industry="仓储物流")
    d.s, d.m, d.j = questions = bank_questions()
    d.k1 = make_contest(code="K1K1K1", title="K1", ranking="best", multi_partial=True)
    d.k2 = make_contest(code="K2K2K2", title="K2", ranking="latest")
    d.k3 = make_contest(code="K3K3K3", title="K3", multi_partial=True)
    d.k3.points_single, d.k3.points_multi, d.k3.points_judge = 4, 6, 2
    people = {}
    for n, name in enumerate(MATRIX, start=1):
        unit = getattr(d, UNIT[name])
        people[name] = Participant(enterprise_id=unit.id, identifier=f"1380000000{n}", name=name,
                                   department="", created_at=START)
        db.session.add(people[name])
    db.session.flush()
    p = people
    add_attempt(d.k1, p["p1"], 1, START + H, MATRIX["p1"], questions)
    add_attempt(d.k1, p["p1"], 2, START + 2 * H, (0, 0, 1), questions)       # worse: not counted
    add_attempt(d.k3, p["p2"], 1, START + H, MATRIX["p2"], questions)
    add_attempt(d.k2, p["p3"], 1, START + H, (1, 1, 1), questions)           # earlier: not counted
    add_attempt(d.k2, p["p3"], 2, START + 3 * H, MATRIX["p3"], questions)    # latest: counted
    add_attempt(d.k2, p["p4"], 1, START + H, MATRIX["p4"], questions)
    add_attempt(d.k1, p["p4"], 1, START + H, (1, 1, 1), questions, submitted=False)
    add_attempt(d.k1, p["p5"], 1, START + H, MATRIX["p5"], questions)
    # Another campaign's contest: never in this campaign's figures.
    other = make_campaign(name="2025年“安全生产月”")
    k9 = make_contest(code="K9K9K9", title="K9")
    k9.campaign_id = other.id
    add_attempt(k9, p["p5"], 1, START + H, (1, 1, 1), questions)
    db.session.commit()
    d.people = people
    return d


@pytest.fixture
def data(app):
    return build()


def expected(names, column):
    """(facility, discrimination) of one item over the given people, from the raw matrix."""
    xs = [MATRIX[n][column] for n in names]
    ys = [sum(MATRIX[n]) - MATRIX[n][column] for n in names]
    facility = statistics.fmean(xs)
    try:
        r = statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # a constant: no correlation
        r = None
    return facility, r


def test_facility_and_discrimination_per_question(data):
    stats = item_stats.item_stats(data.campaign.id)
    found = {q.question_id: q for q in stats.questions}
    assert set(found) == {data.s.id, data.m.id, data.j.id}
    s, m, j = found[data.s.id], found[data.m.id], found[data.j.id]
    # By hand (module docstring).
    assert (s.answers, s.right, s.wrong) == (5, 3, 2)
    assert (m.answers, m.right, m.wrong) == (5, 1, 4)
    assert (j.answers, j.right, j.wrong) == (5, 3, 2)
    assert s.facility == pytest.approx(0.6) and m.facility == pytest.approx(0.4) and j.facility == pytest.approx(0.6)
    assert s.discrimination == pytest.approx(0.5 / math.sqrt(1.2 * 1.5))
    assert s.discrimination == pytest.approx(0.3727, abs=1e-4)
    assert m.discrimination == pytest.approx(1 / 14)
    assert j.discrimination == pytest.approx(0, abs=1e-12)
    # And against the raw matrix with the standard library.
    everyone = list(MATRIX)
    for column, figures in enumerate((s, m, j)):
        facility, r = expected(everyone, column)
        assert figures.facility == pytest.approx(facility)
        assert figures.discrimination == pytest.approx(r, abs=1e-12)
    # Weakest first.
    assert stats.questions[0].question_id == data.m.id


def test_a_category_pools_its_questions_answers(data):
    stats = item_stats.item_stats(data.campaign.id)
    first, second = stats.categories
    assert first.category_id == data.s.category_id and second.category_id == data.m.category_id
    assert (first.questions, first.answers, first.wrong) == (2, 10, 4)
    xs = [MATRIX[n][c] for c in (0, 2) for n in MATRIX]
    ys = [sum(MATRIX[n]) - MATRIX[n][c] for c in (0, 2) for n in MATRIX]
    assert first.facility == pytest.approx(0.6)
    assert first.discrimination == pytest.approx(statistics.correlation(xs, ys))
    assert second.discrimination == pytest.approx(1 / 14)


def test_one_enterprise_against_everyone(data):
    overall = item_stats.item_stats(data.campaign.id)
    jia = item_stats.item_stats(data.campaign.id, data.jia.id)
    yi = item_stats.item_stats(data.campaign.id, data.yi.id)
    mine = {q.question_id: q for q in jia.questions}
    # 甲: p1 and p2. S right twice: no variance, no discrimination.
    assert mine[data.s.id].facility == 1.0 and mine[data.s.id].discrimination is None
    assert mine[data.m.id].facility == pytest.approx(0.75) and mine[data.m.id].discrimination == pytest.approx(1.0)
    theirs = {q.question_id: q for q in yi.questions}
    for column, question in enumerate((data.s, data.m, data.j)):
        facility, r = expected(["p3", "p4", "p5"], column)
        assert theirs[question.id].facility == pytest.approx(facility)
        assert theirs[question.id].discrimination == pytest.approx(r, abs=1e-12)
    assert theirs[data.s.id].discrimination == pytest.approx(0.5)  # by hand: (1/6) ÷ (1/3)
    # Side by side: 乙 answers M right a quarter of the time less than everyone (.25 vs .4).
    rows = {r.mine.question_id: r for r in item_stats.compare_questions(yi, overall)}
    assert rows[data.m.id].difference == pytest.approx(1 / 6 - 0.4)
    assert rows[data.m.id].verdict == "worse"
    assert rows[data.j.id].difference == pytest.approx(2 / 3 - 0.6) and rows[data.j.id].verdict == ""
    jia_rows = {r.mine.question_id: r for r in item_stats.compare_questions(jia, overall)}
    assert jia_rows[data.s.id].verdict == "better"
    categories = item_stats.compare_categories(jia, overall)
    assert [c.overall.category_id for c in categories] == [data.s.category_id, data.m.category_id]


def test_the_training_list_orders_by_wrong_answers_then_facility_then_id(data):
    stats = item_stats.item_stats(data.campaign.id)
    top = item_stats.top_wrong(stats)
    assert [q.question_id for q in top] == [data.m.id] + sorted([data.s.id, data.j.id])
    assert [q.wrong for q in top] == [4, 2, 2]
    assert item_stats.top_wrong(stats, limit=1) == top[:1]


def test_only_counted_submitted_attempts_of_the_campaign_count(data):
    # Counted: p1's better attempt, p3's latest; never the unsubmitted one nor the other campaign.
    stats = item_stats.item_stats(data.campaign.id)
    assert stats.answers == 15
    # A new best attempt of p5 in K1 replaces the counted one: S, M, J all right. (Written
    # straight to the database here, so the cache is dropped by hand, as a submission does.)
    add_attempt(data.k1, data.people["p5"], 2, START + 5 * H, (1, 1, 1), (data.s, data.m, data.j))
    db.session.commit()
    results_cache.invalidate()
    again = {q.question_id: q for q in item_stats.item_stats(data.campaign.id).questions}
    assert again[data.s.id].answers == 5 and again[data.s.id].right == 4
    assert again[data.m.id].facility == pytest.approx((1 + 0.5 + 0 + 0 + 1) / 5)


def test_pearson_needs_two_values_and_variance():
    assert item_stats.pearson(1, 1, 1, 1, 1, 1) is None
    assert item_stats.pearson(3, 3, 3, 2, 2, 1) is None  # x constant
    assert item_stats.pearson(2, 1, 1, 3, 5, 2) == pytest.approx(1.0)
