"""The organiser's journey: log in, create a contest, get QR codes and posters, read the boards."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Campaign, Category, Contest, Question

from .conftest import START, csrf_token, make_contest


def contest_form(client, **overrides):
    categories = [str(c.id) for c in db.session.scalars(select(Category).order_by(Category.position))][:3]
    data = {
        "title": "2026年安全生产月知识竞赛",
        "campaign": str(db.session.scalars(select(Campaign.id)).first()),
        "opens_at": "2026-06-01T08:00",
        "closes_at": "2026-06-30T20:00",
        "question_count": "10",
        "time_limit_minutes": "15",
        "points_single": "10", "points_multi": "10", "points_judge": "10",
        "multi_partial": "all", "max_attempts": "1", "attempts_per_day": "total", "ranking": "best",
        "categories": categories,
        "open_to_all": "all",
        "csrf_token": csrf_token(client, "/admin/contests/new"),
    }
    data.update(overrides)
    return data


def test_organiser_pages_require_login(contest, client):
    for path in ("/admin/contests/", "/admin/contests/new", f"/admin/contests/{contest.id}",
                 f"/admin/contests/{contest.id}/qr.png", f"/admin/contests/{contest.id}/poster",
                 f"/admin/contests/{contest.id}/board", "/admin/enterprises"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/admin/login" in response.headers["Location"]


def test_wrong_password_is_refused(app, client):
    from .conftest import make_organiser

    make_organiser()
    response = client.post("/admin/login", data={
        "username": "organiser", "password": "wrong", "csrf_token": csrf_token(client, "/admin/login")})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/admin/contests/").status_code == 302


def test_login_never_redirects_off_site(app, client):
    from .conftest import make_organiser

    make_organiser()
    response = client.post("/admin/login?next=//evil.example/x", data={
        "username": "organiser", "password": "correct horse 1",
        "csrf_token": csrf_token(client, "/admin/login")})
    assert response.headers["Location"] == "/admin/"  # the dashboard


def test_create_contest_then_participants_can_join(app, enterprises, organiser_client, new_phone, clock):
    from .conftest import make_campaign

    make_campaign()
    db.session.commit()
    form = contest_form(organiser_client, open_to_all="listed",
                        enterprises=[str(enterprises[0].id), str(enterprises[1].id)])
    response = organiser_client.post("/admin/contests/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    contest = db.session.scalars(select(Contest)).one()
    assert contest.title == "2026年安全生产月知识竞赛"
    # Times are entered in Beijing time and stored as UTC.
    assert contest.opens_at == START.replace(month=6, day=1, hour=0)
    assert contest.closes_at == START.replace(month=6, day=30, hour=12)
    assert contest.time_limit_seconds == 900 and contest.question_count == 10
    assert len(contest.categories) == 3 and not contest.open_to_all
    assert {e.id for e in contest.enterprises} == {enterprises[0].id, enterprises[1].id}
    assert re.fullmatch(r"[A-Z2-9]{6}", contest.code)

    detail = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"http://quiz.test/j/{contest.code}" in detail
    assert f"http://quiz.test/j/{contest.code}/{enterprises[0].code}" in detail
    assert enterprises[2].code not in detail  # not taking part: no poster

    clock.set(contest.opens_at + timedelta(hours=1))
    phone = new_phone()
    assert phone.sign_up(contest.code, enterprise=enterprises[0].id).status_code == 204


def test_contest_form_errors_are_clear_and_store_nothing(app, enterprises, organiser_client):
    from .conftest import make_campaign

    make_campaign()
    db.session.commit()
    # The category with the fewest questions (an unordered "first" depended on the planner).
    smallest = db.session.scalar(select(Question.category_id).where(Question.current.is_(True))
                                 .group_by(Question.category_id).order_by(func.count(), Question.category_id).limit(1))
    cases = [
        ({"title": ""}, "请填写竞赛名称"),
        ({"closes_at": "2026-05-01T08:00"}, "结束时间必须晚于开始时间"),
        ({"opens_at": "not a date"}, "不是有效的日期与时间值"),
        ({"question_count": "5000"}, "题目数量应在 1 到 100 之间"),
        ({"question_count": "100", "categories": [str(smallest)]}, "不足 100 题"),
        ({"categories": []}, "请至少选择一个题目分类"),
        ({"open_to_all": "listed"}, "请至少选择一个参赛单位"),
        ({"enterprises": ["99999"], "open_to_all": "listed"}, "选择的项目不存在"),
        ({"time_limit_minutes": "abc"}, "不是有效的整数"),
    ]
    for overrides, message in cases:
        response = organiser_client.post("/admin/contests/new", data=contest_form(organiser_client, **overrides))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, overrides
        assert message in html, (overrides, message)
    assert db.session.scalar(select(func.count(Contest.id))) == 0


def test_qr_png_decodes_to_the_join_url(contest, enterprises, organiser_client):
    for query, expected in (("", f"http://quiz.test/j/{contest.code}"),
                            (f"?e={enterprises[1].code}", f"http://quiz.test/j/{contest.code}/{enterprises[1].code}")):
        response = organiser_client.get(f"/admin/contests/{contest.id}/qr.png{query}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
        assert [r.text for r in decoded] == [expected]
        svg = organiser_client.get(f"/admin/contests/{contest.id}/qr.svg{query}")
        assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    download = organiser_client.get(f"/admin/contests/{contest.id}/qr.png?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert organiser_client.get(f"/admin/contests/{contest.id}/qr.png?e=NOPE").status_code == 404


def test_printable_poster(contest, enterprises, organiser_client):
    html = organiser_client.get(f"/admin/contests/{contest.id}/poster?e={enterprises[0].code}").get_data(as_text=True)
    assert "测试竞赛" in html and "人人讲安全、个个会应急" in html
    assert f"http://quiz.test/j/{contest.code}/{enterprises[0].code}" in html
    assert "示范化工有限公司 专用" in html
    assert html.count("<li><b>") == 3  # three steps to join
    assert "size:A4" in organiser_client.get("/static/poster.css").get_data(as_text=True)


def test_add_enterprise(app, organiser_client):
    token = csrf_token(organiser_client, "/admin/enterprises")
    response = organiser_client.post("/admin/enterprises", data={
        "name": "新建机械厂", "headcount": "35", "region": "城关镇", "industry": "其他", "csrf_token": token})
    assert response.status_code == 303
    html = organiser_client.get("/admin/enterprises").get_data(as_text=True)
    assert "新建机械厂" in html and "<td>35</td>" in html
    response = organiser_client.post("/admin/enterprises", data={
        "name": "新建机械厂", "headcount": "-3", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "人数应在 0 到 1000000 之间" in html


def test_organiser_leaderboard_figures(app, enterprises, organiser_client, new_phone, clock):
    """Ranking and enterprise figures on a small hand-computed data set."""
    from .test_participant_journey import answer_all

    contest = make_contest(question_count=4)
    plan = [  # (enterprise, phone number, right?, seconds before submitting)
        (0, "13800000001", True, 100),
        (0, "13800000002", True, 60),  # same score, faster: ranks above the first
        (1, "13800000003", False, 30),
        (0, "13800000004", False, 50),
    ]
    for index, number, right, seconds in plan:
        phone = new_phone()
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, identifier=number,
                                                    name=f"选手{number[-1]}", enterprise=enterprises[index].id))
        answer_all(phone, attempt_id, right=right)
        clock.advance(seconds=seconds)
        phone.post(f"/a/{attempt_id}/submit")
        clock.advance(seconds=-seconds)
    html = organiser_client.get(f"/admin/contests/{contest.id}/board").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td><td>[^<]*</td><td>(\d+)</td>", html)
    # Equal scores: less time first (选手2 before 选手1; 选手3 before 选手4).
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("1", "选手2", "40"), ("2", "选手1", "40"), ("3", "选手3", "0"), ("4", "选手4", "0")]
    enterprise_rows = re.findall(
        # (the 人数来源 and 名单外 cells are skipped)
        r"<tr><td>(\d+)</td><td>([^<]+)</td><td>(\d+)</td><td>([^<]+)</td><td>[^<]*</td><td>\d+</td>"
        r"<td>([^<]+)</td><td>([^<]+)</td></tr>", html)
    assert enterprise_rows == [
        ("1", "示范化工有限公司", "3", "4", "75.0%", "26.7"),  # (40+40+0)/3, 3 of 4 staff
        ("2", "安达物流股份有限公司", "1", "5", "20.0%", "0.0"),
        ("3", "城建第三工程有限公司", "0", "—", "—", "—"),  # no participants, no headcount
    ]


def test_organiser_reads_results_but_cannot_answer_for_a_participant(contest, enterprises, organiser_client, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    token = csrf_token(organiser_client, "/admin/contests/")
    response = organiser_client.post(f"/a/{attempt_id}/answer", data={"position": 1, "choice": "A"},
                                     headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert organiser_client.post(f"/a/{attempt_id}/submit", headers={"X-CSRFToken": token}).status_code == 403
    phone.post(f"/a/{attempt_id}/submit")
    result = organiser_client.get(f"/a/{attempt_id}/result")
    assert result.status_code == 200 and "张三" in result.get_data(as_text=True)
