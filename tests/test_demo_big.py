"""`flask demo big`, run small through the CLI against the test database: what it stores is
consistent as if the app had recorded every answer itself."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import Integer, cast, func, select

from quiz.extensions import db
from quiz.models import (
    Attempt,
    AttemptQuestion,
    Campaign,
    Contest,
    ContestQuestionUse,
    Department,
    Enterprise,
    Participant,
    Question,
)

SMALL = ["demo", "big", "--enterprises", "6", "--regions", "2", "--participants", "300"]
BEIJING = timedelta(hours=8)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def demo(app):
    result = run(app, *SMALL)
    assert result.exit_code == 0, result.output
    return result


def fingerprint():
    """What a seed decides, independent of ids."""
    return (
        sorted(db.session.execute(select(Enterprise.name, Enterprise.headcount, Enterprise.region,
                                         Enterprise.industry)).all()),
        sorted(db.session.execute(select(Participant.name, Participant.identifier,
                                         Participant.department)).all()),
        round(db.session.scalar(select(func.sum(Attempt.score))), 2),
        db.session.scalar(select(func.count(AttemptQuestion.id))),
    )


def test_counts_regions_and_departments(demo):
    assert "完成" in demo.output and "答题记录" in demo.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.name == "演示大赛 2026"  # the year of the (frozen) server clock
    enterprises = db.session.scalars(select(Enterprise)).all()
    assert len(enterprises) == 6
    assert all(e.code.startswith("DM") and e.active for e in enterprises)
    regions = {e.region for e in enterprises}
    assert len(regions) == 2 and all(regions)  # every enterprise in one of the 2 regions
    assert all(e.industry for e in enterprises)
    assert all(10 <= e.headcount <= 2000 for e in enterprises)
    assert db.session.scalar(select(func.count(Participant.id))) == 300
    people = Counter(db.session.scalars(select(Participant.enterprise_id)))
    assert any(people[e.id] == 0 for e in enterprises)  # an enterprise nobody from took part

    departments = defaultdict(dict)
    for d in db.session.scalars(select(Department)):
        departments[d.enterprise_id][d.name] = d.headcount
    for e in enterprises:
        assert 3 <= len(departments[e.id]) <= 8
        assert sum(departments[e.id].values()) == e.headcount

    contests = db.session.scalars(select(Contest).order_by(Contest.id)).all()
    assert len(contests) in (2, 3)
    assert all(c.campaign_id == campaign.id and c.question_count == 20 for c in contests)
    assert any(c.ranking == "best" and c.pass_score == 60 for c in contests)
    assert any(c.ranking == "latest" for c in contests)

    # Every attempt's department is a department of its taker's enterprise; the latest
    # attempt has the department the person has now.
    rows = db.session.execute(
        select(Attempt.participant_id, Attempt.number, Attempt.department,
               Participant.enterprise_id, Participant.department)
        .join(Participant, Participant.id == Attempt.participant_id)
    ).all()
    latest = {}
    for participant_id, number, department, enterprise_id, now_in in rows:
        assert department in departments[enterprise_id]
        assert number in (1, 2)
        if number >= latest.get(participant_id, (0, None))[0]:
            latest[participant_id] = (number, department == now_in)
    assert len(latest) == 300  # everyone took part at least once
    assert all(same for _n, same in latest.values())


def test_answers_are_consistent(demo):
    contests = {c.id: c for c in db.session.scalars(select(Contest))}
    questions = {q.id: q for q in db.session.scalars(select(Question))}
    attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
    assert len(attempts) >= 300
    rows = defaultdict(list)
    for item in db.session.scalars(select(AttemptQuestion)):
        rows[item.attempt_id].append(item)
    assert sum(len(r) for r in rows.values()) == 20 * len(attempts)
    # The draw's use counts hold the bulk-loaded papers too.
    uses = Counter()
    for items in rows.values():
        for item in items:
            uses[(attempts[item.attempt_id].contest_id, item.question_id)] += 1
    stored = {(u.contest_id, u.question_id): u.uses for u in db.session.scalars(select(ContestQuestionUse))}
    assert stored == dict(uses)

    for attempt_id, attempt in attempts.items():
        contest = contests[attempt.contest_id]
        items = sorted(rows[attempt_id], key=lambda i: i.position)
        assert [i.position for i in items] == list(range(1, 21))
        assert len({i.question_id for i in items}) == 20
        assert attempt.max_score == 100
        assert abs(attempt.score - sum(i.points for i in items)) < 0.005
        assert attempt.correct_count == sum(1 for i in items if i.is_correct)
        assert attempt.passed == (None if contest.pass_score is None else attempt.score >= contest.pass_score)
        assert (attempt.certificate_no is not None) == bool(attempt.passed)
        # Times: inside the contest, answers between start and submission, in June (Beijing).
        assert contest.opens_at <= attempt.started_at < attempt.submitted_at <= attempt.deadline
        assert attempt.deadline <= contest.closes_at
        assert attempt.time_used_ms == round((attempt.submitted_at - attempt.started_at).total_seconds() * 1000)
        local = attempt.submitted_at + BEIJING
        assert (local.year, local.month) == (2026, 6)
        for item in items:
            question = questions[item.question_id]
            n = len(question.options)
            assert sorted(item.option_order) == list(range(n))
            if item.chosen is None:  # ran out of time before this one
                assert item.is_correct is None and item.points == 0 and item.answered_at is None
                continue
            assert attempt.started_at <= item.answered_at <= attempt.submitted_at
            # chosen holds original letters: valid, sorted, one for 单选/判断, two or more for 多选
            assert item.chosen == "".join(sorted(set(item.chosen)))
            assert all("ABCDEFGH".index(c) < n for c in item.chosen)
            assert (len(item.chosen) == 1) == (question.qtype != "multi")
            assert item.is_correct == (item.chosen == question.answer)
            if item.is_correct:
                assert item.points == 5
            elif contest.multi_partial and question.qtype == "multi" and set(item.chosen) < set(question.answer):
                assert item.points == round(5 * len(item.chosen) / len(question.answer), 2)
            else:
                assert item.points == 0


def test_harder_questions_are_answered_right_less_often(demo):
    facility = dict(db.session.execute(
        select(Question.difficulty, func.avg(cast(AttemptQuestion.is_correct, Integer)))
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.chosen.is_not(None))
        .group_by(Question.difficulty)
    ).all())
    assert facility[1] > facility[2] > facility[3]
    assert 0.4 < facility[3] < facility[1] < 0.98


def test_running_again_refuses_and_replace_rebuilds_the_same(app, demo):
    before = fingerprint()
    again = run(app, *SMALL)
    assert again.exit_code != 0
    assert "已存在" in again.output and "--replace" in again.output
    db.session.expire_all()
    assert fingerprint() == before  # nothing changed

    rebuilt = run(app, *SMALL, "--replace")
    assert rebuilt.exit_code == 0, rebuilt.output
    db.session.expire_all()
    assert "旧的演示数据已删除" in rebuilt.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 1
    assert fingerprint() == before  # deterministic for the seed

    # Ids were assigned by the command: the database's own ids carry on after them.
    enterprise = Enterprise(name="后来的单位", code="LATER1", headcount=5)
    db.session.add(enterprise)
    db.session.flush()
    assert enterprise.id > max(db.session.scalars(select(Enterprise.id).where(Enterprise.code != "LATER1")))
    db.session.rollback()


def test_another_seed_gives_another_campaign_year(app):
    result = run(app, *SMALL, "--seed", "2", "--year", "2025", "--participants", "40")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Campaign.name)) == "演示大赛 2025"
    assert db.session.scalar(select(func.count(Participant.id))) == 40
    first = db.session.scalar(select(func.min(Attempt.submitted_at)))
    assert (first + BEIJING).year == 2025


def test_replace_refuses_when_an_account_belongs_to_a_demo_enterprise(app, demo):
    from quiz.models import User

    from .conftest import START

    enterprise = db.session.scalar(select(Enterprise).order_by(Enterprise.id))
    admin = User(username="dm-admin", role="enterprise_admin", enterprise_id=enterprise.id, created_at=START)
    admin.set_password("admin pass 123")
    db.session.add(admin)
    db.session.commit()
    before = fingerprint()
    result = run(app, *SMALL, "--replace")
    assert result.exit_code != 0
    assert "账号" in result.output
    db.session.expire_all()
    assert fingerprint() == before


def test_a_second_year_refuses_while_the_demo_enterprises_exist(app, demo):
    before = fingerprint()
    result = run(app, *SMALL, "--year", "2025")
    assert result.exit_code != 0
    assert "演示大赛 2026" in result.output and "--replace" in result.output
    db.session.expire_all()
    assert fingerprint() == before
    assert db.session.scalar(select(func.count(Campaign.id))) == 1
