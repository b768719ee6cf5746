"""The stage contest's pages as the host, the projector and the buzzer phones use them."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Category, LiveRound, StageContest, StageCorrection, StageJudgement, StagePress, StageTeam

from .conftest import HX, Phone, csrf_token, staff_client
from .test_live_pages import first_event


@pytest.fixture
def host(organiser_client):
    client = organiser_client
    client.token = csrf_token(client, "/admin/stage")
    return client


def post(client, path, data=None, htmx=True):
    headers = {"X-CSRFToken": client.token, **(HX if htmx else {})}
    return client.post(path, data=data or {}, headers=headers)


@pytest.fixture
def stage(host):
    response = post(host, "/admin/stage", {"title": "6·16 决赛", "buzz_window_ms": "300", "foul_penalty": "5"},
                    htmx=False)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    contest = db.session.scalar(select(StageContest))
    for name in ("化工队", "物流队", "建工队"):
        assert post(host, f"/admin/stage/{contest.id}/teams", {"name": name, "members": "张三、李四"},
                    htmx=False).status_code == 303
    return contest


def buzzer_links(host, contest):
    page = host.get(f"/admin/stage/{contest.id}").get_data(as_text=True)
    return re.findall(r'href="https?://[^/"]+(/stage/b/[^"]+)"', page)


def join(phone: Phone, link: str):
    response = phone.client.get(link)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return phone


def teams():
    return db.session.scalars(select(StageTeam).order_by(StageTeam.position)).all()


def test_a_buzz_question_from_console_to_stage(app, host, stage, new_phone, clock):
    links = buzzer_links(host, stage)
    assert len(links) == 3
    phones = [join(new_phone(), link) for link in links]
    assert "等待抢答题" in phones[0].get(links[0]).get_data(as_text=True)

    panel = post(host, f"/admin/stage/{stage.id}/ask", {"segment": "buzz"}).get_data(as_text=True)
    assert "解锁抢答器" in panel
    screen = host.get(f"/admin/stage/{stage.id}/screen").get_data(as_text=True)
    assert "抢答器未解锁" in screen
    # The right answer never reaches a buzzer phone.
    assert "stem" not in phones[1].get(links[1]).get_data(as_text=True)

    # 物流队 presses early: a foul, 5 points off.
    foul = phones[1].post(links[1] + "/press")
    assert foul.status_code == 200 and "抢跑犯规" in foul.get_data(as_text=True)
    post(host, f"/admin/stage/{stage.id}/control", {"action": "unlock"})
    start = clock.now()
    # Arriving at t+5 ms (化工队) and t+80 ms (建工队), handled in the opposite order.
    clock.set(start + timedelta(milliseconds=80))
    phones[2].post(links[2] + "/press")
    clock.set(start + timedelta(milliseconds=5))
    phones[0].post(links[0] + "/press")
    screen = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    assert "buzz-order" not in screen and "已有抢答" in screen  # inside the window: no order yet
    clock.set(start + timedelta(milliseconds=305))
    screen = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    order = re.findall(r"<li[^>]*><b>([^<]+)</b>", screen.split('id="buzz-order"')[1])
    assert order == ["化工队", "建工队"]
    assert "+75 ms" in screen

    first, _, third = teams()
    panel = post(host, f"/admin/stage/{stage.id}/judge", {"team_id": first.id, "correct": "0"}).get_data(as_text=True)
    assert "作答：<b>建工队</b>" in panel
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": third.id, "correct": "1"})
    screen = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    board = re.findall(r"<b>([^<]+)</b><span class=\"points\">(-?\d+)</span>", screen)
    assert board == [("建工队", "10"), ("化工队", "0"), ("物流队", "-5")]


def test_required_and_risk_and_corrections_through_the_console(app, host, stage, clock):
    first, second, _ = teams()
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "required", "team_id": first.id})
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": first.id, "correct": "1"})
    refused = post(host, f"/admin/stage/{stage.id}/ask", {"segment": "risk", "team_id": second.id})
    assert refused.status_code == 400 and "风险题请先选择分值" in refused.get_data(as_text=True)
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "risk", "team_id": second.id, "stake": "30"})
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": second.id, "correct": "0"})
    wrong = db.session.scalar(select(StageJudgement).where(StageJudgement.team_id == second.id))
    assert wrong.points == -30
    clock.advance(60)
    panel = post(host, f"/admin/stage/{stage.id}/correct",
                 {"judgement_id": wrong.id, "points": "30", "reason": "复核：答案正确"}).get_data(as_text=True)
    assert "-30 → 30" in panel.replace("（", " ").replace("）", " ") or "（-30 → 30）" in panel
    post(host, f"/admin/stage/{stage.id}/correct", {"team_id": first.id, "delta": "-2", "reason": "提示违规"})
    log = db.session.scalars(select(StageCorrection).order_by(StageCorrection.id)).all()
    assert [(c.score_before, c.score_after, c.reason) for c in log] == [(-30, 30, "复核：答案正确"), (10, 8, "提示违规")]
    assert all(c.at == clock.now() and c.by_id for c in log)


def test_buzzer_token_binds_to_its_team_and_one_phone(app, host, stage, new_phone):
    links = buzzer_links(host, stage)
    first = join(new_phone(), links[0])
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "buzz"})
    post(host, f"/admin/stage/{stage.id}/control", {"action": "unlock"})
    # A phone bound to 化工队 cannot press for 物流队 with 物流队's link.
    assert first.post(links[1] + "/press").status_code == 403
    # A second phone on 化工队's link: refused without the takeover code.
    second = new_phone()
    response = second.client.get(links[0])
    assert response.status_code == 409 and "接管码" in response.get_data(as_text=True)
    token = csrf_token(second.client, links[0])
    assert second.client.post(links[0], data={"code": "000000", "csrf_token": token}).status_code == 409
    assert second.post(links[0] + "/press").status_code == 403
    code = teams()[0].takeover_code
    assert second.client.post(links[0], data={"code": code, "csrf_token": token}).status_code == 303
    assert second.post(links[0] + "/press").status_code == 200
    assert first.post(links[0] + "/press").status_code == 403  # taken over
    # A forged link is no team's.
    assert new_phone().client.get(links[0][:-3] + "xyz").status_code == 404
    # Released by the host, the link binds the next phone that opens it.
    post(host, f"/admin/stage/{stage.id}/teams/{teams()[0].id}/release", htmx=False)
    assert new_phone().client.get(links[0]).status_code == 303


def test_csrf_on_press_and_console(app, host, stage, new_phone):
    links = buzzer_links(host, stage)
    phone = join(new_phone(), links[0])
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "buzz"})
    assert phone.client.post(links[0] + "/press", headers=HX).status_code == 400
    assert host.post(f"/admin/stage/{stage.id}/control", data={"action": "unlock"}, headers=HX).status_code == 400
    assert db.session.scalar(select(StagePress.id)) is None


def test_only_the_host_side_may_run_a_contest(app, host, stage, enterprises):
    other = staff_client(app, "wl-admin", enterprise=enterprises[1])
    assert other.get(f"/admin/stage/{stage.id}").status_code == 403
    token = csrf_token(other, "/admin/stage")
    assert other.post(f"/admin/stage/{stage.id}/ask", data={"segment": "buzz", "csrf_token": token}).status_code == 403
    assert other.get(f"/admin/stage/{stage.id}/export.xlsx").status_code == 403
    assert "6·16 决赛" not in other.get("/admin/stage").get_data(as_text=True)
    anonymous = app.test_client()
    assert "/admin/login" in anonymous.get(f"/admin/stage/{stage.id}/screen").headers["Location"]
    # An enterprise admin runs its own enterprise's contests.
    response = other.post("/admin/stage", data={"title": "物流内部赛", "csrf_token": token})
    assert response.status_code == 303
    own = db.session.scalar(select(StageContest).where(StageContest.title == "物流内部赛"))
    assert own.enterprise_id == enterprises[1].id
    assert other.get(f"/admin/stage/{own.id}").status_code == 200


def test_teams_from_enterprises_and_the_audience_round(app, host, stage, enterprises):
    post(host, f"/admin/stage/{stage.id}/teams", {"from": "enterprises"}, htmx=False)
    assert [t.name for t in teams()][3:] == sorted(e.name for e in enterprises)
    category = db.session.scalar(select(Category.id).order_by(Category.position))
    assert post(host, f"/admin/stage/{stage.id}/audience", {"category_ids": str(category), "count": "3"},
                htmx=False).status_code == 303
    db.session.refresh(stage)
    round_ = db.session.get(LiveRound, stage.audience_round_id)
    assert round_.title == "6·16 决赛 · 观众题"
    assert f"/admin/live/{round_.id}" in host.get(f"/admin/stage/{stage.id}").get_data(as_text=True)


def test_export_has_every_press_and_judgement(app, host, stage, new_phone, clock):
    links = buzzer_links(host, stage)
    phones = [join(new_phone(), link) for link in links]
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "buzz"})
    phones[1].post(links[1] + "/press")  # a foul
    post(host, f"/admin/stage/{stage.id}/control", {"action": "unlock"})
    clock.advance(0.012)
    phones[0].post(links[0] + "/press")
    clock.advance(0.040)
    phones[2].post(links[2] + "/press")
    clock.advance(1)
    first, _, third = teams()
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": first.id, "correct": "0"})
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": third.id, "correct": "1"})
    response = host.get(f"/admin/stage/{stage.id}/export.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.get_data()))
    presses = list(book["抢答记录"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[4], r[5]) for r in presses] == [("物流队", "抢跑犯规", None), ("化工队", "有效", 1),
                                                     ("建工队", "有效", 2)]
    assert [r[3] for r in presses][1:] == [12.0, 52.0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", presses[1][2])
    judged = list(book["判定"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[4]) for r in judged] == [("物流队", "抢跑犯规", -5), ("化工队", "判定", 0),
                                                    ("建工队", "判定", 10)]
    assert [r[1] for r in book["代表队得分"].iter_rows(min_row=2, values_only=True)] == ["建工队", "化工队", "物流队"]


def test_event_streams_send_the_current_stage_first(app, host, stage, new_phone):
    links = buzzer_links(host, stage)
    phone = join(new_phone(), links[0])
    for client, path in ((phone.client, links[0] + "/events"), (host, f"/admin/stage/{stage.id}/screen/events"),
                         (host, f"/admin/stage/{stage.id}/events")):
        response = client.get(path)
        assert response.mimetype == "text/event-stream"
        first = first_event(response)
        assert first.startswith("retry:") and "event: stage\n" in first and 'id="stage"' in first
    # A stranger's phone has no stream of a team's buzzer.
    assert new_phone().client.get(links[0] + "/events").status_code == 403
    # Polling: nothing new → 204; the buzzer shows its phase.
    phase = db.session.get(StageContest, stage.id).phase
    assert phone.client.get(links[0] + f"/stage?v={phase}").status_code == 204
    assert phone.client.get(links[0] + "/stage?v=0").status_code == 200
