"""Rules of a live "我问你答" round (quiz.live.rules), on the real database.

Every test asserts on what the database holds (read back through a separate session
where it matters) and on what the rules return; nothing is mocked, nobody sleeps.
A "second host" or "second process" is a second app context, so it gets a
``db.session`` (and a database connection) of its own, as a second request would.
"""
from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from quiz.live import rules
from quiz.contests.draws import drawable
from quiz.errors import Conflict, NotFound, QuizError, TooLate
from quiz.extensions import db
from quiz.models import LiveAnswer, LivePlayer, LiveQuestion, LiveRound, Question, User
from quiz.contests.scoring import LETTERS

from .conftest import START, _config, make_enterprise, make_organiser, run_at_once

GRACE = 2.0  # seconds after the deadline that an answer in flight is still accepted


# ====================================================================== helpers


def bank(qtype: str, count: int = 1, *, answer: str | None = None, options: int | None = None) -> list[Question]:
    """The first ``count`` drawable bank questions of a type (optionally with this answer / option count)."""
    found = [
        q for q in db.session.scalars(select(Question).where(*drawable(), Question.qtype == qtype).order_by(Question.id))
        if (answer is None or q.answer == answer) and (options is None or len(q.options) == options)
    ]
    assert len(found) >= count, f"the bank has only {len(found)} such questions"
    return found[:count]


def multi_abcd() -> Question:
    """A 多选 of five options keyed ABCD, made for the test (the built-in bank keeps at least
    two wrong options in every 多选, so it has none like it)."""
    question = Question(uid="test-multi-abcd", version=1, current=True, source="import", active=True,
                        category_id=bank("multi")[0].category_id, qtype="multi", stem="测试多选题（　）。",
                        options=["甲", "乙", "丙", "丁", "戊"], answer="ABCD", explanation="测试。", tags=[])
    db.session.add(question)
    db.session.flush()
    return question


def new_round(questions: list[Question], **options) -> LiveRound:
    host = db.session.scalar(select(User).where(User.username == "organiser")) or make_organiser()
    round_ = rules.create_round(host.id, "安全生产月现场答题", questions, START, **options)
    db.session.commit()
    return round_


def add_players(round_: LiveRound, enterprise, count: int, prefix: str = "选手", joined=START) -> list[LivePlayer]:
    """``count`` players joining one second apart (so their joining order is known)."""
    found = [rules.join(round_, enterprise, f"{prefix}{i + 1}", "一车间", joined + timedelta(seconds=i))
             for i in range(count)]
    db.session.commit()
    return found


def right(question: Question) -> list[str]:
    return list(question.answer)


def wrong(question: Question) -> list[str]:
    """A wrong answer that is still a valid choice for the question's type."""
    spare = next(letter for letter in LETTERS[:len(question.options)] if letter not in question.answer)
    return list(question.answer) + [spare] if question.qtype == "multi" else [spare]


def db_round(round_id: int) -> LiveRound:
    """The round as the database holds it (a separate session: committed data only)."""
    with Session(db.engine) as session:
        return session.get(LiveRound, round_id)


def db_questions(round_id: int) -> list[LiveQuestion]:
    with Session(db.engine) as session:
        return list(session.scalars(
            select(LiveQuestion).where(LiveQuestion.round_id == round_id).order_by(LiveQuestion.position)))


def db_answers(round_id: int, position: int | None = None) -> list[LiveAnswer]:
    with Session(db.engine) as session:
        query = select(LiveAnswer).where(LiveAnswer.round_id == round_id)
        if position is not None:
            query = query.where(LiveAnswer.position == position)
        return list(session.scalars(query.order_by(LiveAnswer.player_id, LiveAnswer.position)))


def bonuses(round_id: int) -> dict[tuple[int, int], int]:
    return {(a.player_id, a.position): a.bonus for a in db_answers(round_id)}


def answer(round_, player, letters, now, position=None) -> LiveAnswer:
    saved = rules.record_answer(round_, player, position or round_.position, letters, now, GRACE)
    db.session.commit()
    return saved


def step(action, round_, *args) -> int:
    """Run one host action, commit, and return by how much the version moved."""
    before = round_.version
    action(round_, *args)
    db.session.commit()
    assert db_round(round_.id).version == round_.version
    return round_.version - before


# ====================================================================== 1. scoring formulas


@pytest.mark.parametrize("response_ms, question_ms, points", [
    (0, 20000, 1000),          # instant answer
    (20000, 20000, 500),       # at the last moment
    (25000, 20000, 500),       # later than T: clamped to T
    (-300, 20000, 1000),       # clock skew: clamped to 0
    (10000, 20000, 750),       # half-way
    (1, 10000, 1000),          # 999.95
    (60, 20000, 999),          # exactly 998.5: half-up gives 999 (banker's rounding would give 998)
    (9980, 20000, 751),        # exactly 750.5: the docstring's example
    (2570, 10000, 872),        # exactly 871.5, which float arithmetic computes as 871.4999…
    (5070, 10000, 747),        # exactly 746.5, same float trap
])
def test_speed_points_edges(response_ms, question_ms, points):
    assert rules.speed_points(response_ms, question_ms) == points


def test_speed_points_round_half_up_for_every_question_length():
    """Against exact rational arithmetic, for every allowed T and t in 10 ms steps."""
    for seconds in range(rules.MIN_SECONDS, rules.MAX_SECONDS + 1):
        question_ms = seconds * 1000
        for t in range(0, question_ms + 1, 10):
            exact = Fraction(1000) * (1 - Fraction(t, question_ms) / 2)
            assert rules.speed_points(t, question_ms) == math.floor(exact + Fraction(1, 2)), (t, question_ms)


@pytest.mark.parametrize("run, bonus", [(0, 0), (1, 0), (2, 100), (3, 200), (6, 500), (7, 500), (10, 500)])
def test_streak_bonus(run, bonus):
    assert rules.streak_bonus(run) == bonus


def test_share_right_for_each_type():
    multi = Question(qtype="multi", answer="ACD", options=["甲", "乙", "丙", "丁", "戊"])
    single = Question(qtype="single", answer="B", options=["甲", "乙", "丙", "丁"])
    judge = Question(qtype="judge", answer="A", options=["正确", "错误"])
    for partial in (True, False):
        assert rules.share_right(multi, "ACD", partial) == 1.0
        assert rules.share_right(single, "B", partial) == 1.0
        assert rules.share_right(single, "C", partial) == 0.0  # partial credit is for 多选 only
        assert rules.share_right(judge, "B", partial) == 0.0
        assert rules.share_right(multi, "ACDE", partial) == 0.0  # all right ones plus a wrong one
    assert rules.share_right(multi, "AC", True) == pytest.approx(2 / 3)
    assert rules.share_right(multi, "CD", True) == pytest.approx(2 / 3)
    assert rules.share_right(multi, "AB", True) == 0.0  # any wrong option: nothing
    assert rules.share_right(multi, "AC", False) == 0.0  # all or nothing


def test_answer_points_in_both_modes():
    multi = Question(qtype="multi", answer="ABCD", options=list("甲乙丙丁戊"))
    speed = LiveRound(scoring="speed", multi_partial=True, question_seconds=20)
    count = LiveRound(scoring="count", multi_partial=True, question_seconds=20)
    assert rules.answer_points(speed, multi, "ABCD", 0) == 1000
    assert rules.answer_points(speed, multi, "AB", 0) == 500
    assert rules.answer_points(speed, multi, "AB", 40) == 500  # 999 × ½ = 499.5 → 500
    assert rules.answer_points(speed, multi, "ABC", 20000) == 375
    assert rules.answer_points(speed, multi, "ABE", 0) == 0
    assert rules.answer_points(count, multi, "ABCD", 19999) == rules.COUNT_POINTS
    assert rules.answer_points(count, multi, "ABC", 0) == 75
    all_or_nothing = LiveRound(scoring="speed", multi_partial=False, question_seconds=20)
    assert rules.answer_points(all_or_nothing, multi, "ABC", 0) == 0


def test_count_mode_gives_fixed_points_per_right_answer(app, enterprises, clock):
    single = bank("single")[0]
    multi = multi_abcd()
    round_ = new_round([single, multi], scoring_mode="count", multi_partial=True)
    a, b, c = add_players(round_, enterprises[0], 3)
    rules.start(round_, clock.now())
    answer(round_, a, right(single), clock.advance(seconds=1))
    answer(round_, b, right(single), clock.advance(seconds=15))  # slower, same points
    answer(round_, c, wrong(single), clock.advance(seconds=1))
    rules.close_question(round_, clock.advance(seconds=1))
    rules.next_step(round_, clock.now())
    rules.next_step(round_, clock.now())
    answer(round_, a, list("ABCD"), clock.advance(seconds=2))
    answer(round_, b, list("AB"), clock.now())     # half the right options
    answer(round_, c, list("ABE"), clock.now())    # a wrong one among them
    db.session.commit()
    points = {(row.player_id, row.position): (row.points, row.is_correct) for row in db_answers(round_.id)}
    assert points == {
        (a.id, 1): (100, True), (b.id, 1): (100, True), (c.id, 1): (0, False),
        (a.id, 2): (100, True), (b.id, 2): (50, False), (c.id, 2): (0, False),
    }
    standings = rules.player_standings(round_.id)
    assert [(s.name, s.score, s.correct) for s in standings] == [("选手1", 200, 2), ("选手2", 150, 1), ("选手3", 0, 0)]


# ====================================================================== 2. the state machine


def test_round_walks_through_every_state(app, enterprises, clock):
    questions = bank("single", 2) + bank("judge", 1)
    round_ = new_round(questions, question_seconds=20)
    assert (round_.state, round_.position, round_.version) == ("lobby", 0, 1)
    assert [(q.position, q.question_id, q.started_at) for q in db_questions(round_.id)] == [
        (1, questions[0].id, None), (2, questions[1].id, None), (3, questions[2].id, None)]

    expected = []
    for position in (1, 2, 3):
        expected += [("question", position), ("reveal", position), ("leaderboard", position)]
    expected.append(("final", 3))
    for state, position in expected:
        now = clock.advance(seconds=7)
        assert step(rules.next_step, round_, now) == 1  # exactly one version per step
        stored = db_round(round_.id)
        assert (stored.state, stored.position) == (state, position)
        item = db_questions(round_.id)[position - 1]
        if state == "question":
            assert stored.question_started_at == now == item.started_at
            assert stored.question_deadline == now + timedelta(seconds=20)
            assert item.closed_at is None
        elif state == "reveal":
            assert item.closed_at == now
            assert stored.question_deadline is None
    assert stored.ended_at == clock.now()
    assert stored.version == 1 + len(expected)

    with pytest.raises(Conflict):
        rules.next_step(round_, clock.advance(seconds=1))
    db.session.commit()
    assert db_round(round_.id).version == 1 + len(expected)


def test_start_only_from_the_lobby(app, enterprises, clock):
    round_ = new_round(bank("single", 2))
    rules.start(round_, clock.now())
    db.session.commit()
    with pytest.raises(Conflict):
        rules.start(round_, clock.advance(seconds=1))
    with pytest.raises(Conflict):
        rules.resume(round_, clock.now())  # not paused
    rules.next_step(round_, clock.now())
    with pytest.raises(Conflict):
        rules.close_question(round_, clock.now())  # already revealed
    with pytest.raises(Conflict):
        rules.pause(round_, clock.now())  # only a running question pauses
    db.session.commit()
    assert (db_round(round_.id).state, db_round(round_.id).version) == ("reveal", 3)


@pytest.mark.parametrize("stale_action", [
    "next_step", "close_question", "pause", "skip", "end", "advance_if_due"])
def test_a_step_decided_on_a_stale_version_changes_nothing(app, enterprises, clock, stale_action):
    """Two hosts look at question 1; the other one presses "next" first."""
    round_ = new_round(bank("single", 3))
    rules.start(round_, clock.now())
    db.session.commit()
    stale = db.session.get(LiveRound, round_.id)  # this host's copy: question 1, version 2
    assert (stale.state, stale.version) == ("question", 2)

    revealed_at = clock.advance(seconds=25)  # past deadline + grace, so advance_if_due would act
    with app.app_context():  # the other host's request
        other = db.session.get(LiveRound, round_.id)
        assert other is not stale
        rules.next_step(other, revealed_at)
        db.session.commit()

    assert (stale.state, stale.version) == ("question", 2)  # still the old picture
    later = clock.advance(seconds=1)
    action = getattr(rules, stale_action)
    if stale_action == "advance_if_due":
        assert action(stale, later, GRACE) is False
    else:
        with pytest.raises(Conflict):
            action(stale, later)
    assert (stale.state, stale.version) == ("reveal", 3)  # refreshed to what the database says
    db.session.commit()  # even a careless caller that commits stores nothing of the refused step

    stored = db_round(round_.id)
    assert (stored.state, stored.position, stored.version) == ("reveal", 1, 3)
    assert stored.ended_at is None and stored.paused_remaining_ms is None
    assert [(q.skipped, q.started_at, q.closed_at) for q in db_questions(round_.id)] == [
        (False, START, revealed_at), (False, None, None), (False, None, None)]


def test_pause_keeps_the_time_left_and_resume_leaves_the_pause_out(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question], question_seconds=20)
    player, other = add_players(round_, enterprises[0], 2)
    rules.start(round_, clock.now())
    db.session.commit()

    paused_at = clock.advance(seconds=5)
    assert step(rules.pause, round_, paused_at) == 1
    stored = db_round(round_.id)
    assert (stored.state, stored.paused_remaining_ms, stored.question_deadline) == ("question", 15000, None)
    with pytest.raises(Conflict):
        rules.pause(round_, paused_at)  # already paused
    with pytest.raises(Conflict, match="暂停"):
        rules.record_answer(round_, player, 1, right(question), clock.advance(seconds=1), GRACE)
    # A long pause: the question never becomes due while paused.
    clock.advance(seconds=60)
    assert not rules.is_due(round_, clock.now(), GRACE)
    assert rules.advance_if_due(round_, clock.now(), GRACE) is False
    db.session.commit()
    assert db_answers(round_.id) == []
    assert db_round(round_.id).version == 3

    resumed_at = clock.now()
    assert step(rules.resume, round_, resumed_at) == 1
    stored = db_round(round_.id)
    assert stored.paused_remaining_ms is None
    assert stored.question_deadline == resumed_at + timedelta(seconds=15)
    assert stored.question_started_at == resumed_at - timedelta(seconds=5)  # the pause is left out

    saved = answer(round_, player, right(question), clock.advance(seconds=3))
    assert saved.response_ms == 8000  # 5 s before the pause + 3 s after it
    assert saved.points == rules.speed_points(8000, 20000) == 800
    # The deadline moved with the pause: 15 s after resuming (+ grace) is still in time.
    assert answer(round_, other, right(question), resumed_at + timedelta(seconds=15 + GRACE)).response_ms == 20000
    assert not rules.is_due(round_, resumed_at + timedelta(seconds=15 + GRACE), GRACE)
    assert rules.is_due(round_, resumed_at + timedelta(seconds=15 + GRACE, milliseconds=1), GRACE)


def test_skip_makes_a_question_count_for_nothing(app, enterprises, clock):
    q1, q2, q3 = bank("single", 3)
    round_ = new_round([q1, q2, q3])
    a, b = add_players(round_, enterprises[0], 2)
    rules.start(round_, clock.now())
    answer(round_, a, right(q1), clock.advance(seconds=2))
    answer(round_, b, wrong(q1), clock.now())

    skipped_at = clock.advance(seconds=1)
    assert step(rules.skip, round_, skipped_at) == 1  # skipping and opening the next: one step
    stored = db_round(round_.id)
    assert (stored.state, stored.position, stored.question_started_at) == ("question", 2, skipped_at)
    items = db_questions(round_.id)
    assert (items[0].skipped, items[0].closed_at) == (True, skipped_at)
    assert (items[1].skipped, items[1].started_at) == (False, skipped_at)

    answer(round_, b, right(q2), clock.advance(seconds=4))
    answer(round_, a, wrong(q2), clock.now())
    rules.next_step(round_, clock.advance(seconds=1))
    rules.next_step(round_, clock.now())
    rules.next_step(round_, clock.now())
    answer(round_, a, right(q3), clock.advance(seconds=1))
    assert step(rules.skip, round_, clock.advance(seconds=1)) == 1  # the last one: straight to final
    assert db_round(round_.id).state == "final"
    assert [q.skipped for q in db_questions(round_.id)] == [True, False, True]

    assert len(db_answers(round_.id)) == 5  # the answers stay stored, they just do not count
    standings = rules.player_standings(round_.id)
    assert [(s.name, s.score, s.correct, s.time_ms) for s in standings] == [
        ("选手2", 900, 1, 4000), ("选手1", 0, 0, 4000)]  # 选手1's wrong answer still took time
    assert [(t.players, t.average) for t in rules.enterprise_standings(round_.id)] == [(2, 450.0)]


@pytest.mark.parametrize("steps, paused", [(0, False), (1, False), (1, True), (2, False), (3, False), (4, False)])
def test_end_goes_to_final_from_any_state(app, enterprises, clock, steps, paused):
    round_ = new_round(bank("single", 2))
    for _ in range(steps):
        rules.next_step(round_, clock.advance(seconds=3))
    if paused:
        rules.pause(round_, clock.advance(seconds=1))
    db.session.commit()
    version = round_.version
    ended_at = clock.advance(seconds=1)
    assert step(rules.end, round_, ended_at) == 1
    stored = db_round(round_.id)
    assert (stored.state, stored.version, stored.ended_at) == ("final", version + 1, ended_at)
    assert stored.question_deadline is None and stored.paused_remaining_ms is None
    with pytest.raises(Conflict):
        rules.end(round_, clock.advance(seconds=1))
    with pytest.raises(Conflict):
        rules.skip(round_, clock.now())


def test_advance_if_due_only_after_deadline_and_grace(app, enterprises, clock):
    round_ = new_round(bank("single", 2), question_seconds=20)
    assert rules.advance_if_due(round_, clock.advance(hours=1), GRACE) is False  # lobby: nothing due
    rules.start(round_, clock.now())
    db.session.commit()
    deadline = round_.question_deadline
    for moment in (deadline - timedelta(seconds=1), deadline, deadline + timedelta(seconds=GRACE)):
        assert rules.advance_if_due(round_, moment, GRACE) is False
    db.session.commit()
    assert (db_round(round_.id).state, db_round(round_.id).version) == ("question", 2)

    due = deadline + timedelta(seconds=GRACE, milliseconds=1)
    assert rules.advance_if_due(round_, due, GRACE) is True
    db.session.commit()
    stored = db_round(round_.id)
    assert (stored.state, stored.position, stored.version) == ("reveal", 1, 3)
    assert db_questions(round_.id)[0].closed_at == due
    assert rules.advance_if_due(round_, due + timedelta(seconds=30), GRACE) is False  # already revealed
    db.session.commit()
    assert db_round(round_.id).version == 3


# ====================================================================== 3. answers


def test_right_wrong_and_edge_times(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question], question_seconds=20)
    instant, slow, last, in_flight, late = add_players(round_, enterprises[0], 5)
    rules.start(round_, START)
    deadline = START + timedelta(seconds=20)

    # The buttons send one capital letter; anything else is a forged form (finding 6).
    with pytest.raises(QuizError, match="所选选项不存在"):
        rules.record_answer(round_, instant, 1, [question.answer.lower() + " "], START, GRACE)
    answer(round_, instant, right(question), START)  # t = 0
    answer(round_, slow, wrong(question), START + timedelta(seconds=5))
    answer(round_, last, right(question), deadline)  # t = T
    answer(round_, in_flight, right(question), deadline + timedelta(seconds=GRACE))  # within grace
    with pytest.raises(TooLate):
        rules.record_answer(round_, late, 1, right(question), deadline + timedelta(seconds=GRACE, milliseconds=1),
                            GRACE)
    db.session.commit()

    rows = {row.player_id: row for row in db_answers(round_.id)}
    assert set(rows) == {instant.id, slow.id, last.id, in_flight.id}
    summary = {pid: (r.chosen, r.is_correct, r.response_ms, r.points, r.bonus) for pid, r in rows.items()}
    assert summary == {
        instant.id: (question.answer, True, 0, 1000, 0),
        slow.id: (wrong(question)[0], False, 5000, 0, 0),
        last.id: (question.answer, True, 20000, 500, 0),
        in_flight.id: (question.answer, True, 20000, 500, 0),  # clamped to T
    }
    assert rows[in_flight.id].answered_at == deadline + timedelta(seconds=GRACE)
    assert rules.answered_count(round_.id, 1) == 4


def test_answers_after_the_question_closed_are_refused(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question, bank("judge")[0]])
    player = add_players(round_, enterprises[0], 1)[0]
    with pytest.raises(TooLate):
        rules.record_answer(round_, player, 1, right(question), clock.now(), GRACE)  # still in the lobby
    rules.start(round_, clock.now())
    rules.close_question(round_, clock.advance(seconds=3))
    with pytest.raises(TooLate, match="本题已结束"):
        rules.record_answer(round_, player, 1, right(question), clock.now(), GRACE)
    db.session.commit()
    assert db_answers(round_.id) == []


def test_a_second_answer_is_refused_and_the_first_kept(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question])
    player = add_players(round_, enterprises[0], 1)[0]
    rules.start(round_, clock.now())
    answer(round_, player, right(question), clock.advance(seconds=3))

    with pytest.raises(Conflict, match="已作答"):
        rules.record_answer(round_, player, 1, wrong(question), clock.advance(seconds=2), GRACE)
    db.session.commit()  # the session is still usable and stores nothing more
    rows = db_answers(round_.id)
    assert [(r.chosen, r.is_correct, r.response_ms, r.points) for r in rows] == [
        (question.answer, True, 3000, rules.speed_points(3000, 20000))]
    assert rules.player_answer(player.id, 1).chosen == question.answer


def test_only_the_current_position_takes_answers(app, enterprises, clock):
    q1, q2 = bank("single", 2)
    round_ = new_round([q1, q2])
    player = add_players(round_, enterprises[0], 1)[0]
    rules.start(round_, clock.now())
    for position in (0, 2, 3):
        with pytest.raises(TooLate):
            rules.record_answer(round_, player, position, right(q2), clock.advance(seconds=1), GRACE)
    db.session.commit()
    assert db_answers(round_.id) == []
    assert answer(round_, player, right(q1), clock.now(), position=1).position == 1


def test_a_removed_player_cannot_answer(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question])
    other_round = new_round([question])
    kept, removed = add_players(round_, enterprises[0], 2)
    stranger = add_players(other_round, enterprises[0], 1, prefix="别处")[0]
    rules.start(round_, clock.now())
    rules.remove_player(round_, removed.id)
    with pytest.raises(NotFound):
        rules.remove_player(round_, stranger.id)  # not a player of this round
    with pytest.raises(QuizError) as refused:
        rules.record_answer(round_, removed, 1, right(question), clock.advance(seconds=1), GRACE)
    assert refused.value.status == 403
    answer(round_, kept, right(question), clock.now())
    assert [r.player_id for r in db_answers(round_.id)] == [kept.id]
    assert rules.active_players(round_.id) == 1
    assert rules.everyone_answered(round_)


@pytest.mark.parametrize("qtype, letters", [
    ("single", []),               # nothing chosen
    ("single", ["E"]),            # a letter the question does not have
    ("single", ["A", "B"]),       # two letters for 单选
    ("judge", ["C"]),             # 判断 has A and B only
    ("judge", ["A", "B"]),
    ("multi", ["A"]),             # 多选 needs at least two
    ("multi", ["A", "Z"]),
])
def test_invalid_letters_are_refused_and_nothing_stored(app, enterprises, clock, qtype, letters):
    question = bank(qtype, options=4 if qtype != "judge" else None)[0]
    round_ = new_round([question])
    player = add_players(round_, enterprises[0], 1)[0]
    rules.start(round_, clock.now())
    with pytest.raises(QuizError) as refused:
        rules.record_answer(round_, player, 1, letters, clock.advance(seconds=1), GRACE)
    assert type(refused.value) is QuizError and refused.value.status == 400
    db.session.commit()
    assert db_answers(round_.id) == []
    # The refused try did not use up the player's one answer.
    assert answer(round_, player, right(question), clock.now()).is_correct


def test_speed_scales_round_time(app, enterprises, clock):
    """A test round running 10× faster: 20 s questions last 2 real seconds."""
    question = bank("single")[0]
    round_ = new_round([question], question_seconds=20)
    player = add_players(round_, enterprises[0], 1)[0]
    rules.start(round_, clock.now(), speed=10)
    assert round_.question_deadline == clock.now() + timedelta(seconds=2)
    saved = rules.record_answer(round_, player, 1, right(question), clock.advance(seconds=1), GRACE, speed=10)
    assert (saved.response_ms, saved.points) == (10000, 750)


def play_question(round_, clock, picks: dict) -> None:
    """The current question: everyone in ``picks`` answers 2 s in (None: no answer), then it closes."""
    at = clock.advance(seconds=2)
    for player, letters in picks.items():
        if letters is not None:
            answer(round_, player, letters, at)
    # The bonus is only known at the reveal.
    assert all(row.bonus == 0 for row in db_answers(round_.id, round_.position))
    rules.next_step(round_, clock.advance(seconds=1))  # → reveal
    db.session.commit()


def next_question(round_, clock) -> None:
    rules.next_step(round_, clock.now())  # → leaderboard
    rules.next_step(round_, clock.advance(seconds=1))  # → next question
    db.session.commit()


def test_streak_bonus_for_runs_of_right_answers(app, enterprises, clock):
    questions = bank("single", 5)
    round_ = new_round(questions, streak=True)
    a, b, c = add_players(round_, enterprises[0], 3)
    rules.start(round_, clock.now())
    R = lambda n: right(questions[n - 1])  # noqa: E731
    W = lambda n: wrong(questions[n - 1])  # noqa: E731
    plan = {  # position: picks
        1: {a: R(1), b: R(1), c: W(1)},
        2: {a: R(2), b: None, c: R(2)},   # b misses one
        3: {a: R(3), b: R(3), c: R(3)},
        4: {a: W(4), b: R(4), c: R(4)},   # a's run ends
        5: {a: R(5), b: R(5), c: R(5)},
    }
    expected = {  # bonus after each reveal
        1: {a: 0, b: 0, c: 0},
        2: {a: 100, c: 0},
        3: {a: 200, b: 0, c: 100},        # a missing answer reset b's run
        4: {a: 0, b: 100, c: 200},
        5: {a: 0, b: 200, c: 300},
    }
    for position in range(1, 6):
        play_question(round_, clock, plan[position])
        got = bonuses(round_.id)
        assert {p: got[(p.id, position)] for p in expected[position]} == expected[position], position
        if position < 5:
            next_question(round_, clock)

    # Standings add the bonuses to the points (every right answer came 2 s in: 950).
    scores = {s.player_id: (s.score, s.correct) for s in rules.player_standings(round_.id)}
    assert scores == {a.id: (4 * 950 + 300, 4), b.id: (4 * 950 + 300, 4), c.id: (4 * 950 + 600, 4)}


def test_streak_runs_across_a_skipped_question_and_is_off_by_default(app, enterprises, clock):
    questions = bank("single", 3)
    for streak in (True, False):
        round_ = new_round(questions, streak=streak)
        player = add_players(round_, enterprises[0], 1, prefix=f"连对{streak}")[0]
        rules.start(round_, clock.now())
        play_question(round_, clock, {player: right(questions[0])})
        next_question(round_, clock)
        answer(round_, player, wrong(questions[1]), clock.advance(seconds=1))
        rules.skip(round_, clock.advance(seconds=1))  # a wrong answer to a dropped question breaks nothing
        db.session.commit()
        play_question(round_, clock, {player: right(questions[2])})
        assert bonuses(round_.id)[(player.id, 3)] == (100 if streak else 0)


# ====================================================================== 4. concurrency


def answer_job(round_id: int, player_id: int, letters: list[str], now):
    """One phone's request: load the round and the player, answer, commit."""
    def job(ready):
        round_ = db.session.get(LiveRound, round_id)
        player = db.session.get(LivePlayer, player_id)
        ready()
        try:
            saved = rules.record_answer(round_, player, 1, letters, now, GRACE)
            db.session.commit()
            return ("stored", player_id, saved.chosen)
        except Conflict:
            db.session.rollback()
            return ("refused", player_id, None)
    return job


@pytest.mark.parametrize("copies", [1, 2], ids=["once", "twice"])
def test_many_players_answer_at_once(app, enterprises, clock, copies):
    """40 phones answer at the same moment (each twice in the second run): one row each."""
    question = bank("single")[0]
    round_ = new_round([question])
    players = add_players(round_, enterprises[0], 40)
    rules.start(round_, clock.now())
    db.session.commit()
    now = clock.advance(seconds=3)
    jobs = [answer_job(round_.id, p.id, right(question) if copy == 0 else wrong(question), now)
            for p in players for copy in range(copies)]

    results = run_at_once(app, jobs)
    errors = [r for r in results if not isinstance(r, tuple)]
    assert not errors, errors
    stored = {pid: chosen for outcome, pid, chosen in results if outcome == "stored"}
    assert sorted(stored) == sorted(p.id for p in players)  # none lost
    assert sum(1 for outcome, *_ in results if outcome == "refused") == 40 * (copies - 1)

    rows = db_answers(round_.id)
    assert len(rows) == 40 and len({r.player_id for r in rows}) == 40
    for row in rows:
        assert row.chosen == stored[row.player_id]  # the answer kept is the one reported as stored
        assert row.response_ms == 3000
    assert db_round(round_.id).version == 2  # answers never change the round's state
    assert rules.everyone_answered(round_)


def test_concurrent_hosts_make_exactly_one_step(app, enterprises, clock):
    """Eight processes see the question is due at once (and two hosts press "next"):
    exactly one of them closes it."""
    round_ = new_round(bank("single", 2))
    rules.start(round_, clock.now())
    db.session.commit()
    due = round_.question_deadline + timedelta(seconds=GRACE + 1)

    def advance(ready):
        return host_call(ready, lambda r: rules.advance_if_due(r, due, GRACE))

    def press_next(ready):
        return host_call(ready, lambda r: rules.next_step(r, due) or True)

    def host_call(ready, action):
        current = db.session.get(LiveRound, round_.id)  # everyone sees question 1, version 2
        ready()
        try:
            done = action(current)
            db.session.commit()
            return done
        except Conflict:
            db.session.rollback()
            return False

    results = run_at_once(app, [advance] * 8 + [press_next] * 2)
    assert all(isinstance(r, bool) for r in results), results
    assert results.count(True) == 1
    stored = db_round(round_.id)
    assert (stored.state, stored.position, stored.version) == ("reveal", 1, 3)


# ====================================================================== 5. a restart mid-round


def test_a_round_continues_after_a_restart(app, database_uri, enterprises, clock):
    """The state lives only in the database: a new process takes over where the old one stopped."""
    q1, q2 = bank("single", 2)
    round_ = new_round([q1, q2], question_seconds=20)
    first, second, third = add_players(round_, enterprises[0], 3)
    rules.start(round_, clock.now())
    answer(round_, first, right(q1), clock.advance(seconds=2))
    answer(round_, second, wrong(q1), clock.advance(seconds=1))
    code, round_id = round_.code, round_.id
    db.session.commit()

    restarted = create_app(_config(database_uri, clock))
    with restarted.app_context():
        try:
            current = db.session.scalar(select(LiveRound).where(LiveRound.code == code))
            assert (current.state, current.position, current.version) == ("question", 1, 2)
            players = {p.name: p for p in db.session.scalars(select(LivePlayer).where(LivePlayer.round_id == round_id))}
            rules.record_answer(current, players["选手3"], 1, right(q1), clock.advance(seconds=2), GRACE)
            with pytest.raises(Conflict):  # the answer given before the restart still counts as the one
                rules.record_answer(current, players["选手1"], 1, wrong(q1), clock.now(), GRACE)
            assert rules.everyone_answered(current)
            rules.close_question(current, clock.advance(seconds=1))
            rules.next_step(current, clock.now())
            rules.next_step(current, clock.advance(seconds=5))
            db.session.commit()
            assert (current.state, current.position, current.version) == ("question", 2, 5)
            rules.record_answer(current, players["选手2"], 2, right(q2), clock.advance(seconds=10), GRACE)
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()

    # The old process (this app) reads the same story from the database.
    db.session.expire_all()
    round_ = db.session.get(LiveRound, round_id)
    assert (round_.state, round_.position, round_.version) == ("question", 2, 5)
    items = db_questions(round_id)
    assert items[0].closed_at == START + timedelta(seconds=6) and items[1].started_at == START + timedelta(seconds=11)
    standings = rules.player_standings(round_id)
    assert [(s.player_id, s.rank, s.score, s.correct, s.time_ms) for s in standings] == [
        (first.id, 1, 950, 1, 2000),
        (third.id, 2, 875, 1, 5000),
        (second.id, 3, 750, 1, 13000),
    ]


# ====================================================================== 6. standings and the answer distribution


def test_player_standings_ties_share_a_rank_and_keep_joining_order(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question, bank("judge")[0]])
    a, b, c, d, e, f = add_players(round_, enterprises[0], 6)
    rules.start(round_, START)
    answer(round_, d, right(question), START + timedelta(seconds=2))
    answer(round_, b, right(question), START + timedelta(seconds=2))  # same score and time as d
    answer(round_, a, right(question), START + timedelta(seconds=10))
    answer(round_, f, right(question), START)  # the best answer, but f will be removed
    rules.remove_player(round_, f.id)
    db.session.commit()  # c and e do not answer: 0 points, 0 ms, tied too

    standings = rules.player_standings(round_.id)
    assert [(s.rank, s.name, s.score, s.correct, s.time_ms) for s in standings] == [
        (1, "选手2", 950, 1, 2000),
        (1, "选手4", 950, 1, 2000),   # joined after 选手2: listed after, same rank
        (3, "选手1", 750, 1, 10000),
        (4, "选手3", 0, 0, 0),
        (4, "选手5", 0, 0, 0),
    ]
    assert standings[0].enterprise == enterprises[0].name and standings[0].department == "一车间"
    assert [s.name for s in rules.player_standings(round_.id, limit=2)] == ["选手2", "选手4"]


def test_enterprise_standings_average_per_enterprise(app, enterprises, clock):
    big, small, idle = enterprises
    twin = make_enterprise("第二家小单位", "XD04", 2)
    make_enterprise("没人参加的单位", "KB05", 3)
    q1, q2 = bank("single", 2)
    round_ = new_round([q1, q2], question_seconds=20)
    big_players = add_players(round_, big, 5, prefix="大")
    small_player = add_players(round_, small, 1, prefix="小")[0]
    twin_players = add_players(round_, twin, 2, prefix="双")
    add_players(round_, idle, 2, prefix="闲")  # join, never answer
    rules.start(round_, START)
    # Question 1 is skipped after the big enterprise answered it perfectly: it must not count.
    for player in big_players:
        answer(round_, player, right(q1), START)
    rules.skip(round_, START + timedelta(seconds=1))
    opened = round_.question_started_at
    for player, seconds in zip(big_players, (0, 10, 20)):  # 1000, 750, 500; two more give nothing
        answer(round_, player, right(q2), opened + timedelta(seconds=seconds))
    answer(round_, big_players[3], wrong(q2), opened + timedelta(seconds=1))
    answer(round_, small_player, right(q2), opened + timedelta(seconds=8))  # 800
    for player in twin_players:
        answer(round_, player, right(q2), opened + timedelta(seconds=8))  # 800 each
    rules.remove_player(round_, big_players[4].id)  # a removed player is not in the average
    db.session.commit()

    assert rules.enterprise_standings(round_.id) == [
        rules.TeamStanding(1, "第二家小单位", 2, 800.0),   # tie on average: more players first
        rules.TeamStanding(1, small.name, 1, 800.0),
        rules.TeamStanding(3, big.name, 4, 562.5),        # (1000 + 750 + 500 + 0) / 4
        rules.TeamStanding(4, idle.name, 2, 0.0),
    ]


def test_distribution_counts_each_letter(app, enterprises, clock):
    multi = multi_abcd()
    judge = bank("judge")[0]
    round_ = new_round([multi, judge], multi_partial=True)
    players = add_players(round_, enterprises[0], 6)
    rules.start(round_, START)
    picks = [list("ABCD"), list("ABCD"), list("AB"), list("ADE"), None, list("CE")]
    for player, letters in zip(players, picks):
        if letters:
            answer(round_, player, letters, START + timedelta(seconds=1))
    rules.remove_player(round_, players[5].id)  # its "CE" is not shown
    db.session.commit()

    shown = rules.distribution(round_.id, 1, len(multi.options))
    assert shown.counts == {"A": 4, "B": 3, "C": 2, "D": 3, "E": 1}
    assert (shown.answered, shown.right) == (4, 2)
    # 1 s in: 975; "AB" is half the right options: 487.5, rounded half-up.
    assert [r.points for r in db_answers(round_.id, 1)] == [975, 975, 488, 0, 0]

    rules.next_step(round_, START + timedelta(seconds=5))
    rules.next_step(round_, START + timedelta(seconds=5))
    rules.next_step(round_, START + timedelta(seconds=6))
    answer(round_, players[0], right(judge), START + timedelta(seconds=7))
    answer(round_, players[1], wrong(judge), START + timedelta(seconds=7))
    answer(round_, players[2], right(judge), START + timedelta(seconds=8))
    shown = rules.distribution(round_.id, 2, 2)
    expected = {"A": 0, "B": 0}
    expected[judge.answer] = 2
    expected[wrong(judge)[0]] = 1
    assert shown == rules.Distribution(expected, 3, 2)
    assert rules.distribution(round_.id, 2, 2).counts.keys() == {"A", "B"}
    assert db.session.scalar(select(func.count()).select_from(LiveAnswer)) == 8
