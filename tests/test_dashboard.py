"""The dashboard (工作台) at /admin/: today's participation, open and upcoming contests with
their counts, live rounds and shortcuts — an organiser's of everything, an enterprise admin's
of its own enterprise. Voided attempts never count."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from quiz.contests import voiding
from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.models import Attempt, Question, User

from .conftest import START, csrf_token, make_contest, make_organiser, staff_client


def _submit(new_phone, code, name, identifier, enterprise):
    phone = new_phone()
    attempt_id = phone.attempt_id(phone.sign_up(code, name=name, identifier=identifier, enterprise=enterprise.id))
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)
    return attempt_id


def _start(new_phone, code, name, identifier, enterprise):
    phone = new_phone()
    return phone.attempt_id(phone.sign_up(code, name=name, identifier=identifier, enterprise=enterprise.id))


def build(app, enterprises, new_phone):
    hg, wl, js = enterprises
    make_contest(code="OPEN01", title="正在进行的竞赛")
    make_contest(code="SOON01", title="即将开始的竞赛", opens_in=timedelta(days=2))
    make_contest(code="DONE01", title="已经结束的竞赛", opens_in=timedelta(days=-3), lasts=timedelta(days=1))
    archived = make_contest(code="ARCH01", title="已归档的竞赛")
    archived.archived_at = START
    make_contest(code="WLONLY", title="物流专场", enterprises=[wl])
    make_contest(code="HGIN01", title="化工内部赛", enterprise_id=hg.id, enterprises=[hg])
    make_contest(code="JSIN01", title="城建内部赛", enterprise_id=js.id, enterprises=[js])
    db.session.commit()
    _submit(new_phone, "OPEN01", "张化工", "13800000001", hg)          # today, HG
    _submit(new_phone, "OPEN01", "李物流", "13800000002", wl)          # today, WL
    _start(new_phone, "OPEN01", "赵化工", "13800000003", hg)           # under way, HG
    voided = _submit(new_phone, "OPEN01", "钱物流", "13800000004", wl)  # voided: never counted
    yesterday = _submit(new_phone, "OPEN01", "孙化工", "13800000005", hg)
    voiding.void_attempt(db.session.get(Attempt, voided), None, "测试作废")
    db.session.get(Attempt, yesterday).submitted_at = START - timedelta(days=1)
    db.session.commit()
    make_organiser()
    organiser = db.session.scalar(select(User))
    questions = list(db.session.scalars(select(Question).limit(2)))
    live_rules.create_round(organiser.id, "全区现场赛", questions, START)
    db.session.commit()


def facts(html: str) -> dict[str, int]:
    block = re.search(r'<dl class="facts" id="today">(.*?)</dl>', html, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"<dt>(.*?)</dt><dd>(\d+)</dd>", block)}


def row(html: str, code: str) -> tuple[int, int, int]:
    match = re.search(rf"<code>{code}</code></td>\s*<td>[^<]*</td>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", html)
    assert match, f"no row for {code}"
    return tuple(int(v) for v in match.groups())


def test_login_lands_on_the_dashboard(app, client):
    make_organiser()
    response = client.post("/admin/login", data={
        "username": "organiser", "password": "correct horse 1", "csrf_token": csrf_token(client, "/admin/login")})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    assert client.get("/").headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_dashboard_needs_a_login(app, client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_organiser_sees_every_figure(app, enterprises, new_phone):
    build(app, enterprises, new_phone)
    organiser = staff_client(app, "boss", role="organiser")
    html = organiser.get("/admin/").get_data(as_text=True)
    # Today: two people submitted (the voided attempt and yesterday's are left out), one under way.
    assert facts(html) == {"今日交卷人数": 2, "今日交卷人次": 2, "正在答题": 1}
    # The open contest over all time: three people, three attempts, one under way.
    assert row(html, "OPEN01") == (3, 3, 1)
    assert row(html, "SOON01") == (0, 0, 0)
    assert "WLONLY" in html and "HGIN01" in html and "JSIN01" in html
    assert "DONE01" not in html and "ARCH01" not in html  # closed, archived
    assert html.index("OPEN01") < html.index("即将开始") < html.index("SOON01")
    assert "全区现场赛" in html
    for shortcut in ("/admin/contests/new", "/admin/reports", "/admin/questions/new", "#posters"):
        assert shortcut in html, shortcut


def test_enterprise_admin_sees_its_own_enterprise(app, enterprises, new_phone):
    build(app, enterprises, new_phone)
    hg = enterprises[0]
    admin = staff_client(app, "hg-admin", enterprise=hg)
    response = admin.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and hg.name in html
    assert facts(html) == {"今日交卷人数": 1, "今日交卷人次": 1, "正在答题": 1}
    assert row(html, "OPEN01") == (2, 2, 1)  # 张化工 today, 孙化工 yesterday; 赵化工 under way
    assert "HGIN01" in html and "SOON01" in html
    # Not admitted, another unit's internal contest, the organiser's live round: not shown.
    for absent in ("WLONLY", "物流专场", "JSIN01", "城建内部赛", "全区现场赛", "李物流", enterprises[1].name):
        assert absent not in html, absent
    # Its own poster of the district contest, not the organiser's poster table.
    assert f"poster?e={hg.code}" in html and "/admin/questions/new" not in html
    # A query string changes nothing (but the language switch, which comes back to this very URL).
    def switch_free(page: str) -> str:
        return re.sub(r'href="/lang/[^"]*"', "", page)

    assert switch_free(admin.get(f"/admin/?enterprise={enterprises[1].id}").get_data(as_text=True)) == switch_free(html)
