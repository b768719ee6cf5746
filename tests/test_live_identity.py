"""Identity modes of a live round: 开放, 名单 (roster people only), 名单优先 (others marked 名单外)."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from quiz import clock
from quiz.units import rosters
from quiz.extensions import db
from quiz.models import LivePlayer, RosterPerson

from .conftest import csrf_token
from .test_live_pages import control, create_round, units  # noqa: F401  (fixture)
from .test_phone_browser import phone_page, server  # noqa: F401  (fixtures)
from .test_phone_browser import no_horizontal_scroll
from .test_phone_browser import pytestmark as needs_chromium


def add_person(enterprise, name, staff_no=None, phone=None, department="生产部", active=True):
    """One person on the enterprise's roster (花名册)."""
    person = RosterPerson(enterprise_id=enterprise.id, name=name, staff_no=staff_no, phone=phone,
                          department=department, active=active, created_at=clock.now(), updated_at=clock.now())
    db.session.add(person)
    db.session.commit()
    return person


def post_join(phone, round_, name, enterprise, identifier="", department="安全科"):
    token = csrf_token(phone, f"/live/{round_.code}")
    return phone.post(f"/live/{round_.code}", data={
        "name": name, "enterprise": enterprise.id, "department": department, "identifier": identifier,
        "csrf_token": token})


def players() -> int:
    return db.session.scalar(select(func.count(LivePlayer.id)))


def test_the_round_form_sets_the_identity_mode(app, organiser_client, units):
    page = organiser_client.get("/admin/live").get_data(as_text=True)
    assert "参与方式" in page and "名单优先" in page
    round_ = create_round(organiser_client, identity_mode="roster")
    assert round_.identity_mode == "roster"
    assert create_round(organiser_client).identity_mode == "open"
    response = organiser_client.post("/admin/live", data={
        "title": "x", "source": "pick", "uids": "", "question_seconds": "20", "scoring": "speed",
        "multi_partial": "all", "identity_mode": "anyone", "csrf_token": csrf_token(organiser_client, "/admin/live")})
    assert response.status_code == 422


def test_open_round_asks_no_identifier(app, organiser_client, units):
    round_ = create_round(organiser_client)
    page = app.test_client().get(f"/live/{round_.code}").get_data(as_text=True)
    assert "手机号或工号" not in page


def test_roster_round_admits_only_a_roster_match(app, organiser_client, units):
    person = add_person(units[0], "王小明", staff_no="A1001", phone="13800001111", department="二车间")
    round_ = create_round(organiser_client, identity_mode="roster")
    phone = app.test_client()
    page = phone.get(f"/live/{round_.code}").get_data(as_text=True)
    assert "手机号或工号" in page

    missing = post_join(phone, round_, "王小明", units[0], identifier="")
    assert missing.status_code == 422 and "请填写手机号或工号" in missing.get_data(as_text=True)
    wrong_name = post_join(phone, round_, "李四", units[0], identifier="A1001")
    assert wrong_name.status_code == 403
    text = wrong_name.get_data(as_text=True)
    assert rosters.NOT_ON_ROSTER in text and "王小明" not in text
    assert 'name="name"' in text  # the form again, with what was typed
    unknown = post_join(phone, round_, "王小明", units[0], identifier="A9999")
    assert unknown.status_code == 403 and rosters.NOT_ON_ROSTER in unknown.get_data(as_text=True)
    other_unit = post_join(phone, round_, "王小明", units[1], identifier="A1001")
    assert other_unit.status_code == 403
    assert players() == 0

    # The phone number, typed with spaces and full-width digits, is the same person.
    joined = post_join(phone, round_, "王 小明", units[0], identifier="１３８ 0000 1111")
    assert joined.status_code == 303, joined.get_data(as_text=True)
    player = db.session.scalars(select(LivePlayer)).one()
    assert player.roster_person_id == person.id and player.name == "王小明"
    assert player.department == "二车间" and player.identifier == "A1001"
    # The same phone comes back to its place, no second player.
    assert phone.get(f"/live/{round_.code}").status_code == 200 and players() == 1


def test_a_retired_roster_person_is_refused(app, organiser_client, units):
    add_person(units[0], "退休人", staff_no="A2002", active=False)
    round_ = create_round(organiser_client, identity_mode="roster")
    response = post_join(app.test_client(), round_, "退休人", units[0], identifier="A2002")
    assert response.status_code == 403 and players() == 0


def test_one_roster_person_joins_a_round_once(app, organiser_client, units):
    add_person(units[0], "王小明", staff_no="A1001", phone="13800001111")
    round_ = create_round(organiser_client, identity_mode="roster")
    assert post_join(app.test_client(), round_, "王小明", units[0], identifier="A1001").status_code == 303
    # A second phone with the same identity (by 工号 or by phone) is refused, nothing stored.
    for identifier in ("A1001", "13800001111"):
        second = post_join(app.test_client(), round_, "王小明", units[0], identifier=identifier)
        assert second.status_code == 409
        assert "已在另一部手机上加入" in second.get_data(as_text=True)
    assert players() == 1


def test_roster_first_marks_others_off_roster_on_the_host_list_and_export(app, organiser_client, units, clock):
    add_person(units[0], "王小明", staff_no="A1001")
    round_ = create_round(organiser_client, identity_mode="roster_first")
    assert post_join(app.test_client(), round_, "王小明", units[0], identifier="A1001").status_code == 303
    outsider = post_join(app.test_client(), round_, "临时工", units[0], identifier="B#7")
    assert outsider.status_code == 422  # a 工号 still has to be well formed
    assert post_join(app.test_client(), round_, "临时工", units[0], identifier="B777").status_code == 303
    # Someone else's 工号 with another name is refused without saying whose it is.
    taken = post_join(app.test_client(), round_, "冒名者", units[0], identifier="A1001")
    assert taken.status_code == 409 and "王小明" not in taken.get_data(as_text=True)
    assert players() == 2

    lobby = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    items = re.findall(r"<li><label>(.*?)</li>", lobby[lobby.index("host-names"):], re.S)
    marked = {item.split("</label>")[0].split(">")[-1].strip(): "名单外" in item for item in items}
    assert marked == {"王小明": False, "临时工": True}
    for action in ("start", "next", "next"):  # to the leaderboard
        assert control(organiser_client, round_, action).status_code == 200
    board = organiser_client.get(f"/admin/live/{round_.id}/stage").get_data(as_text=True)
    people = board[board.index("个人前十名"):board.index("单位排名")]
    rows = re.findall(r"<tr><td>\d+</td><td>(.*?)</td>", people)
    assert sorted(rows) == sorted(["王小明", '临时工<small class="badge off-roster">名单外</small>'])

    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/live/{round_.id}/export.xlsx").data))
    sheet = book["选手"]
    header = [c.value for c in sheet[1]]
    assert "名单" in header
    column = header.index("名单")
    rows = {row[1]: row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == {"王小明": "名单内", "临时工": "名单外"}


def test_open_round_export_has_no_roster_column(app, organiser_client, units):
    round_ = create_round(organiser_client)
    assert post_join(app.test_client(), round_, "张三", units[0]).status_code == 303
    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/live/{round_.id}/export.xlsx").data))
    assert "名单" not in [c.value for c in book["选手"][1]]
    lobby = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert "名单外" not in lobby


def test_one_roster_person_on_several_phones_at_once_joins_once(app, organiser_client, units):
    """The unique (round, roster person) settles phones that pass the check at the same moment."""
    from quiz.live import rules as live_rules
    from quiz.errors import Conflict
    from quiz.models import Enterprise, LiveRound

    from .conftest import run_at_once

    add_person(units[0], "王小明", staff_no="A1001")
    round_ = create_round(organiser_client, identity_mode="roster")

    def job(ready):
        row = db.session.get(LiveRound, round_.id)
        unit = db.session.get(Enterprise, units[0].id)
        ready()
        try:
            player = live_rules.join(row, unit, "王小明", "安全科", clock.now(), identifier="A1001")
            db.session.commit()
            return player.id
        except Conflict as refused:
            db.session.rollback()
            return refused.message

    results = run_at_once(app, [job] * 4)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(r == live_rules.JOINED_ELSEWHERE for r in results if not isinstance(r, int))
    assert players() == 1


@needs_chromium
def test_roster_round_in_chromium_wrong_name_then_the_right_one(app, organiser_client, units, server, phone_page):
    """At 360×640: the refusal shows in the form (htmx swaps the 403), then the right name joins."""

    add_person(units[1], "王小明", phone="13800001111")
    round_ = create_round(organiser_client, identity_mode="roster")
    page = phone_page
    page.goto(f"{server}/live/{round_.code}")
    page.fill("#name", "王晓明")
    page.fill("#identifier", "138 0000 1111")
    page.select_option("#enterprise", label=units[1].name)
    page.fill("#department", "仓储部")
    page.click("button:has-text('加入')")
    page.wait_for_selector(f"text={rosters.NOT_ON_ROSTER}")
    assert page.input_value("#identifier") == "13800001111" and no_horizontal_scroll(page)
    assert players() == 0
    page.fill("#name", "王小明")
    page.click("button:has-text('加入')")
    page.wait_for_selector("text=已加入，请等待主持人开始")
    db.session.expire_all()
    assert db.session.scalars(select(LivePlayer.name)).all() == ["王小明"]
