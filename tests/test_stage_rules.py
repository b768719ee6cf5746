"""The on-stage team contest's rules, as plain functions on a controllable clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from quiz.errors import Conflict, QuizError
from quiz.extensions import db
from quiz.models import Question, StageCorrection
from quiz.stagecontest import rules

from .conftest import START, make_organiser


@pytest.fixture
def host(app):
    return make_organiser()


@pytest.fixture
def contest(host):
    found = rules.create_contest(host.id, "6·16 现场赛", START, foul_penalty=5, buzz_wrong_penalty=5)
    for name in ("化工队", "物流队", "建工队"):
        rules.add_team(found, name, unit=name[:2] + "公司", members="张三、李四")
    db.session.commit()
    return found


@pytest.fixture
def questions(app):
    return list(db.session.scalars(select(Question).where(Question.current.is_(True)).order_by(Question.id).limit(10)))


def team(contest, position):
    return rules.teams(contest)[position - 1]


def scores(contest):
    return {s.name: s.score for s in rules.team_scores(contest)}


def ms(value):
    return START + timedelta(milliseconds=value)


def test_presses_are_ordered_by_receive_time_and_shown_after_the_window(contest, questions, host):
    rules.ask(contest, "buzz", questions[0], START)
    rules.unlock(contest, ms(0))
    # Requests "arrive" at t+5 ms, t+120 ms, t+80 ms (handled in this order).
    rules.press(contest, team(contest, 1), ms(5))
    rules.press(contest, team(contest, 2), ms(120))
    rules.press(contest, team(contest, 3), ms(80))
    item = rules.current_item(contest)
    order = rules.buzz_order(item)
    assert [p.team_id for p in order] == [team(contest, 1).id, team(contest, 3).id, team(contest, 2).id]
    # The order is shown 300 ms after the first press, not before.
    assert rules.order_visible_at(contest, order) == ms(305)
    assert not rules.order_visible(contest, order, ms(304))
    assert rules.answering_team_id(contest, item, ms(304)) is None
    with pytest.raises(Conflict):
        rules.judge(contest, team(contest, 1).id, True, host.id, ms(200))
    assert rules.order_visible(contest, order, ms(305))
    assert rules.answering_team_id(contest, item, ms(305)) == team(contest, 1).id


def test_a_press_that_arrives_first_wins_even_when_handled_last(contest, questions):
    rules.ask(contest, "buzz", questions[0], START)
    rules.unlock(contest, ms(0))
    rules.press(contest, team(contest, 2), ms(120))
    rules.press(contest, team(contest, 1), ms(5))
    order = rules.buzz_order(rules.current_item(contest))
    assert order[0].team_id == team(contest, 1).id
    assert rules.order_visible_at(contest, order) == ms(305)


def test_a_press_before_unlock_is_a_foul_with_the_penalty(contest, questions, host):
    rules.ask(contest, "buzz", questions[0], START)
    foul = rules.press(contest, team(contest, 1), ms(50))
    assert foul.foul
    assert scores(contest)["化工队"] == -5
    rules.unlock(contest, ms(100))
    with pytest.raises(Conflict):  # out of this question
        rules.press(contest, team(contest, 1), ms(150))
    rules.press(contest, team(contest, 2), ms(160))
    item = rules.current_item(contest)
    assert [p.team_id for p in rules.buzz_order(item)] == [team(contest, 2).id]
    assert [p.team_id for p in rules.fouls(item)] == [team(contest, 1).id]


def test_wrong_passes_to_the_next_buzzer_and_right_closes(contest, questions, host):
    rules.ask(contest, "buzz", questions[0], START)
    rules.unlock(contest, ms(0))
    for position, at in ((1, 10), (2, 20), (3, 30)):
        rules.press(contest, team(contest, position), ms(at))
    now = ms(1000)
    rules.judge(contest, team(contest, 1).id, False, host.id, now)
    item = rules.current_item(contest)
    assert item.closed_at is None
    assert rules.answering_team_id(contest, item, now) == team(contest, 2).id
    rules.pass_on(contest, host.id, now)
    assert rules.answering_team_id(contest, item, now) == team(contest, 3).id
    with pytest.raises(Conflict):
        rules.judge(contest, team(contest, 2).id, True, host.id, now)
    rules.judge(contest, team(contest, 3).id, True, host.id, now)
    assert item.closed_at == now
    assert scores(contest) == {"建工队": 10, "物流队": 0, "化工队": -5}


def test_required_questions_per_team_with_configured_points(host, questions):
    contest = rules.create_contest(host.id, "必答", START, points_required=20)
    a = rules.add_team(contest, "甲队")
    b = rules.add_team(contest, "乙队")
    rules.ask(contest, "required", questions[0], START, team=a)
    with pytest.raises(Conflict):  # one question on stage at a time
        rules.ask(contest, "required", questions[1], START, team=b)
    with pytest.raises(Conflict):  # only the named team answers
        rules.judge(contest, b.id, True, host.id, START)
    rules.judge(contest, a.id, True, host.id, START)
    rules.ask(contest, "required", questions[1], START, team=b)
    rules.judge(contest, b.id, False, host.id, START)
    assert scores(contest) == {"甲队": 20, "乙队": 0}
    with pytest.raises(QuizError):
        rules.ask(contest, "required", questions[2], START)  # no team named


def test_risk_points_add_or_subtract_the_stake_chosen_before(host, questions):
    contest = rules.create_contest(host.id, "风险", START)
    a = rules.add_team(contest, "甲队")
    b = rules.add_team(contest, "乙队")
    with pytest.raises(QuizError):
        rules.ask(contest, "risk", questions[0], START, team=a, stake=25)
    with pytest.raises(QuizError):
        rules.ask(contest, "risk", questions[0], START, team=a)
    item = rules.ask(contest, "risk", questions[0], START, team=a, stake=30)
    assert item.points == 30
    rules.judge(contest, a.id, True, host.id, START)
    rules.ask(contest, "risk", questions[1], START, team=b, stake=20)
    rules.judge(contest, b.id, False, host.id, START)
    assert scores(contest) == {"甲队": 30, "乙队": -20}


def test_corrections_are_logged_with_who_when_before_and_after(contest, questions, host):
    a, b = team(contest, 1), team(contest, 2)
    rules.ask(contest, "required", questions[0], START, team=a)
    judgement = rules.judge(contest, a.id, False, host.id, START)
    later = START + timedelta(minutes=5)
    entry = rules.correct_judgement(contest, judgement.id, True, 10, host.id, "复核：答案正确", later)
    assert (entry.score_before, entry.score_after, entry.delta, entry.by_id, entry.at) == (0, 10, 10, host.id, later)
    assert judgement.correct and judgement.points == 10
    rules.adjust(contest, b.id, -3, host.id, "违规提示", later)
    with pytest.raises(QuizError):
        rules.adjust(contest, b.id, 2, host.id, "", later)
    assert scores(contest)["化工队"] == 10 and scores(contest)["物流队"] == -3
    log = db.session.scalars(select(StageCorrection).order_by(StageCorrection.id)).all()
    assert [(c.team_id, c.score_before, c.score_after, c.reason) for c in log] == [
        (a.id, 0, 10, "复核：答案正确"), (b.id, 0, -3, "违规提示")]


def test_scores_rank_ties_together(contest):
    board = rules.team_scores(contest)
    assert [s.rank for s in board] == [1, 1, 1]
    assert [s.name for s in board] == ["化工队", "物流队", "建工队"]


def test_buzzer_states_never_show_the_question(contest, questions):
    a, b = team(contest, 1), team(contest, 2)
    assert rules.buzzer_state(contest, a, START)["state"] == "idle"
    rules.ask(contest, "buzz", questions[0], START)
    assert rules.buzzer_state(contest, a, START)["state"] == "locked"
    rules.unlock(contest, ms(10))
    assert rules.buzzer_state(contest, a, ms(10))["state"] == "open"
    rules.press(contest, b, ms(20))
    state = rules.buzzer_state(contest, b, ms(100))
    assert state["state"] == "pressed" and state["rank"] is None and state["until"] == ms(320)
    assert rules.buzzer_state(contest, b, ms(320))["rank"] == 1
    assert set(rules.buzzer_state(contest, b, ms(320))) == {"state", "seq", "rank", "until"}


def test_teams_from_enterprises_and_members(contest, enterprises):
    made = rules.teams_from_enterprises(contest, enterprises)
    assert [t.name for t in made] == [e.name for e in enterprises]
    assert rules.teams_from_enterprises(contest, enterprises) == []
    with pytest.raises(QuizError):
        rules.add_team(contest, "五人队", members="甲、乙、丙、丁、戊")
    with pytest.raises(Conflict):
        rules.add_team(contest, "化工队")


def test_buzzer_binding_one_phone_per_team(contest):
    a = team(contest, 1)
    device = rules.bind_buzzer(contest, a, None)
    assert rules.bind_buzzer(contest, a, device) == device
    with pytest.raises(Conflict):
        rules.bind_buzzer(contest, a, "another-phone")
    code = a.takeover_code
    other = rules.bind_buzzer(contest, a, "another-phone", code)
    assert other != device and a.device == other
    with pytest.raises(Conflict):  # the code worked once
        rules.bind_buzzer(contest, a, device, code)
    rules.release_buzzer(contest, a)
    assert rules.bind_buzzer(contest, a, device)


def test_version_grows_with_every_press(contest, questions):
    rules.ask(contest, "buzz", questions[0], START)
    rules.unlock(contest, ms(0))
    db.session.refresh(contest)
    before = contest.version
    rules.press(contest, team(contest, 1), ms(5))
    rules.press(contest, team(contest, 2), ms(6))
    db.session.refresh(contest)
    assert contest.version == before + 2
