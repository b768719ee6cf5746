"""An organiser corrects a contest (quiz/contests/lifecycle.py), through the pages: edit before
anyone starts and after, pause and resume, end now, extend, copy, delete or archive."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from quiz.contests import attempts
from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion, Contest

from .conftest import START, csrf_token, make_contest, make_enterprise, question_of, shown_letters_for, staff_client


def _post(client, path, data=None):
    token = csrf_token(client, "/admin/contests/")
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _local(moment) -> str:
    """A naive UTC time as a datetime-local form value (Asia/Shanghai, UTC+8)."""
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def _full_form(contest: Contest, **changes) -> dict:
    data = {
        "title": contest.title, "description": "", "campaign": str(contest.campaign_id),
        "opens_at": _local(contest.opens_at), "closes_at": _local(contest.closes_at),
        "question_count": "5", "time_limit_minutes": "10", "per_question_seconds": "",
        "points_single": "10", "points_multi": "10", "points_judge": "10", "multi_partial": "all",
        "max_attempts": "1", "attempts_per_day": "total", "pass_score": "", "ranking": "best",
        "leave_limit": "", "fixed_paper": "", "categories": [str(c.id) for c in contest.categories],
        "open_to_all": "all", "identity_mode": "open", "review_mode": "after_close",
    }
    data.update(changes)
    return data


def _start(phone, contest, enterprises, identifier="13800138000") -> int:
    return phone.attempt_id(phone.sign_up(contest.code, identifier=identifier, enterprise=enterprises[0].id))


def test_before_anyone_starts_everything_can_be_edited(contest, enterprises, organiser_client):
    page = organiser_client.get(f"/admin/contests/{contest.id}/edit")
    assert page.status_code == 200 and "所有设置都可以修改" in page.get_data(as_text=True)
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit", _full_form(
        contest, title="改过的竞赛", description="独立作答", question_count="8", time_limit_minutes="20",
        points_single="5", points_multi="5", points_judge="5", max_attempts="3", leave_limit="2"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    changed = db.session.get(Contest, contest.id)
    assert (changed.title, changed.description, changed.question_count, changed.time_limit_seconds) == (
        "改过的竞赛", "独立作答", 8, 1200)
    assert (changed.points_single, changed.max_attempts, changed.leave_limit) == (5, 3, 2)
    assert changed.code == "TEST01"


def test_bad_input_keeps_what_was_typed(contest, enterprises, organiser_client):
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit",
                     _full_form(contest, title="留下的名称", question_count="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "留下的名称" in html and "field-error" in html


def test_after_someone_starts_only_the_safe_fields_change(contest, enterprises, organiser_client, phone, clock):
    _start(phone, contest, enterprises)
    page = organiser_client.get(f"/admin/contests/{contest.id}/edit").get_data(as_text=True)
    assert "已有人开始答题" in page and 'name="question_count"' not in page
    new_close = contest.closes_at + timedelta(days=2)
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit", {
        "title": "新名称", "description": "新说明", "closes_at": _local(new_close), "pass_score": "30",
        # what may no longer change is ignored even when a forged form sends it
        "question_count": "50", "points_single": "99",
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    changed = db.session.get(Contest, contest.id)
    assert (changed.title, changed.description, changed.closes_at, changed.pass_score) == (
        "新名称", "新说明", new_close, 30)
    assert (changed.question_count, changed.points_single) == (5, 10)
    # a pass mark above the full score is refused with the reason
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit", {
        "title": "新名称", "closes_at": _local(new_close), "pass_score": "51"})
    assert response.status_code == 422 and "及格分不能高于满分" in response.get_data(as_text=True)


def test_pause_refuses_answers_and_sign_ups_and_resume_gives_the_time_back(
        contest, enterprises, organiser_client, phone, new_phone, clock):
    attempt_id = _start(phone, contest, enterprises)
    deadline = db.session.get(Attempt, attempt_id).deadline
    clock.advance(60)
    assert _post(organiser_client, f"/admin/contests/{contest.id}/pause").status_code == 303
    clock.advance(seconds=7 * 60 + 13)

    quiz = phone.get(f"/a/{attempt_id}")
    assert quiz.status_code == 200 and "竞赛已暂停" in quiz.get_data(as_text=True)
    assert 'data-paused="1"' in quiz.get_data(as_text=True)
    item = question_of(attempt_id, 1)
    refused = phone.post(f"/a/{attempt_id}/answer",
                         {"position": "1", "choice": shown_letters_for(item, item.question.answer)})
    assert refused.status_code == 409 and "竞赛已暂停" in refused.get_data(as_text=True)
    assert question_of(attempt_id, 1).chosen is None
    assert phone.post(f"/a/{attempt_id}/submit").status_code == 409
    assert db.session.get(Attempt, attempt_id).submitted_at is None
    # a new phone cannot sign up; the sign-up page says why
    other = new_phone()
    assert "竞赛已暂停" in other.get(f"/j/{contest.code}").get_data(as_text=True)
    signup = other.sign_up(contest.code, identifier="13900000002", enterprise=enterprises[0].id)
    assert signup.status_code == 409 and "竞赛已暂停" in signup.get_data(as_text=True)
    # the sweep leaves a paused contest's attempts alone, even past their deadline
    clock.advance(seconds=10 * 60)
    assert attempts.close_expired(None, clock.now(), 2) == 0

    assert _post(organiser_client, f"/admin/contests/{contest.id}/resume").status_code == 303
    db.session.expire_all()
    paused_for = timedelta(seconds=7 * 60 + 13 + 10 * 60)
    assert db.session.get(Attempt, attempt_id).deadline == deadline + paused_for
    answered = phone.post(f"/a/{attempt_id}/answer",
                          {"position": "1", "choice": shown_letters_for(item, item.question.answer)})
    assert answered.status_code == 200
    assert question_of(attempt_id, 1).chosen is not None


def test_resume_moves_per_question_deadlines_too(enterprises, organiser_client, phone, clock):
    contest = make_contest(code="PERQ01", per_question_seconds=20, question_count=3)
    attempt_id = _start(phone, contest, enterprises)
    assert phone.get(f"/a/{attempt_id}").status_code == 200  # shows question 1: its clock starts
    first = question_of(attempt_id, 1).deadline
    assert first == START + timedelta(seconds=20)
    clock.advance(5)
    _post(organiser_client, f"/admin/contests/{contest.id}/pause")
    clock.advance(300)
    assert "竞赛已暂停" in phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    _post(organiser_client, f"/admin/contests/{contest.id}/resume")
    db.session.expire_all()
    assert question_of(attempt_id, 1).deadline == first + timedelta(seconds=300)
    assert 'data-seconds-left="15"' in phone.get(f"/a/{attempt_id}").get_data(as_text=True)


def test_end_now_closes_sign_ups_and_open_attempts(contest, enterprises, organiser_client, phone, new_phone,
                                                   clock):
    attempt_id = _start(phone, contest, enterprises)
    clock.advance(30)
    page = organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "确认立即结束" in page and "confirm(" not in page  # confirmed in the page
    assert _post(organiser_client, f"/admin/contests/{contest.id}/end").status_code == 303
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).closes_at == clock.now()
    assert db.session.get(Attempt, attempt_id).deadline == clock.now()
    assert new_phone().sign_up(contest.code, identifier="13900000003",
                               enterprise=enterprises[0].id).status_code == 410
    clock.advance(5)  # past the answer grace: the sweep submits it
    assert attempts.close_expired(None, clock.now(), 2) == 1
    db.session.commit()
    assert db.session.get(Attempt, attempt_id).submitted_at is not None


def test_extend_gives_open_attempts_the_time_the_old_close_cut(enterprises, organiser_client, phone, clock):
    contest = make_contest(code="EXT001", minutes=30, lasts=timedelta(hours=1, minutes=10))
    # 10 minutes before the close (opened an hour ago): the deadline is the close
    attempt_id = _start(phone, contest, enterprises)
    assert db.session.get(Attempt, attempt_id).deadline == contest.closes_at
    new_close = contest.closes_at + timedelta(hours=2)
    response = _post(organiser_client, f"/admin/contests/{contest.id}/close-time",
                     {"closes_at": _local(new_close)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).closes_at == new_close
    assert db.session.get(Attempt, attempt_id).deadline == clock.now() + timedelta(minutes=30)
    # a close time already past is refused for a contest under way
    response = _post(organiser_client, f"/admin/contests/{contest.id}/close-time",
                     {"closes_at": _local(clock.now() - timedelta(minutes=5))}, )
    assert db.session.get(Contest, contest.id).closes_at == new_close
    follow = organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "立即结束" in follow


def test_copy_keeps_the_rules_with_a_new_code(enterprises, organiser_client):
    contest = make_contest(code="COPY01", pass_score=30, max_attempts=2, leave_limit=1, per_question_seconds=15,
                           enterprises=enterprises[:2], description="原说明")
    response = _post(organiser_client, f"/admin/contests/{contest.id}/copy")
    assert response.status_code == 303 and "/edit" in response.headers["Location"]
    copy = db.session.scalar(select(Contest).where(Contest.id != contest.id))
    assert copy.title == "测试竞赛（副本）" and copy.code != contest.code
    assert (copy.pass_score, copy.max_attempts, copy.leave_limit, copy.per_question_seconds, copy.description) == (
        30, 2, 1, 15, "原说明")
    assert {e.id for e in copy.enterprises} == {e.id for e in enterprises[:2]} and not copy.open_to_all
    assert {c.id for c in copy.categories} == {c.id for c in contest.categories}


def test_delete_only_before_anyone_starts_else_archive(contest, enterprises, organiser_client, phone, clock):
    spare_id = make_contest(code="SPARE1", title="没人参加的竞赛").id
    assert _post(organiser_client, f"/admin/contests/{spare_id}/delete").status_code == 303
    assert db.session.scalar(select(Contest.id).where(Contest.id == spare_id)) is None

    attempt_id = _start(phone, contest, enterprises)
    phone.post(f"/a/{attempt_id}/submit")
    page = organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "确认删除" not in page
    _post(organiser_client, f"/admin/contests/{contest.id}/delete")
    assert db.session.get(Contest, contest.id) is not None
    assert "不能删除" in organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)

    clock.advance(days=2)  # over: it may be archived
    assert _post(organiser_client, f"/admin/contests/{contest.id}/archive").status_code == 303
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).archived_at == clock.now()
    listing = organiser_client.get("/admin/contests/").get_data(as_text=True)
    assert "TEST01" not in listing and "已归档的竞赛（1）" in listing
    assert "TEST01" in organiser_client.get("/admin/contests/?archived=1").get_data(as_text=True)
    # its results stay
    board = organiser_client.get(f"/admin/contests/{contest.id}/board")
    assert board.status_code == 200 and "张三" in board.get_data(as_text=True)


def test_a_close_time_in_the_past_needs_confirming(contest, enterprises, organiser_client, clock):
    past = _full_form(contest, closes_at=_local(clock.now() - timedelta(minutes=1)))
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit", past)
    assert response.status_code == 422 and "结束时间已经过去" in response.get_data(as_text=True)
    assert db.session.get(Contest, contest.id).closes_at > clock.now()
    response = _post(organiser_client, f"/admin/contests/{contest.id}/edit", {**past, "confirm_past": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).closes_at < clock.now()
    assert "已经过去" in organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    # the new-contest form warns the same way
    response = _post(organiser_client, "/admin/contests/new", {**past, "title": "过期的新竞赛"})
    assert response.status_code == 422 and "结束时间已经过去" in response.get_data(as_text=True)


def test_another_enterprises_admin_may_do_none_of_it(app, enterprises, clock):
    own = make_contest(code="OWN001", title="甲单位内部竞赛", enterprise_id=enterprises[0].id)
    stranger = staff_client(app, "yi-admin", enterprise=enterprises[1])
    mine = staff_client(app, "jia-admin", enterprise=enterprises[0])
    for action in ("edit", "pause", "resume", "end", "close-time", "copy", "delete", "archive", "unarchive"):
        response = _post(stranger, f"/admin/contests/{own.id}/{action}",
                         {"closes_at": _local(own.closes_at + timedelta(days=1)), "title": "改"})
        assert response.status_code == 403, action
    assert stranger.get(f"/admin/contests/{own.id}/edit").status_code == 403
    db.session.expire_all()
    assert db.session.get(Contest, own.id).paused_at is None
    assert db.session.scalar(select(Contest).where(Contest.id != own.id)) is None
    # its own admin may
    assert _post(mine, f"/admin/contests/{own.id}/pause").status_code == 303
    db.session.expire_all()
    assert db.session.get(Contest, own.id).paused_at == clock.now()


def test_actions_need_the_csrf_token(contest, enterprises, organiser_client):
    assert organiser_client.post(f"/admin/contests/{contest.id}/pause").status_code == 400
    assert db.session.get(Contest, contest.id).paused_at is None
