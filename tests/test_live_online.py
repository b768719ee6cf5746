"""Issue 19: live standings that never crown a non-answerer, and the online 6·16 round (直播答题):
a stream delay per round and the accuracy-only scoring. Rules on plain functions with the
controllable clock; then the pages (Flask test client) as the host and the phones use them."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quiz.errors import Conflict, QuizError, TooLate
from quiz.extensions import db
from quiz.live import rules
from quiz.live.push import take_snapshot
from quiz.models import LiveAnswer, LiveRound

from .conftest import START, csrf_token
from .test_live_pages import answer as phone_answer, control, create_round as form_round, join
from .test_live_rules import GRACE, add_players, answer, bank, multi_abcd, new_round, right, wrong


# ====================================================================== 1. who ranks first


def test_a_player_who_did_not_answer_ranks_below_one_who_answered_wrong(app, enterprises, clock):
    """The reported podium: nobody right, the one who never answered was 'champion' (0 ms)."""
    q1, q2 = bank("single", 2)
    round_ = new_round([q1, q2], question_seconds=20)
    silent, slow_wrong, fast_wrong = add_players(round_, enterprises[0], 3)  # silent joined first
    rules.start(round_, START)
    answer(round_, slow_wrong, wrong(q1), START + timedelta(seconds=19))
    answer(round_, fast_wrong, wrong(q1), START + timedelta(seconds=4))
    rules.close_question(round_, START + timedelta(seconds=20))
    db.session.commit()

    standings = rules.player_standings(round_.id)
    assert [(s.rank, s.name, s.score, s.answered, s.time_ms) for s in standings] == [
        (1, fast_wrong.name, 0, 1, 4000),
        (2, slow_wrong.name, 0, 1, 19000),
        (3, silent.name, 0, 0, 20000),  # an unanswered question counts its full time
    ]
    # The final podium (what phones and the projector show) agrees.
    rules.next_step(round_, START + timedelta(seconds=21))  # leaderboard
    rules.end(round_, START + timedelta(seconds=22))
    db.session.commit()
    assert [s.name for s in take_snapshot(round_).podium] == [fast_wrong.name, slow_wrong.name, silent.name]


def test_ties_score_then_answered_then_time_with_unanswered_at_full_time(app, enterprises, clock):
    q1, q2, q3 = bank("single", 3)
    round_ = new_round([q1, q2, q3], question_seconds=20, scoring_mode="count")
    a, b, c, d, e = add_players(round_, enterprises[0], 5)
    rules.start(round_, START)
    answer(round_, a, right(q1), START + timedelta(seconds=5))
    answer(round_, b, right(q1), START + timedelta(seconds=5))
    answer(round_, c, right(q1), START + timedelta(seconds=2))
    answer(round_, d, right(q1), START + timedelta(seconds=5))
    rules.close_question(round_, START + timedelta(seconds=20))
    rules.next_step(round_, START + timedelta(seconds=21))
    rules.next_step(round_, START + timedelta(seconds=22))  # question 2 opens at +22
    opened = START + timedelta(seconds=22)
    answer(round_, a, wrong(q2), opened + timedelta(seconds=18))  # answered both: 5 s + 18 s
    answer(round_, b, wrong(q2), opened + timedelta(seconds=18))  # the same as a: a tie
    # c does not answer q2: 2 s + 20 s = 22 s, but c answered fewer questions than a and b.
    answer(round_, d, wrong(q2), opened + timedelta(seconds=10))  # 5 s + 10 s: ahead of a and b
    rules.close_question(round_, opened + timedelta(seconds=20))
    db.session.commit()

    standings = rules.player_standings(round_.id)
    assert [(s.rank, s.name, s.score, s.answered, s.time_ms) for s in standings] == [
        (1, d.name, 100, 2, 15000),
        (2, a.name, 100, 2, 23000),
        (2, b.name, 100, 2, 23000),  # equal on all three: same rank, joining order
        (4, c.name, 100, 1, 22000),  # faster in total, but answered one question fewer
        (5, e.name, 0, 0, 40000),
    ]


def test_the_open_question_does_not_count_against_anyone_yet(app, enterprises, clock):
    q1, q2 = bank("single", 2)
    round_ = new_round([q1, q2], question_seconds=20)
    a, b = add_players(round_, enterprises[0], 2)
    rules.start(round_, START)
    answer(round_, a, right(q1), START + timedelta(seconds=10))
    assert [(s.name, s.time_ms) for s in rules.player_standings(round_.id)] == [(a.name, 10000), (b.name, 0)]
    rules.close_question(round_, START + timedelta(seconds=20))
    db.session.commit()
    assert [(s.name, s.time_ms) for s in rules.player_standings(round_.id)] == [(a.name, 10000), (b.name, 20000)]


def test_the_export_ranks_as_the_standings_do(app, enterprises, organiser_client, clock):
    round_ = form_round(organiser_client)
    silent = join(app, round_, "不答者", enterprises[0])  # noqa: F841 - joins, never answers
    wrong_phone = join(app, round_, "答错者", enterprises[0])
    assert control(organiser_client, round_, "start").status_code == 200
    db.session.refresh(round_)
    question = rules.live_question(round_).question
    clock.advance(seconds=7)
    assert phone_answer(wrong_phone, round_, wrong(question)).status_code == 200
    control(organiser_client, round_, "end")
    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/live/{round_.id}/export.xlsx").data))
    rows = list(book["选手"].iter_rows(values_only=True))
    assert rows[0][:8] == ("名次", "姓名", "单位", "部门", "得分", "答对题数", "作答题数", "总用时（秒，未答按满时）")
    # Ended during the question: it counts as asked, so the silent one has its full 20 s.
    assert [(r[0], r[1], r[6], r[7]) for r in rows[1:]] == [(1, "答错者", 1, 7), (2, "不答者", 0, 20)]


# ====================================================================== 2. accuracy-only scoring


def test_accuracy_scoring_is_100_per_fully_right_answer_and_time_breaks_ties(app, enterprises, clock):
    single = bank("single")[0]
    multi = multi_abcd()
    # Streak and partial credit are asked for, and ignored: accuracy only.
    round_ = new_round([single, multi], question_seconds=20, scoring_mode="accuracy", streak=True,
                       multi_partial=True)
    assert (round_.scoring, round_.streak_bonus, round_.multi_partial) == ("accuracy", False, False)
    a, b, c = add_players(round_, enterprises[0], 3)
    rules.start(round_, START)
    answer(round_, a, right(single), START + timedelta(seconds=15))
    answer(round_, b, right(single), START + timedelta(seconds=1))
    answer(round_, c, right(single), START + timedelta(seconds=3))
    assert [x.points for x in db.session.scalars(select(LiveAnswer).order_by(LiveAnswer.player_id))] == [100] * 3
    rules.close_question(round_, START + timedelta(seconds=20))
    rules.next_step(round_, START + timedelta(seconds=21))
    rules.next_step(round_, START + timedelta(seconds=22))
    opened = START + timedelta(seconds=22)
    answer(round_, a, list("ABCD"), opened + timedelta(seconds=2))
    answer(round_, b, list("AB"), opened + timedelta(seconds=1))  # partly right: nothing here
    answer(round_, c, list("ABCD"), opened + timedelta(seconds=19))
    rules.close_question(round_, opened + timedelta(seconds=20))
    db.session.commit()
    standings = rules.player_standings(round_.id)
    assert [(s.rank, s.name, s.score, s.correct, s.time_ms) for s in standings] == [
        (1, a.name, 200, 2, 17000),
        (2, c.name, 200, 2, 22000),  # as many right as a, slower in total
        (3, b.name, 100, 1, 2000),   # fastest, but fewer right answers
    ]
    assert all(x.bonus == 0 for x in db.session.scalars(select(LiveAnswer)))


def test_create_round_refuses_an_unknown_mode_and_a_delay_out_of_range(app, enterprises, clock):
    questions = bank("single", 1)
    with pytest.raises(QuizError, match="计分方式"):
        new_round(questions, scoring_mode="fastest")
    with pytest.raises(QuizError, match="直播延迟应在 0 到 60 秒之间"):
        new_round(questions, stream_delay=61)
    with pytest.raises(QuizError, match="直播延迟"):
        new_round(questions, stream_delay=-1)


# ====================================================================== 3. the stream delay (rules)


def test_phones_get_the_question_after_the_stream_delay(app, enterprises, clock):
    question = bank("single")[0]
    round_ = new_round([question, bank("judge")[0]], question_seconds=20, stream_delay=10)
    early, on_time, late, too_late = add_players(round_, enterprises[0], 4)
    rules.start(round_, START)  # the stage shows question 1 at once
    db.session.commit()
    assert round_.state == "question"
    assert round_.question_started_at == START + timedelta(seconds=10)   # the phones' opening
    assert round_.question_deadline == START + timedelta(seconds=30)     # + 20 s from there
    assert not rules.phones_open(round_, START + timedelta(seconds=9, milliseconds=999))

    # Asking before the stream shows the question: refused, nothing stored.
    with pytest.raises(Conflict, match="还未在直播画面中出现"):
        rules.record_answer(round_, early, 1, right(question), START + timedelta(seconds=5), GRACE)
    db.session.rollback()
    assert db.session.scalar(select(LiveAnswer).where(LiveAnswer.player_id == early.id)) is None

    # 3 s after the phones' opening: 3 000 ms (the delay is not counted), full speed points minus 3 s.
    saved = answer(round_, on_time, right(question), START + timedelta(seconds=13))
    assert (saved.response_ms, saved.points) == (3000, rules.speed_points(3000, 20000))
    # Within delay + window (+ the network grace): accepted, at most the full window.
    saved = answer(round_, late, right(question), START + timedelta(seconds=31))
    assert saved.response_ms == 20000
    with pytest.raises(TooLate):
        rules.record_answer(round_, too_late, 1, right(question), START + timedelta(seconds=30 + GRACE + 1), GRACE)
    db.session.rollback()
    # The question is not due at T after the stage's opening, only at delay + T.
    assert not rules.is_due(round_, START + timedelta(seconds=20 + GRACE + 1), GRACE)
    assert rules.is_due(round_, START + timedelta(seconds=30 + GRACE + 1), GRACE)


def test_a_pause_during_the_delay_keeps_what_is_left_of_it(app, enterprises, clock):
    round_ = new_round(bank("single", 1), question_seconds=20, stream_delay=10)
    rules.start(round_, START)
    rules.pause(round_, START + timedelta(seconds=4))      # 6 s of delay and 20 s of window left
    rules.resume(round_, START + timedelta(seconds=100))
    db.session.commit()
    assert round_.question_started_at == START + timedelta(seconds=106)
    assert round_.question_deadline == START + timedelta(seconds=126)


def test_without_a_delay_nothing_changes(app, enterprises, clock):
    round_ = new_round(bank("single", 1), question_seconds=20)
    rules.start(round_, START)
    assert (round_.stream_delay_seconds, round_.question_started_at, round_.question_deadline) == (
        0, START, START + timedelta(seconds=20))
    assert rules.phones_open(round_, START)


# ====================================================================== 3. the stream delay (pages)


def test_the_round_form_takes_the_delay_and_the_accuracy_mode(app, enterprises, organiser_client, clock):
    page = organiser_client.get("/admin/live").get_data(as_text=True)
    assert "直播延迟" in page and "只计正确率" in page
    round_ = form_round(organiser_client, stream_delay="12", scoring="accuracy")
    assert (round_.stream_delay_seconds, round_.scoring) == (12, "accuracy")
    token = csrf_token(organiser_client, "/admin/live")
    for value in ("61", "-1"):
        response = organiser_client.post("/admin/live", data={
            "title": "直播", "source": "pick", "uids": round_.title, "question_seconds": "20",
            "scoring": "speed", "multi_partial": "all", "stream_delay": value, "csrf_token": token})
        assert response.status_code == 422
        assert "直播延迟应在 0 到 60 秒之间。" in response.get_data(as_text=True)
    # Left empty: a round in the hall, no delay.
    assert form_round(organiser_client, stream_delay="").stream_delay_seconds == 0


def test_a_phone_sees_the_question_only_when_the_stream_shows_it(app, enterprises, organiser_client, clock):
    round_ = form_round(organiser_client, stream_delay="10")
    phone = join(app, round_, "直播观众", enterprises[0])
    assert control(organiser_client, round_, "start").status_code == 200
    db.session.refresh(round_)
    question = rules.live_question(round_).question
    stem_start = question.stem[:8]

    clock.advance(seconds=4)
    # The stage is not delayed: the host sees the question, counting the window as the stream shows it.
    host = organiser_client.get(f"/admin/live/{round_.id}/stage", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert stem_start in host and 'data-seconds-left="16"' in host
    # The phone: neither the question nor its options, on the page, the poll or the stream.
    for body in (phone.get(f"/live/{round_.code}").get_data(as_text=True),
                 phone.get(f"/live/{round_.code}/stage?v={round_.version}w").get_data(as_text=True)):
        assert "题目即将出现" in body and stem_start not in body and "live-button" not in body
        for option in question.options:
            assert f"<b>A</b> {option}" not in body
    # The poll answers 200 (not 204) for the waiting stage's version, so it asks again.
    assert phone.get(f"/live/{round_.code}/stage?v={round_.version}w").status_code == 200
    refused = phone_answer(phone, round_, right(question))
    assert refused.status_code == 409 and db.session.scalar(select(LiveAnswer)) is None

    clock.advance(seconds=6)  # 10 s: the stream shows it
    body = phone.get(f"/live/{round_.code}/stage?v={round_.version}w").get_data(as_text=True)
    assert stem_start in body and 'data-seconds-left="20"' in body
    clock.advance(seconds=5)
    assert phone_answer(phone, round_, right(question)).status_code == 200
    saved = db.session.scalar(select(LiveAnswer))
    assert saved.response_ms == 5000  # from the phones' opening, the delay left out


def test_the_event_stream_sends_the_question_when_the_delay_is_over(app, enterprises, organiser_client, clock):
    """A stream (re)connected while waiting gets no question; one connected from the phones'
    opening gets it. (An open stream also wakes at the opening by itself, no new version being
    published: its wait is cut to the time left, which in real seconds is not tested here.)"""
    from .test_live_pages import first_event

    round_ = form_round(organiser_client, stream_delay="10")
    phone = join(app, round_, "直播观众", enterprises[0])
    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    stem_start = rules.live_question(round_).question.stem[:8]
    waiting = first_event(phone.get(f"/live/{round_.code}/events", buffered=False))
    assert "题目即将出现" in waiting and stem_start not in waiting
    clock.advance(seconds=10)
    shown = first_event(phone.get(f"/live/{round_.code}/events", buffered=False))
    assert stem_start in shown
    assert db.session.get(LiveRound, round_.id).state == "question"
