"""Units (企业/单位), their departments and the enterprise admins' accounts, through the pages."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from quiz.units import rules as units
from quiz.extensions import db
from quiz.models import Attempt, Department, Enterprise, Participant, User

from .conftest import HX, START, csrf_token, make_contest
from .test_contest_rules import admin_client


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def unit(name: str) -> Enterprise | None:
    return db.session.scalar(select(Enterprise).where(Enterprise.name == name))


def department_names(enterprise: Enterprise) -> list[str]:
    return sorted(db.session.scalars(select(Department.name).where(Department.enterprise_id == enterprise.id)))


def add_form(client, **values) -> dict:
    data = {"name": "新建机械厂", "headcount": "35", "region": "城关镇", "industry": "其他",
            "departments": "", "csrf_token": csrf_token(client, "/admin/enterprises")}
    data.update(values)
    return data


# ---- add, edit, retire, restore -------------------------------------------------------


def test_add_a_unit_with_departments_and_refuse_bad_input(app, organiser_client, enterprises):
    page = organiser_client.get("/admin/enterprises").get_data(as_text=True)
    for industry in units.INDUSTRIES:
        assert f'<option value="{industry}">{industry}</option>' in page
    assert '<datalist id="region-names">' in page and '<option value="滨海街道">' in page
    assert "共 3 个单位" in page

    response = organiser_client.post("/admin/enterprises", data=add_form(
        organiser_client, name="  新建机械厂 ", departments="装配车间、机加车间\n质检部，装配车间"))
    assert response.status_code == 303
    stored = unit("新建机械厂")
    assert (stored.headcount, stored.region, stored.industry, stored.active) == (35, "城关镇", "其他", True)
    assert re.fullmatch(r"[A-Z2-9]{4}", stored.code)
    assert department_names(stored) == sorted(["装配车间", "机加车间", "质检部"])
    page = organiser_client.get("/admin/enterprises").get_data(as_text=True)
    assert "已添加单位“新建机械厂”" in page and "<td>35</td>" in page and "共 4 个单位" in page

    # The same name written differently (full-width, spaces) is the same unit.
    response = organiser_client.post("/admin/enterprises", data=add_form(organiser_client, name="新建 机械厂"))
    assert response.status_code == 422 and "已有同名单位“新建机械厂”" in response.get_data(as_text=True)

    response = organiser_client.post("/admin/enterprises", data=add_form(
        organiser_client, name="", headcount="很多", region="镇" * 61, industry="煤炭",
        departments="甲" * 61))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("请填写单位名称。", "应参与人数“很多”不是数字。", "所属镇（街）不能超过 60 个字。",
                    "行业“煤炭”不在列表中", "超过 60 个字。"):
        assert message in html, message
    for headcount, message in (("-1", "不能为负数"), ("2000000", "应在 0 到 1000000 之间"), ("12.5", "应为整数")):
        response = organiser_client.post("/admin/enterprises", data=add_form(
            organiser_client, name="另一家", headcount=headcount))
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = organiser_client.post("/admin/enterprises", data=add_form(organiser_client, name="另一家", industry=""))
    assert response.status_code == 422 and "请选择行业。" in response.get_data(as_text=True)
    assert count(Enterprise) == 4 and count(Department) == 3  # nothing else was written


def test_filter_the_list_by_region_industry_and_state(app, organiser_client, enterprises):
    enterprises[2].active = False
    db.session.commit()
    fragment = organiser_client.get("/admin/enterprises?industry=危险化学品", headers=HX).get_data(as_text=True)
    assert fragment.startswith('<div id="results">') and "<h1>" not in fragment
    assert "示范化工有限公司" in fragment and "安达物流" not in fragment and "共 1 个单位" in fragment
    page = organiser_client.get("/admin/enterprises?region=开发区").get_data(as_text=True)
    assert "安达物流股份有限公司" in page and "示范化工有限公司" not in page
    page = organiser_client.get("/admin/enterprises").get_data(as_text=True)
    assert "城建第三工程有限公司" not in page and "共 2 个单位" in page  # retired units are hidden
    page = organiser_client.get("/admin/enterprises?status=retired").get_data(as_text=True)
    assert "城建第三工程有限公司" in page and "已停用" in page and "共 1 个单位" in page
    assert "共 3 个单位" in organiser_client.get("/admin/enterprises?status=all").get_data(as_text=True)


def test_edit_retire_and_restore(app, organiser_client, enterprises, client):
    chem, logistics, _ = enterprises
    path = f"/admin/enterprises/{chem.id}/edit"
    page = organiser_client.get(path).get_data(as_text=True)
    assert 'value="示范化工有限公司"' in page and 'value="4"' in page and "HG01" in page
    assert '<option selected value="危险化学品">' in page
    token = csrf_token(organiser_client, path)
    response = organiser_client.post(path, data={
        "name": "示范化工有限公司", "headcount": "40", "region": "滨海街道", "industry": "危险化学品",
        "csrf_token": token})
    assert response.status_code == 303
    assert "已保存：应参与人数：4 → 40" in organiser_client.get(path).get_data(as_text=True)
    assert db.session.get(Enterprise, chem.id).headcount == 40
    response = organiser_client.post(path, data={
        "name": "安达物流股份有限公司", "headcount": "40", "region": "", "industry": "危险化学品", "csrf_token": token})
    assert response.status_code == 422 and "已有同名单位“安达物流股份有限公司”" in response.get_data(as_text=True)
    assert db.session.get(Enterprise, chem.id).name == "示范化工有限公司"
    assert organiser_client.get("/admin/enterprises/9999/edit").status_code == 404

    # Retired: gone from the sign-up list, its people and results stay.
    contest = make_contest()
    db.session.add(Participant(enterprise_id=chem.id, identifier="13800000001", name="张三",
                               department="生产部", created_at=START))
    db.session.commit()
    assert "示范化工有限公司" in client.get(f"/j/{contest.code}").get_data(as_text=True)
    response = organiser_client.post(f"/admin/enterprises/{chem.id}/retire", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(Enterprise, chem.id).active is False
    assert "已停用“示范化工有限公司”" in organiser_client.get(path).get_data(as_text=True)
    signup = client.get(f"/j/{contest.code}").get_data(as_text=True)
    assert "示范化工有限公司" not in signup and "安达物流股份有限公司" in signup
    assert count(Participant) == 1
    response = organiser_client.post(f"/admin/enterprises/{chem.id}/restore", data={"csrf_token": token})
    assert response.status_code == 303 and db.session.get(Enterprise, chem.id).active is True
    assert "示范化工有限公司" in client.get(f"/j/{contest.code}").get_data(as_text=True)


def test_a_concurrent_add_of_the_same_name_writes_nothing(app, organiser_client, enterprises, monkeypatch):
    # Two organisers press 添加 at once: both pass the name check, the unique constraint stops one.
    monkeypatch.setattr(units, "_same_name", lambda name, exclude_id=None: None)
    before = count(Department)
    response = organiser_client.post("/admin/enterprises", data=add_form(
        organiser_client, name="示范化工有限公司", departments="新部门"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "保存失败：单位名称或编码重复" in html
    assert count(Enterprise) == 3 and count(Department) == before


# ---- import --------------------------------------------------------------------------


def workbook(rows: list[list], title: str | None = "2026年安全生产月参赛单位名单") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["序号", "单位名称", "编码", "应参与人数（人）", "所属镇（街）", "行业", "部门（车间）"]


def upload(client, name: str, body: bytes):
    return client.post("/admin/enterprises/import", data={
        "file": (io.BytesIO(body), name), "csrf_token": csrf_token(client, "/admin/enterprises/import")},
        content_type="multipart/form-data")


def test_import_preview_then_confirm_only_valid_rows(app, organiser_client, enterprises):
    body = workbook([
        HEADER,                                                                 # line 2
        [1, "新兴机械厂", None, 120, "城关镇", "其他", "装配车间、机加车间;质检部"],  # 3 new
        [2, "海港危化仓储有限公司", None, "80", "滨海街道", "危化", None],            # 4 new, 危化 → 危险化学品
        [3, "示范化工有限公司", None, 6, "滨海街道", "危险化学品企业", "安全环保部"],  # 5 update
        [4, "安达物流股份有限公司", "WL02", 5, "开发区", "仓储物流", None],           # 6 unchanged
        [5, None, None, 10, "城关镇", "其他", None],                                 # 7 no name
        [6, "坏人数公司", None, "很多", None, "其他", None],                          # 8 not a number
        [7, "负数公司", None, -5, None, "其他", None],                               # 9 negative
        [8, "未知行业公司", None, 10, None, "煤炭开采", None],                        # 10 unknown industry
        [9, "新兴机械厂", None, 30, None, "其他", None],                              # 11 duplicate in file
        [10, "长" * 121, None, 10, None, "其他", None],                              # 12 too long
        [11, "模糊行业公司", None, 10, None, "运输", None],                           # 13 ambiguous
        [12, "城建第三工程有限公司", "ZZZZ", 60, None, None, None],                   # 14 other code
        [13, "无人数公司", None, None, None, "消防", None],                           # 15 new without headcount
        [None, "合计", None, 1000, None, None, None],                                # 16 not a unit
    ])
    response = upload(organiser_client, "单位名单.xlsx", body)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "新增 <strong>2</strong> 个" in html and "更新 <strong>1</strong> 个" in html
    assert "未变 1 个" in html and "错误 9 行" in html
    for message in (
        "第 5 行" ,  # the update, with what changes
        "应参与人数：4 → 6", "新增部门：安全环保部",
        "第 7 行：缺少单位名称",
        "第 8 行：应参与人数“很多”不是数字",
        "第 9 行：应参与人数应在 0 到 1000000 之间，不能为负数",
        "第 10 行：行业“煤炭开采”无法识别，可填：危险化学品、非煤矿山、消防",
        "第 11 行：与第 3 行单位名称重复",
        "第 12 行：单位名称超过 120 个字",
        "第 13 行：行业“运输”不明确，可能是：道路运输、交通运输和渔业船舶",
        "第 14 行：单位“城建第三工程有限公司”已有编码 JS03，与文件中的编码 ZZZZ 不一致",
        "第 15 行：缺少应参与人数",
    ):
        assert message in html, message
    assert count(Enterprise) == 3  # a preview writes nothing

    token = re.search(r"/admin/enterprises/import/([0-9a-f]{32})", html).group(1)
    response = organiser_client.post(f"/admin/enterprises/import/{token}", data={
        "csrf_token": csrf_token(organiser_client, "/admin/enterprises/import")})
    assert response.status_code == 303
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入：新增 2 个单位，更新 1 个；未变 1 行，错误 9 行未导入。" in page
    assert count(Enterprise) == 5
    machine = unit("新兴机械厂")
    assert (machine.headcount, machine.region, machine.industry) == (120, "城关镇", "其他")
    assert department_names(machine) == sorted(["装配车间", "机加车间", "质检部"])
    assert unit("海港危化仓储有限公司").industry == "危险化学品"
    assert unit("海港危化仓储有限公司").headcount == 80
    chem = unit("示范化工有限公司")
    assert chem.headcount == 6 and chem.code == "HG01" and department_names(chem) == ["安全环保部"]
    assert unit("城建第三工程有限公司").headcount == 0 and unit("城建第三工程有限公司").code == "JS03"
    for name in ("坏人数公司", "负数公司", "未知行业公司", "模糊行业公司", "无人数公司", "合计"):
        assert unit(name) is None, name
    # The token is used up.
    response = organiser_client.post(f"/admin/enterprises/import/{token}", data={
        "csrf_token": csrf_token(organiser_client, "/admin/enterprises/import")})
    assert response.status_code == 404 and "导入任务不存在或已过期" in response.get_data(as_text=True)


def test_an_import_of_only_unchanged_or_bad_rows_offers_no_confirmation(app, organiser_client, enterprises):
    response = upload(organiser_client, "a.xlsx", workbook([
        ["单位名称", "应参与人数", "行业"], ["示范化工有限公司", 4, "危险化学品"]], title=None))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "未变 1 个" in html and "确认导入" not in html
    response = upload(organiser_client, "b.xlsx", workbook([["单位名称", "应参与人数"], ["坏公司", "x"]]))
    assert response.status_code == 422 and "确认导入" not in response.get_data(as_text=True)


def test_export_and_template_read_back_and_reimport_unchanged(app, organiser_client, enterprises):
    db.session.add(Department(enterprise_id=enterprises[0].id, name="生产部", headcount=3))
    db.session.add(Department(enterprise_id=enterprises[0].id, name="安全环保部", headcount=1))
    db.session.commit()
    response = organiser_client.get("/admin/enterprises/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["编码", "单位名称", "应参与人数", "所属镇（街）", "行业", "部门（车间）", "状态"]
    assert sorted(rows[1:], key=str) == sorted([  # by name (the database's collation)
        ["WL02", "安达物流股份有限公司", 5, "开发区", "仓储物流", None, "启用"],
        ["JS03", "城建第三工程有限公司", 0, "新城镇", "城市建设", None, "启用"],
        ["HG01", "示范化工有限公司", 4, "滨海街道", "危险化学品", "安全环保部、生产部", "启用"],
    ], key=str)
    filtered = organiser_client.get("/admin/enterprises/export.xlsx?industry=仓储物流")
    rows = list(openpyxl.load_workbook(io.BytesIO(filtered.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["安达物流股份有限公司"]
    # Export → import changes nothing.
    html = upload(organiser_client, "参赛单位.xlsx", response.data).get_data(as_text=True)
    assert "未变 3 个" in html and "新增 <strong>0</strong>" in html and "确认导入" not in html

    template = organiser_client.get("/admin/enterprises/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    rows = list(book["参赛单位"].iter_rows(values_only=True))
    assert rows[0] == ("编码", "单位名称", "应参与人数", "所属镇（街）", "行业", "部门（车间）")
    assert rows[1][1:] == ("示范化工有限公司", 120, "滨海街道", "危险化学品", "安全环保部、生产一车间、仓储部")
    assert any("、".join(units.INDUSTRIES) in (r[0] or "") for r in book["填写说明"].iter_rows(values_only=True))
    # The blank template itself imports as one update of the example unit.
    html = upload(organiser_client, "模板.xlsx", template.data).get_data(as_text=True)
    assert "更新 <strong>1</strong>" in html and "应参与人数：4 → 120" in html


def test_malformed_uploads_get_a_clear_message(app, organiser_client, enterprises):
    cases = [
        ("units.xlsx", b"this is not a spreadsheet", "文件不是有效的 Excel（.xlsx）文件"),
        ("units.csv", "单位名称,应参与人数\n甲,1\n".encode(), "只支持 Excel（.xlsx）文件"),
        ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持旧版 .xls 文件"),
        ("units.xlsx", b"", "文件是空的"),
        ("units.xlsx", b"PK\x03\x04broken zip", "文件不是有效的 Excel（.xlsx）文件"),
        ("units.xlsx", workbook([["名字", "数量"], ["甲", 1]], title=None), "找不到表头"),
        ("units.xlsx", workbook([], title=None), "文件中没有找到单位"),
    ]
    for name, body, message in cases:
        response = upload(organiser_client, name, body)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, name
        assert message in html, (name, message)
        assert "确认导入" not in html
    formula = openpyxl.Workbook()
    formula.active.append(["单位名称", "应参与人数"])
    formula.active.append(["公式公司", "=1+1"])
    out = io.BytesIO()
    formula.save(out)
    html = upload(organiser_client, "f.xlsx", out.getvalue()).get_data(as_text=True)
    assert "第 2 行：单元格含公式" in html
    app.config["IMPORT_MAX_BYTES"] = 2048
    response = upload(organiser_client, "big.xlsx", workbook([HEADER] + [[i, f"单位{i}", None, 1, "", "其他", ""]
                                                                        for i in range(300)]))
    assert response.status_code == 422 and "文件超过 2 KB 上限" in response.get_data(as_text=True)
    response = organiser_client.post("/admin/enterprises/import", data={
        "csrf_token": csrf_token(organiser_client, "/admin/enterprises/import")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择要导入的文件。" in response.get_data(as_text=True)
    assert count(Enterprise) == 3


# ---- departments ------------------------------------------------------------------------


def dept_post(client, enterprise, htmx=True, **data):
    path = f"/admin/enterprises/{enterprise.id}/departments"
    headers = {**HX, "X-CSRFToken": csrf_token(client, path)} if htmx else {}
    if not htmx:
        data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data, headers=headers)


def test_departments_for_the_organiser_and_the_own_admin_only(app, organiser_client, enterprises):
    chem, logistics, _ = enterprises
    mine = admin_client(app, chem, "hg-admin")
    other = admin_client(app, logistics, "wl-admin")
    path = f"/admin/enterprises/{chem.id}/departments"
    assert organiser_client.get(path).status_code == 200
    page = mine.get(path).get_data(as_text=True)
    assert "本单位：示范化工有限公司" in page
    assert f'href="{path}">本单位</a>' in page  # the admin's nav points at its own unit
    assert other.get(path).status_code == 403
    assert other.post(path, data={"action": "add", "name": "x", "csrf_token": csrf_token(other, "/admin/contests/")}).status_code == 403
    assert dept_post(other, chem, action="add", name="偷加部门").status_code == 403
    assert organiser_client.get("/admin/enterprises/9999/departments").status_code == 404

    # Add (htmx: the fragment comes back), rename, set headcount.
    response = dept_post(mine, chem, action="add", name="生产部", headcount="30")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.startswith('<div id="departments">')
    assert "已添加部门“生产部”" in fragment and 'value="生产部"' in fragment
    response = dept_post(organiser_client, chem, htmx=False, action="add", name="安全环保部")
    assert response.status_code == 303
    response = dept_post(mine, chem, action="add", name="生产部")
    assert response.status_code == 409 and "已有部门“生产部”" in response.get_data(as_text=True)
    response = dept_post(mine, chem, action="add", name="")
    assert response.status_code == 422 and "请填写部门名称。" in response.get_data(as_text=True)
    response = dept_post(mine, chem, action="add", name="甲、乙")
    assert response.status_code == 422 and "不能包含" in response.get_data(as_text=True)
    production = db.session.scalar(select(Department).where(Department.name == "生产部"))
    assert production.headcount == 30 and production.enterprise_id == chem.id
    response = dept_post(mine, chem, action="save", department_id=str(production.id), name="生产部", headcount="-2")
    assert response.status_code == 422 and "部门人数应在 0 到 1000000 之间" in response.get_data(as_text=True)

    # Someone signed up and took an attempt in 生产部: it can be renamed, not deleted,
    # and the rename does not rewrite their records.
    contest = make_contest()
    person = Participant(enterprise_id=chem.id, identifier="13800000001", name="张三",
                         department="生产部", created_at=START)
    db.session.add(person)
    db.session.flush()
    db.session.add(Attempt(contest_id=contest.id, participant_id=person.id, number=1, started_at=START,
                           deadline=START, department="生产部"))
    db.session.commit()
    page = organiser_client.get(path).get_data(as_text=True)
    assert re.search(r"<td>1</td><td>1</td>", page)  # one person, one attempt
    response = dept_post(mine, chem, action="delete", department_id=str(production.id))
    assert response.status_code == 409
    assert "部门“生产部”已有 1 名参赛者、1 次答题记录，不能删除" in response.get_data(as_text=True)
    response = dept_post(mine, chem, action="save", department_id=str(production.id), name="生产一部", headcount="25")
    assert response.status_code == 200 and "已保存：名称：生产部 → 生产一部；人数：30 → 25" in response.get_data(as_text=True)
    assert db.session.get(Participant, person.id).department == "生产部"
    assert db.session.scalar(select(Attempt.department)) == "生产部"
    # Renaming onto another department's name is refused; an unused one is deleted.
    safety = db.session.scalar(select(Department).where(Department.name == "安全环保部"))
    response = dept_post(mine, chem, action="save", department_id=str(safety.id), name="生产一部", headcount="0")
    assert response.status_code == 409 and "已有部门“生产一部”" in response.get_data(as_text=True)
    response = dept_post(mine, chem, action="delete", department_id=str(safety.id))
    assert response.status_code == 200 and "已删除部门“安全环保部”" in response.get_data(as_text=True)
    assert department_names(chem) == ["生产一部"]
    # Another unit's department cannot be reached through this unit's page.
    theirs = units.add_department(logistics, "仓储部")
    db.session.commit()
    response = dept_post(organiser_client, chem, action="delete", department_id=str(theirs.id))
    assert response.status_code == 404 and department_names(logistics) == ["仓储部"]
    response = dept_post(mine, chem, action="explode")
    assert response.status_code == 400


# ---- accounts and roles ---------------------------------------------------------------


def account_form(client, **values) -> dict:
    data = {"action": "create", "username": "hg-admin", "enterprise": "", "password": "安全第一 2026",
            "csrf_token": csrf_token(client, "/admin/users")}
    data.update(values)
    return data


def login(app, username, password):
    client = app.test_client()
    response = client.post("/admin/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_token(client, "/admin/login")})
    return client, response


def test_organiser_creates_an_enterprise_admin_who_logs_in(app, organiser_client, enterprises):
    chem = enterprises[0]
    page = organiser_client.get("/admin/users").get_data(as_text=True)
    assert "organiser" in page and "组织者" in page and f'<option value="{chem.id}">示范化工有限公司</option>' in page
    for values, message in (
        ({"enterprise": str(chem.id), "password": "short"}, "密码应为 8 到 128 位。"),
        ({"enterprise": ""}, "请选择单位。"),
        ({"enterprise": "9999"}, "请选择单位。"),
        ({"enterprise": str(chem.id), "username": ""}, "请填写用户名。"),
        ({"enterprise": str(chem.id), "username": "organiser"}, "用户名“organiser”已被使用。"),
        ({"enterprise": str(chem.id), "username": "has space"}, "不含空格"),
    ):
        response = organiser_client.post("/admin/users", data=account_form(organiser_client, **values))
        assert response.status_code in (409, 422), values
        assert message in response.get_data(as_text=True), message
    assert count(User) == 1
    response = organiser_client.post("/admin/users", data=account_form(organiser_client, enterprise=str(chem.id)))
    assert response.status_code == 303
    admin = db.session.scalar(select(User).where(User.username == "hg-admin"))
    assert (admin.role, admin.enterprise_id, admin.is_organiser) == ("enterprise_admin", chem.id, False)
    assert admin.created_at == START
    page = organiser_client.get("/admin/users").get_data(as_text=True)
    assert "已创建企业管理员“hg-admin”" in page and "企业管理员" in page

    client, response = login(app, "hg-admin", "安全第一 2026")
    assert response.status_code == 303
    home = client.get("/admin/contests/").get_data(as_text=True)
    assert f'/admin/enterprises/{chem.id}/departments">本单位</a>' in home
    assert ">单位</a>" not in home and ">题库</a>" not in home
    assert client.get(f"/admin/enterprises/{chem.id}/departments").status_code == 200
    for path in ("/admin/users", "/admin/enterprises", f"/admin/enterprises/{chem.id}/edit"):
        assert client.get(path).status_code == 403, path

    # Reset: the new password works, the old one no longer does.
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": str(admin.id), "password": "short",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 422 and "重置“hg-admin”的密码失败：密码应为 8 到 128 位。" in response.get_data(as_text=True)
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": str(admin.id), "password": "新的密码 12345",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 303
    assert login(app, "hg-admin", "安全第一 2026")[1].status_code == 401
    assert login(app, "hg-admin", "新的密码 12345")[1].status_code == 303
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": "9999", "password": "新的密码 12345",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 404


def test_a_retired_unit_gets_no_new_admin(app, organiser_client, enterprises):
    enterprises[2].active = False
    db.session.commit()
    response = organiser_client.post("/admin/users", data=account_form(
        organiser_client, enterprise=str(enterprises[2].id)))
    assert response.status_code == 422 and "已停用，不能新建管理员" in response.get_data(as_text=True)


# ---- access control ------------------------------------------------------------------------


def pages(enterprise_id: int) -> list[tuple[str, str]]:
    token = "0" * 32
    return [
        ("GET", "/admin/enterprises"), ("POST", "/admin/enterprises"),
        ("GET", f"/admin/enterprises/{enterprise_id}/edit"), ("POST", f"/admin/enterprises/{enterprise_id}/edit"),
        ("POST", f"/admin/enterprises/{enterprise_id}/retire"), ("POST", f"/admin/enterprises/{enterprise_id}/restore"),
        ("GET", f"/admin/enterprises/{enterprise_id}/departments"),
        ("POST", f"/admin/enterprises/{enterprise_id}/departments"),
        ("GET", "/admin/enterprises/import"), ("POST", "/admin/enterprises/import"),
        ("POST", f"/admin/enterprises/import/{token}"),
        ("GET", "/admin/enterprises/template.xlsx"), ("GET", "/admin/enterprises/export.xlsx"),
        ("GET", "/admin/users"), ("POST", "/admin/users"),
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_visitors_are_sent_to_login(app, client, enterprises, htmx):
    token = csrf_token(client, "/admin/login")  # a valid token: the refusal is about the login
    headers = {**(HX if htmx else {}), "X-CSRFToken": token}
    for method, path in pages(enterprises[0].id):
        response = client.open(path, method=method, headers=headers,
                               data={"action": "add", "name": "x", "csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, path, response.status_code)
        assert "/admin/login" in response.headers["Location"], path
    assert count(Department) == 0 and db.session.get(Enterprise, enterprises[0].id).active


def test_another_enterprises_admin_is_refused(app, enterprises):
    other = admin_client(app, enterprises[1], "wl-admin")
    token = csrf_token(other, "/admin/contests/")
    for method, path in pages(enterprises[0].id):
        response = other.open(path, method=method, headers={"X-CSRFToken": token},
                              data={"action": "add", "name": "x", "csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)
    assert count(Department) == 0 and db.session.get(Enterprise, enterprises[0].id).active


# ---- rules as plain functions -----------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("危险化学品", "危险化学品"), ("危化", "危险化学品"), ("危险化学品企业", "危险化学品"),
    ("消防重点单位", "消防"), ("物流", "仓储物流"), ("工业园区", "工业园区等功能区"),
    ("特种设备使用单位", "特种设备"), ("其它", "其他"), ("危废", "危险废物"), (" 道路运输 ", "道路运输"),
    ("运输", None), ("煤炭", None), ("危险化学品和危险废物", None),
])
def test_industry_variants(raw, expected):
    assert units.normalise_industry(raw)[0] == expected


def test_headcount_and_department_parsing():
    assert units.parse_headcount("1,200") == (1200, None)
    assert units.parse_headcount("120人") == (120, None)
    assert units.parse_headcount("120.0") == (120, None)
    assert units.parse_headcount(120) == (120, None)
    assert units.parse_headcount("abc")[0] is None
    assert units.parse_headcount("-1")[1] == units.HEADCOUNT_NEGATIVE
    assert units.split_departments("甲、乙，丙;丁；戊/己\n庚, 甲") == ["甲", "乙", "丙", "丁", "戊", "己", "庚"]


def test_import_matches_by_code_and_refuses_a_code_twice(app, organiser_client, enterprises):
    html = upload(organiser_client, "c.xlsx", workbook([
        ["编码", "单位名称", "应参与人数", "行业"],
        ["hg01", "示范化工（集团）有限公司", 4, "危险化学品"],    # by code: a rename
        ["NEW1", "新一公司", 3, "消防"],
        ["NEW1", "新二公司", 3, "消防"],
        ["WL02", "城建第三工程有限公司", 5, "仓储物流"],        # another unit's name
    ], title=None)).get_data(as_text=True)
    assert "名称：示范化工有限公司 → 示范化工（集团）有限公司" in html
    assert "第 4 行：与第 3 行编码重复" in html
    assert "第 5 行：名称“城建第三工程有限公司”已被编码 JS03 的单位使用" in html
    token = re.search(r"/admin/enterprises/import/([0-9a-f]{32})", html).group(1)
    organiser_client.post(f"/admin/enterprises/import/{token}", data={
        "csrf_token": csrf_token(organiser_client, "/admin/enterprises/import")})
    assert db.session.get(Enterprise, enterprises[0].id).name == "示范化工（集团）有限公司"
    assert unit("新一公司").code == "NEW1" and unit("新二公司") is None


def test_posts_without_a_csrf_token_change_nothing(app, organiser_client, enterprises):
    chem = enterprises[0]
    for path, data in (("/admin/enterprises", {"name": "无令牌公司", "headcount": "1", "industry": "其他"}),
                       (f"/admin/enterprises/{chem.id}/retire", {}),
                       (f"/admin/enterprises/{chem.id}/departments", {"action": "add", "name": "无令牌部"}),
                       ("/admin/users", {"action": "create", "username": "x-admin", "enterprise": str(chem.id),
                                         "password": "long enough 1"})):
        response = organiser_client.post(path, data=data)
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True), path
    assert count(Enterprise) == 3 and count(Department) == 0 and count(User) == 1
    assert db.session.get(Enterprise, chem.id).active


def test_sign_up_offers_the_units_departments(app, contest, enterprises, phone):
    """People of one department should type its name the same way: the sign-up field offers
    the departments the unit defined (a <datalist>), for the poster's unit or the unit chosen."""
    from quiz.models import Department

    first, second = sorted(enterprises, key=lambda e: e.name)[:2]
    db.session.add_all([Department(enterprise_id=first.id, name="<b>一车间</b>"),
                        Department(enterprise_id=second.id, name="仓储部")])
    db.session.commit()
    own_poster = phone.get(f"/j/{contest.code}/{second.code}").get_data(as_text=True)
    assert '<option value="仓储部">' in own_poster and "一车间" not in own_poster
    general = phone.get(f"/j/{contest.code}").get_data(as_text=True)  # no unit chosen yet: none
    assert '<datalist id="departments"></datalist>' in general
    chosen = phone.sign_up(contest.code, enterprise=first.id, department="").get_data(as_text=True)
    assert '<option value="&lt;b&gt;一车间&lt;/b&gt;">' in chosen and "仓储部" not in chosen
    swapped = phone.get(f"/j/{contest.code}/departments?enterprise={second.id}", htmx=True)
    assert swapped.status_code == 200
    assert swapped.get_data(as_text=True).strip() == '<datalist id="departments"><option value="仓储部"></datalist>'
    # A unit that may not take part (or no unit) gets an empty list, not another unit's names.
    contest.open_to_all = False
    contest.enterprises = [first]
    db.session.commit()
    refused = phone.get(f"/j/{contest.code}/departments?enterprise={second.id}", htmx=True)
    assert "仓储部" not in refused.get_data(as_text=True)
    assert phone.get(f"/j/{contest.code}/departments?enterprise=x", htmx=True).status_code == 200


def test_a_disabled_account_cannot_log_in_and_its_session_ends(app, organiser_client, enterprises):
    from .conftest import staff_client

    admin = staff_client(app, "hg-leaver", enterprise=enterprises[0])
    assert admin.get("/admin/contests/").status_code == 200
    leaver = db.session.scalar(select(User).where(User.username == "hg-leaver"))
    token = csrf_token(organiser_client, "/admin/users")
    page = organiser_client.post("/admin/users", data={"action": "disable", "user_id": leaver.id,
                                                       "csrf_token": token}, follow_redirects=True)
    assert "已停用账号“hg-leaver”" in page.get_data(as_text=True)
    db.session.refresh(leaver)
    assert leaver.active is False
    # The open session ends at once; logging in again is refused with a clear message.
    assert admin.get("/admin/contests/").status_code in (302, 303)
    fresh = app.test_client()
    refused = fresh.post("/admin/login", data={"username": "hg-leaver", "password": "correct horse 1",
                                               "csrf_token": csrf_token(fresh, "/admin/login")})
    assert refused.status_code == 401 and "该账号已停用" in refused.get_data(as_text=True)
    # Enabled again, it works again.
    organiser_client.post("/admin/users", data={"action": "enable", "user_id": leaver.id, "csrf_token": token})
    db.session.refresh(leaver)
    assert leaver.active is True
    assert fresh.post("/admin/login", data={
        "username": "hg-leaver", "password": "correct horse 1",
        "csrf_token": csrf_token(fresh, "/admin/login")}).status_code == 303


def test_nobody_disables_themselves_or_the_last_organiser(app, organiser_client):
    me = db.session.scalar(select(User).where(User.username == "organiser"))
    token = csrf_token(organiser_client, "/admin/users")
    own = organiser_client.post("/admin/users", data={"action": "disable", "user_id": me.id, "csrf_token": token})
    assert own.status_code == 422 and "不能停用自己" in own.get_data(as_text=True)
    other = User(username="second", role="organiser", created_at=START)
    other.set_password("correct horse 2")
    db.session.add(other)
    db.session.commit()
    other.active = False  # the only other organiser is already disabled
    db.session.commit()
    # Disabling "second" is allowed (me stays); disabling me is refused anyway (myself).
    assert units.set_account_active(other, False, acting_user_id=me.id) is None
    with pytest.raises(units.QuizError):
        units.set_account_active(me, False, acting_user_id=other.id)  # the last active organiser
    db.session.rollback()
    db.session.refresh(me)
    assert me.active is True
    missing = organiser_client.post("/admin/users", data={"action": "enable", "user_id": "99999",
                                                          "csrf_token": token})
    assert missing.status_code == 404


def test_ids_beyond_a_database_integer_are_not_found_never_a_500(app, organiser_client, enterprises):
    """Every id typed into a form or query string goes through models.parse_id: a 30-digit
    one is a missing row with the page's own message (it used to overflow SQLite's driver)."""
    from .conftest import make_campaign

    huge = "9" * 30
    chem = enterprises[0]
    campaign = make_campaign()
    db.session.commit()
    response = organiser_client.post("/admin/users", data=account_form(organiser_client, enterprise=huge))
    assert response.status_code == 422 and "请选择单位。" in response.get_data(as_text=True)
    response = organiser_client.post("/admin/users", data={
        "action": "reset", "user_id": huge, "password": "新的密码 12345",
        "csrf_token": csrf_token(organiser_client, "/admin/users")})
    assert response.status_code == 404
    response = dept_post(organiser_client, chem, action="delete", department_id=huge)
    assert response.status_code == 404 and "部门不存在" in response.get_data(as_text=True)
    response = organiser_client.get(f"/admin/league/{campaign.id}/individuals?contest={huge}")
    assert response.status_code == 404 and "参数无效" in response.get_data(as_text=True)
    response = organiser_client.get(f"/admin/reports/{campaign.id}/knowledge?enterprise={huge}")
    assert response.status_code == 400 and "所选单位无效" in response.get_data(as_text=True)
    assert organiser_client.get(f"/admin/reports/{huge}").status_code == 404
    assert count(User) == 1 and count(Department) == 0
