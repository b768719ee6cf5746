"""Service rules without a request: identity, deadlines, scoring, ranking ties."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from quiz.contests import attempts, standings
from quiz.errors import Closed, Conflict, TooLate
from quiz.extensions import db
from quiz.contests.participants import identifier_error, normalise_identifier, sign_up

from .conftest import START, make_contest


@pytest.mark.parametrize("raw, expected", [
    ("138 0013 8000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    (" gh-0042 ", "GH-0042"),
])
def test_identifiers_are_normalised(raw, expected):
    assert normalise_identifier(raw.replace("+", "")) == expected


def test_identifier_errors():
    assert identifier_error("13800138000") is None
    assert identifier_error("GH-0042") is None
    assert "手机号格式不正确" in identifier_error("10800138000")
    assert identifier_error("") == "请填写手机号或工号。"
    assert identifier_error("工号1") is not None


def test_deadline_is_fixed_at_start_and_capped_by_closing(app, enterprises):
    contest = make_contest(minutes=30, lasts=timedelta(hours=1), opens_in=timedelta(minutes=-45))
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    attempt = attempts.start_or_resume(contest, person, START, random.Random(1))
    assert attempt.deadline == contest.closes_at == START + timedelta(minutes=15)
    assert attempts.start_or_resume(contest, person, START + timedelta(minutes=5)) is attempt
    with pytest.raises(TooLate):
        attempts.save_answer(attempt, 1, ["A"], START + timedelta(minutes=15, seconds=3), 2)
    assert attempt.is_submitted and attempt.time_used_ms == 15 * 60 * 1000
    with pytest.raises(Conflict):
        attempts.submit(attempt, START + timedelta(minutes=20))


def test_no_new_attempt_outside_the_window(app, enterprises):
    contest = make_contest(opens_in=timedelta(hours=1))
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    with pytest.raises(Closed, match="尚未开始"):
        attempts.start_or_resume(contest, person, START)
    with pytest.raises(Closed, match="已经结束"):
        attempts.start_or_resume(contest, person, START + timedelta(days=2))


def test_draw_never_repeats_a_question(app, enterprises):
    contest = make_contest(question_count=40)
    for seed in range(5):
        person = sign_up(enterprises[0], f"1380013800{seed}", "张三", "一车间", START)
        attempt = attempts.start_or_resume(contest, person, START, random.Random(seed))
        ids = [item.question_id for item in attempts.items(attempt)]
        assert len(ids) == len(set(ids)) == 40


def test_score_never_negative_and_multi_is_all_or_nothing(app, enterprises):
    from quiz.models import Category, Question
    from sqlalchemy import select

    category = db.session.scalars(select(Category).order_by(Category.position)).first()
    contest = make_contest(question_count=1, categories=[category])
    multi = db.session.scalars(
        select(Question).where(Question.category_id == category.id, Question.qtype == "multi")).first()
    for question in db.session.scalars(select(Question).where(Question.category_id == category.id)):
        question.active = question.id == multi.id
    db.session.flush()
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    attempt = attempts.start_or_resume(contest, person, START, random.Random(3))
    item = attempts.items(attempt)[0]
    partly = multi.answer[:-1] if len(multi.answer) > 2 else multi.answer[0] + next(
        c for c in "ABCDEFGH"[: len(multi.options)] if c not in multi.answer)
    saved = attempts.save_answer(attempt, 1, list(attempts.to_shown(item, partly)), START, 2)
    assert saved.chosen == partly
    db.session.refresh(item)
    assert (item.chosen, item.is_correct, item.points) == (partly, False, 0)
    attempts.submit(attempt, START + timedelta(seconds=5))
    assert attempt.score == 0 and attempt.correct_count == 0


def test_equal_score_time_and_submission_share_a_rank(app, enterprises):
    contest = make_contest(question_count=2)
    for number in ("13800000001", "13800000002"):
        person = sign_up(enterprises[0], number, "张三", "一车间", START)
        attempt = attempts.start_or_resume(contest, person, START)
        attempts.submit(attempt, START + timedelta(seconds=10))
    db.session.commit()
    rows = standings.individuals(contest)
    assert [row.rank for row in rows] == [1, 1]
    placing = standings.placing(contest, rows[1].attempt_id)
    assert (placing.rank, placing.total, placing.enterprise_rank, placing.enterprise_total) == (1, 2, 1, 2)


def test_enterprise_board_lists_only_eligible_units(app, enterprises):
    contest = make_contest(enterprises=[enterprises[2]])
    rows = standings.enterprises(contest)
    assert [(r.name, r.participants, r.participation_rate, r.average_score) for r in rows] == [
        ("城建第三工程有限公司", 0, None, None)]


def test_sweep_closes_expired_attempts(app, enterprises):
    contest = make_contest(minutes=5)
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    attempt = attempts.start_or_resume(contest, person, START)
    assert attempts.close_expired(contest.id, START + timedelta(minutes=5), 2) == 0
    assert attempts.close_expired(contest.id, START + timedelta(minutes=6), 2) == 1
    assert attempt.submitted_at == attempt.deadline


def test_abandoned_attempts_are_closed_by_the_periodic_sweep(app, enterprises, client, clock):
    """Nobody comes back to the attempt, nobody reads the board: any request sweeps it."""
    from quiz.models import Attempt

    contest = make_contest(minutes=5)
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    attempt = attempts.start_or_resume(contest, person, START)
    db.session.commit()
    client.get("/")  # the first request of this process sweeps (nothing expired yet)
    clock.advance(minutes=10)
    client.get("/healthz")
    assert db.session.get(Attempt, attempt.id).submitted_at == attempt.deadline
