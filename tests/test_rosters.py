"""Staff rosters (花名册) and the 未参与名单, through the pages."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from quiz.units import rosters
from quiz.extensions import db
from quiz.models import Attempt, Department, Enterprise, Participant, RosterPerson

from .conftest import START, csrf_token, make_contest, make_enterprise, staff_client


def count(model, **where) -> int:
    query = select(func.count(model.id))
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def person(**where) -> RosterPerson | None:
    db.session.expire_all()
    return db.session.scalars(select(RosterPerson).filter_by(**where)).one_or_none()


def add_departments(enterprise: Enterprise, *names: str) -> None:
    for name in names:
        db.session.add(Department(enterprise_id=enterprise.id, name=name, headcount=0))
    db.session.commit()


def add_person(enterprise: Enterprise, name: str, staff_no=None, phone=None, department="", active=True):
    found = RosterPerson(enterprise_id=enterprise.id, name=name, staff_no=staff_no, phone=phone,
                         department=department, active=active, created_at=START, updated_at=START)
    db.session.add(found)
    db.session.commit()
    return found


def roster_url(enterprise: Enterprise, rest: str = "") -> str:
    return f"/admin/enterprises/{enterprise.id}/roster{rest}"


def form(client, enterprise: Enterprise, **values) -> dict:
    data = {"name": "", "staff_no": "", "phone": "", "department": ""}
    data.update(values)
    data["csrf_token"] = csrf_token(client, roster_url(enterprise))
    return data


# ---- one person ------------------------------------------------------------------------


def test_add_edit_retire_and_restore_one_person(app, organiser_client, enterprises):
    company = enterprises[0]
    add_departments(company, "安全环保部", "生产部")
    page = organiser_client.get(roster_url(company)).get_data(as_text=True)
    assert "在册 <strong>0</strong> 人 / 停用 0 人" in page and "花名册还是空的" in page

    for values, message in [
        ({"staff_no": "A1001"}, "缺少姓名"),
        ({"name": "张三"}, "工号和手机号至少填写一项"),
        ({"name": "张三", "phone": "1380013800"}, "手机号“1380013800”格式不正确：应为 11 位手机号码"),
        ({"name": "张三", "phone": "12800138000"}, "手机号“12800138000”格式不正确"),
        ({"name": "张三", "staff_no": "A"}, "工号“A”格式不正确"),
        ({"name": "张" * 41, "staff_no": "A1001"}, "姓名超过 40 个字"),
        ({"name": "张三", "staff_no": "A1001", "department": "不存在部"}, "部门“不存在部”不存在"),
    ]:
        response = organiser_client.post(roster_url(company), data=form(organiser_client, company, **values))
        assert response.status_code == 422, values
        assert message in response.get_data(as_text=True), values
    assert count(RosterPerson) == 0

    response = organiser_client.post(roster_url(company), data=form(
        organiser_client, company, name=" 张三 ", staff_no="ａ1001", phone="138-0013-8000", department="安全环保部"))
    assert response.status_code == 303
    stored = person(name="张三")
    assert (stored.staff_no, stored.phone, stored.department, stored.active) == ("A1001", "13800138000", "安全环保部", True)
    page = organiser_client.get(roster_url(company), follow_redirects=True).get_data(as_text=True)
    assert "已添加“张三”" in page and "在册 <strong>1</strong> 人" in page

    # The same 工号 or phone twice in one enterprise is refused with whose it is (the admin's view).
    response = organiser_client.post(roster_url(company), data=form(
        organiser_client, company, name="李四", staff_no="A1001"))
    assert response.status_code == 422 and "工号 A1001 已登记给本单位的“张三”" in response.get_data(as_text=True)
    response = organiser_client.post(roster_url(company), data=form(
        organiser_client, company, name="李四", phone="13800138000"))
    assert "手机号 13800138000 已登记给本单位的“张三”" in response.get_data(as_text=True)
    # …but another enterprise may have its own A1001.
    response = organiser_client.post(roster_url(enterprises[1]), data=form(
        organiser_client, enterprises[1], name="李四", staff_no="A1001"))
    assert response.status_code == 303 and count(RosterPerson) == 2

    edit = roster_url(company, f"/{stored.id}/edit")
    assert "张三" in organiser_client.get(edit).get_data(as_text=True)
    response = organiser_client.post(edit, data=form(
        organiser_client, company, name="张三", staff_no="A1001", phone="", department="生产部"))
    assert response.status_code == 303
    assert "已保存：手机号：13800138000 → （空）；部门：安全环保部 → 生产部" in organiser_client.get(
        roster_url(company)).get_data(as_text=True)
    stored = person(name="张三")
    assert (stored.phone, stored.department) == (None, "生产部")
    response = organiser_client.post(edit, data=form(organiser_client, company, name="张三", staff_no=""))
    assert response.status_code == 422 and "工号和手机号至少填写一项" in response.get_data(as_text=True)
    assert person(name="张三").staff_no == "A1001"

    token = csrf_token(organiser_client, roster_url(company))
    response = organiser_client.post(roster_url(company, f"/{stored.id}/retire"), data={"csrf_token": token})
    assert response.status_code == 303 and person(name="张三").active is False
    page = organiser_client.get(roster_url(company)).get_data(as_text=True)
    assert "不再计入应参与人数" in page and "在册 <strong>0</strong> 人 / 停用 1 人" in page
    assert "A1001" not in page  # the default filter is 在册
    assert "A1001" in organiser_client.get(roster_url(company) + "?status=retired").get_data(as_text=True)
    response = organiser_client.post(roster_url(company, f"/{stored.id}/restore"), data={"csrf_token": token})
    assert response.status_code == 303 and person(name="张三").active is True
    # Without a CSRF token nothing changes.
    assert organiser_client.post(roster_url(company, f"/{stored.id}/retire")).status_code == 400
    assert person(name="张三").active is True


def test_search_and_department_filter(app, organiser_client, enterprises):
    company = enterprises[0]
    add_departments(company, "安全环保部", "生产部")
    add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    add_person(company, "李四", "A1002", None, "生产部")
    add_person(company, "王五", None, "13900139003", "生产部", active=False)
    page = organiser_client.get(roster_url(company) + "?q=李").get_data(as_text=True)
    assert "李四" in page and "张三" not in page
    page = organiser_client.get(roster_url(company) + "?q=138001", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in page and "张三" in page and "李四" not in page
    page = organiser_client.get(roster_url(company) + "?department=生产部&status=all").get_data(as_text=True)
    assert "李四" in page and "王五" in page and "张三" not in page
    page = organiser_client.get(roster_url(company) + "?q=%25").get_data(as_text=True)
    assert "没有符合条件的人员" in page  # % is a character, not a wildcard


# ---- import ------------------------------------------------------------------------------


HEADER = ["序号", "姓名", "工号", "手机号码", "部门"]
ROWS = [
    [1, "赵六", "A2001", "13700137001", "安全环保部"],   # 3 new
    [2, "张三", "A1001", "13800138009", "安全环保部"],   # 4 update: phone
    [3, "李四", "A1002", None, "安全环保部"],            # 5 unchanged (empty phone keeps none)
    [4, "王五", "W3", "13900139003", "生产部"],          # 6 update by phone: 工号 added
    [5, None, "A2002", "13700137002", "生产部"],         # 7 missing name
    [6, "钱七", "A2001", "13700137003", "生产部"],       # 8 工号 twice in the file
    [7, "钱八", "A2008", "13700137001", "生产部"],       # 9 phone twice in the file
    [8, "孙八", "A2003", "13800138001", "生产部"],       # 10 张三's stored phone
    [9, "周九", "A2004", "1380013", "生产部"],           # 11 malformed phone
    [10, "吴十", None, None, "生产部"],                  # 12 neither 工号 nor phone
    [11, "郑十一", "A2005", None, "质检部"],             # 13 unknown 部门 (can be created)
    [12, "冯十二", "A2006", None, "质检部"],             # 14 unknown 部门 again
    [None, "合计", None, None, None],                   # 15 skipped
]


def roster_fixture(company: Enterprise) -> None:
    add_departments(company, "安全环保部", "生产部")
    add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    add_person(company, "李四", "A1002", None, "安全环保部")
    add_person(company, "王五", None, "13900139003", "生产部")


def workbook(rows: list[list], title: str | None = "2026年 花名册") -> bytes:
    book = openpyxl.Workbook()
    if title:
        book.active.append([title])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: list[list], encoding="utf-8") -> bytes:
    lines = [",".join("" if value is None else str(value) for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def upload(client, company: Enterprise, name: str, body: bytes):
    url = roster_url(company, "/import")
    return client.post(url, data={"file": (io.BytesIO(body), name), "csrf_token": csrf_token(client, url)},
                       content_type="multipart/form-data")


def confirm(client, company: Enterprise, html: str, create_departments=False):
    import re

    match = re.search(r'action="(/admin/enterprises/\d+/roster/import/[0-9a-f]{32})"', html)
    assert match, html[:2000]
    data = {"csrf_token": csrf_token(client, roster_url(company, "/import"))}
    if create_departments:
        data["create_departments"] = "1"
    return client.post(match.group(1), data=data)


def check_preview(html: str, first_line: int) -> None:
    """The verdict of every row of ROWS, whose first row is on ``first_line``."""
    def at(n: int) -> str:
        return f"第 {first_line + n} 行："

    assert "新增 <strong>1</strong> 人" in html and "更新 <strong>2</strong> 人" in html
    assert "未变 1 人" in html and "错误 8 行" in html
    assert "手机号：13800138001 → 13800138009" in html
    assert "工号：（空） → W3" in html
    assert at(4) + "缺少姓名" in html
    assert at(5) + f"工号 A2001 与第 {first_line} 行重复" in html
    assert at(6) + f"手机号 13700137001 与第 {first_line} 行重复" in html
    assert at(7) + "手机号 13800138001 已登记给本单位的“张三”（工号 A1001）" in html
    assert at(8) + "手机号“1380013”格式不正确：应为 11 位手机号码" in html
    assert at(9) + "工号和手机号至少填写一项" in html
    assert at(10) + "部门“质检部”不存在" in html and at(11) + "部门“质检部”不存在" in html
    assert "同时新建这些部门：质检部" in html
    assert "合计" not in html


def test_xlsx_import_with_every_row_kind_creates_departments_on_request(app, organiser_client, enterprises):
    company = enterprises[0]
    roster_fixture(company)
    response = upload(organiser_client, company, "花名册.xlsx", workbook([HEADER, *ROWS]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    check_preview(html, first_line=3)
    assert count(RosterPerson) == 3  # a preview writes nothing

    response = confirm(organiser_client, company, html, create_departments=True)
    assert response.status_code == 303
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入：新建部门 1 个，新增 3 人，更新 2 人；未变 1 行，错误 6 行未导入。" in page
    assert sorted(db.session.scalars(select(Department.name).where(Department.enterprise_id == company.id))) == [
        "安全环保部", "生产部", "质检部"]
    assert person(name="赵六").staff_no == "A2001"
    assert person(name="张三").phone == "13800138009"
    assert person(name="王五").staff_no == "W3" and person(name="王五").department == "生产部"
    assert person(name="郑十一").department == "质检部" and person(name="冯十二").department == "质检部"
    assert count(RosterPerson) == 6
    assert person(name="周九") is None and person(name="孙八") is None


def test_csv_import_without_creating_departments(app, organiser_client, enterprises):
    company = enterprises[0]
    roster_fixture(company)
    response = upload(organiser_client, company, "花名册.csv", csv_file([HEADER, *ROWS], "gb18030"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    check_preview(html, first_line=2)
    response = confirm(organiser_client, company, html)
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入：新增 1 人，更新 2 人；未变 1 行，错误 8 行未导入。" in page
    assert count(Department, enterprise_id=company.id) == 2
    assert person(name="郑十一") is None and count(RosterPerson) == 4


def test_a_failing_confirmation_writes_nothing(app, organiser_client, enterprises, monkeypatch):
    company = enterprises[0]
    roster_fixture(company)
    html = upload(organiser_client, company, "花名册.xlsx", workbook([HEADER, *ROWS])).get_data(as_text=True)
    # Someone adds A2001 between preview and confirmation, unseen by the re-read: the unique
    # constraint stops the import, and the department and the other rows go with it.
    add_person(company, "别人", "A2001", None, "生产部")
    monkeypatch.setattr(rosters._Known, "load", classmethod(
        lambda cls, enterprise_id: cls({}, {}, rosters.department_names(enterprise_id))))
    response = confirm(organiser_client, company, html, create_departments=True)
    assert response.status_code == 303 and response.headers["Location"].endswith("/roster/import")
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入失败：工号、手机号或部门与刚保存的数据重复，没有导入任何一行" in page
    assert count(RosterPerson) == 4 and count(Department, enterprise_id=company.id) == 2
    assert person(name="张三").phone == "13800138001"


def test_an_import_with_nothing_to_write_offers_no_confirmation(app, organiser_client, enterprises):
    company = enterprises[0]
    roster_fixture(company)
    response = upload(organiser_client, company, "x.xlsx", workbook([HEADER, [1, "李四", "A1002", None, "安全环保部"],
                                                                      [2, None, "A9", None, None]]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "确认导入" not in html and "未变 1 人" in html


def _word_file() -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("姓名 工号")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_malformed_uploads_get_a_clear_message(app, organiser_client, enterprises):
    company = enterprises[0]
    for name, body, message in [
        ("r.xlsx", b"not a spreadsheet", "文件不是有效的 Excel（.xlsx）文件"),
        ("r.doc", b"hello", "只支持 Excel（.xlsx）或 CSV（.csv）文件"),
        ("r.docx", _word_file(), "这是 Word 文件：请把名单整理成 Excel 表格后再导入"),
        ("r.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持旧版 .xls 文件"),
        ("r.csv", b"", "文件是空的"),
        ("r.csv", "名字,数量\n甲,1\n".encode(), "找不到表头：需要“姓名”列"),
        ("r.csv", "姓名,工号\n".encode(), "文件中没有找到人员"),
        ("r.csv", "姓名,工号\n甲,=1+1\n".encode(), "单元格含公式"),
    ]:
        response = upload(organiser_client, company, name, body)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html, (name, message)
        assert "确认导入" not in html
    app.config["IMPORT_MAX_BYTES"] = 2048
    big = workbook([HEADER] + [[i, f"人{i}", f"N{i:04d}", None, None] for i in range(400)])
    response = upload(organiser_client, company, "big.xlsx", big)
    assert response.status_code == 422 and "文件超过 2 KB 上限" in response.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    monkey_rows = rosters.MAX_ROWS
    try:
        rosters.MAX_ROWS = 5
        response = upload(organiser_client, company, "many.csv", csv_file(
            [["姓名", "工号"]] + [[f"人{i}", f"N{i:04d}"] for i in range(6)]))
        assert "文件超过 5 行上限" in response.get_data(as_text=True)
    finally:
        rosters.MAX_ROWS = monkey_rows
    assert count(RosterPerson) == 0


def test_template_and_export_read_back(app, organiser_client, enterprises):
    company = enterprises[0]
    add_departments(company, "安全环保部")
    template = organiser_client.get("/admin/roster/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]] == ["姓名", "工号", "手机号", "部门"]
    html = upload(organiser_client, company, "模板.xlsx", template.data).get_data(as_text=True)
    assert "新增 <strong>1</strong> 人" in html and "错误 0 行" in html
    confirm(organiser_client, company, html)
    add_person(company, "=HYPERLINK(\"x\")", "007", "13900139000", "安全环保部", active=False)

    export = organiser_client.get(roster_url(company, "/export.xlsx"))
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(export.data)).active]
    assert rows == [["姓名", "工号", "手机号", "部门", "状态"],
                    ["=HYPERLINK(\"x\")", "007", "13900139000", "安全环保部", "停用"],
                    ["张三", "A1001", "13800138000", "安全环保部", "在册"]]
    html = upload(organiser_client, company, "导出.xlsx", export.data).get_data(as_text=True)
    assert "未变 2 人" in html and "错误 0 行" in html and "确认导入" not in html


# ---- 未参与名单 ---------------------------------------------------------------------------


def submit_as(phone, contest, enterprise, name, identifier) -> int:
    response = phone.sign_up(contest.code, name=name, identifier=identifier, enterprise=enterprise.id)
    attempt_id = phone.attempt_id(response)
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (200, 204)
    return attempt_id


def test_absentees_page_and_export(app, organiser_client, enterprises, new_phone):
    company = enterprises[0]
    add_departments(company, "安全环保部", "生产部")
    add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    add_person(company, "李四", "A1002", "13800138002", "安全环保部")
    add_person(company, "王五", None, "13900139003", "生产部")
    add_person(company, "赵六", "A1004", "13900139004", "生产部")
    add_person(company, "已停用", "A1005", "13900139005", "生产部", active=False)
    contest = make_contest(identity_mode="roster_first")
    other = make_contest(code="TEST02", title="第二场")
    submit_as(new_phone(), contest, company, "张三", "A1001")
    voided = submit_as(new_phone(), contest, company, "王五", "13900139003")
    submit_as(new_phone(), other, company, "赵六", "13900139004")  # took part in the other contest only
    submit_as(new_phone(), contest, company, "名单外", "13700000000")  # 名单外: nobody's row
    attempt = db.session.get(Attempt, voided)
    attempt.voided_at = START
    db.session.commit()
    assert db.session.scalar(select(Participant.roster_person_id).where(Participant.name == "张三")) is not None

    url = f"/admin/absentees?enterprise={company.id}&contest={contest.id}"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "测试竞赛" in page
    assert "安全环保部</a></td>\n    <td>2</td><td>1</td><td>1</td>" in page
    assert "生产部</a></td>\n    <td>2</td><td>0</td><td>2</td>" in page  # 生产部: 王五's attempt was voided
    assert "<th>合计</th><th>4</th><th>1</th><th>3</th>" in page
    assert "李四" in page and "王五" in page and "赵六" in page
    assert "张三" not in page.split("未参与人员")[1] and "已停用" not in page and "名单外" not in page
    assert "139****9003" in page and "13900139003" not in page
    assert f"/admin/contests/{contest.id}/poster?e={company.code}" in page  # print the poster again

    campaign = organiser_client.get(f"/admin/absentees?enterprise={company.id}").get_data(as_text=True)
    assert "<th>合计</th><th>4</th><th>2</th><th>2</th>" in campaign  # 赵六 took part in the campaign
    only = organiser_client.get(url + "&department=生产部").get_data(as_text=True).split("未参与人员")[1]
    assert "王五" in only and "李四" not in only

    export = organiser_client.get(url.replace("/absentees?", "/absentees.xlsx?"))
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    rows = [[c.value for c in row] for row in book["未参与名单"]]
    assert rows == [["姓名", "工号", "手机号", "部门"], ["李四", "A1002", "138****8002", "安全环保部"],
                    ["王五", None, "139****9003", "生产部"], ["赵六", "A1004", "139****9004", "生产部"]]
    summary = [[c.value for c in row] for row in book["按部门统计"]]
    assert summary[-1] == ["合计", "4", "1", "3"] or summary[-1] == ["合计", 4, 1, 3]


# ---- who may see what ------------------------------------------------------------------------


def urls(company: Enterprise, someone: RosterPerson, contest) -> list[tuple[str, str]]:
    return [
        ("get", roster_url(company)),
        ("get", roster_url(company, f"/{someone.id}/edit")),
        ("get", roster_url(company, "/export.xlsx")),
        ("get", roster_url(company, "/import")),
        ("post", roster_url(company)),
        ("post", roster_url(company, f"/{someone.id}/edit")),
        ("post", roster_url(company, f"/{someone.id}/retire")),
        ("post", roster_url(company, "/import")),
        ("post", roster_url(company, "/import/" + "0" * 32)),
        ("get", f"/admin/absentees?enterprise={company.id}"),
        ("get", f"/admin/absentees?enterprise={company.id}&contest={contest.id}"),
        ("get", f"/admin/absentees.xlsx?enterprise={company.id}&contest={contest.id}"),
    ]


def test_strangers_and_other_enterprises_admins_get_nothing(app, client, enterprises):
    company, other = enterprises[0], enterprises[1]
    add_departments(company, "安全环保部")
    someone = add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    contest = make_contest()
    for method, url in urls(company, someone, contest) + [("get", "/admin/roster"), ("get", "/admin/absentees")]:
        response = getattr(client, method)(url)
        assert response.status_code in (302, 303, 400) and "张三" not in response.get_data(as_text=True), url
        if method == "get":
            assert "/admin/login" in response.headers["Location"], url

    admin = staff_client(app, "other-admin", enterprise=other)
    token = csrf_token(admin, roster_url(other))
    for method, url in urls(company, someone, contest):
        response = getattr(admin, method)(url, data={"csrf_token": token, "name": "改名", "staff_no": "X1"})
        assert response.status_code == 403, url
        assert "张三" not in response.get_data(as_text=True) and "A1001" not in response.get_data(as_text=True)
    assert person(name="张三").active is True and count(RosterPerson) == 1
    # Its own: the nav leads there, and the 未参与名单 without an enterprise is its own.
    response = admin.get("/admin/roster")
    assert response.status_code == 303 and response.headers["Location"].endswith(roster_url(other))
    assert "花名册" in admin.get(roster_url(other)).get_data(as_text=True)
    page = admin.get("/admin/absentees").get_data(as_text=True)
    assert other.name in page and company.name not in page

    own = staff_client(app, "own-admin", enterprise=company)
    assert "张三" in own.get(roster_url(company)).get_data(as_text=True)
    assert own.get(f"/admin/absentees?enterprise={company.id}&contest={contest.id}").status_code == 200


def test_ids_beyond_a_database_integer_are_not_found(app, organiser_client, enterprises):
    company = enterprises[0]
    for url in (roster_url(company, f"/{10**30}/edit"), f"/admin/enterprises/{10**30}/roster"):
        assert organiser_client.get(url).status_code == 404
    assert organiser_client.get(f"/admin/absentees?enterprise={10**30}").status_code == 200


def test_editing_a_person_whose_department_was_deleted_keeps_it(app, organiser_client, enterprises):
    company = enterprises[0]
    someone = add_person(company, "张三", "A1001", None, "旧车间")  # 旧车间 is no department (any more)
    edit = roster_url(company, f"/{someone.id}/edit")
    assert '<option selected value="旧车间">' in organiser_client.get(edit).get_data(as_text=True)
    response = organiser_client.post(edit, data=form(organiser_client, company, name="张三丰", staff_no="A1001",
                                                     department="旧车间"))
    assert response.status_code == 303
    assert (person(id=someone.id).name, person(id=someone.id).department) == ("张三丰", "旧车间")
    response = organiser_client.post(edit, data=form(organiser_client, company, name="张三丰", staff_no="A1001",
                                                     department="别的车间"))
    assert response.status_code == 422 and "部门“别的车间”不存在" in response.get_data(as_text=True)


def test_absentees_choose_the_campaign_of_a_contest_and_ignore_a_contest_of_another(app, organiser_client, enterprises):
    from .conftest import make_campaign

    company = enterprises[0]
    add_person(company, "张三", "A1001", None, "")
    contest = make_contest()
    newer = make_campaign(name="2027年“安全生产月”")
    db.session.commit()
    page = organiser_client.get(f"/admin/absentees?enterprise={company.id}&contest={contest.id}").get_data(as_text=True)
    assert f'<option value="{contest.id}" selected>' in page and "测试竞赛" in page
    page = organiser_client.get(f"/admin/absentees?enterprise={company.id}&campaign={newer.id}&contest={contest.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h2>示范化工有限公司 · 2027年“安全生产月”（全部竞赛）</h2>" in html
    assert "张三" in html.split("未参与人员")[1]
    # Changing the campaign through htmx swaps the choices too (the form is in the fragment).
    fragment = organiser_client.get(f"/admin/absentees?enterprise={company.id}&campaign={newer.id}",
                                    headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'name="contest"' in fragment and "测试竞赛" not in fragment


def test_a_staff_number_that_is_someone_elses_phone_is_refused(app, organiser_client, enterprises):
    # Sign-up looks a typed identifier up as 工号 and as phone: the two must not collide.
    company = enterprises[0]
    add_person(company, "张三", "A1001", "13800138001", "")
    response = organiser_client.post(roster_url(company), data=form(
        organiser_client, company, name="李四", staff_no="13800138001"))
    assert response.status_code == 422 and "工号 13800138001 已登记给本单位的“张三”" in response.get_data(as_text=True)
    html = upload(organiser_client, company, "r.csv", csv_file([
        ["姓名", "工号", "手机号"], ["李四", "13800138001", None], ["王五", None, "13900139001"],
        ["赵六", "13900139001", None]])).get_data(as_text=True)
    assert "第 2 行：工号 13800138001 与本单位“张三”的手机号相同" in html
    assert "第 4 行：工号 13900139001 与第 3 行重复" in html
    assert "新增 <strong>1</strong> 人" in html
