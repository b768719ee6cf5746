"""Issue 20, English, for units, rosters and the question bank: what the page walk cannot see.

Validation messages, flashes, htmx fragments and import previews in English; exports with
English headers that the imports read back unchanged; import templates that keep their
Chinese headers (the importers read them) with English instructions; messages outside a
request (CLI) stay Chinese.
"""
from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import select

from quiz.bank import files as bank_io
from quiz.extensions import db
from quiz.models import Question
from quiz.units import rosters, rules as units

from .conftest import HX, csrf_token
from .english import data_strings, untranslated
from .test_rosters import add_departments, add_person, roster_url


def english(client):
    """The client switched to English; the site's title (the organiser's own, else the
    campaign's, else a Chinese default of the core) set to an English one."""
    client.application.config["SITE_TITLE"] = "Work Safety Month"
    assert client.get("/lang/en").status_code == 303
    return client


def chinese_left(body, *kept: str) -> list[str]:
    return untranslated(body, sorted([*data_strings(), *kept], key=len, reverse=True))


def xlsx_rows(body: bytes, sheet: int = 0) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    return list(book.worksheets[sheet].iter_rows(values_only=True))


def sheet_names(body: bytes) -> list[str]:
    return openpyxl.load_workbook(io.BytesIO(body), read_only=True).sheetnames


def upload(client, url: str, name: str, body: bytes, **extra):
    return client.post(url, data={"file": (io.BytesIO(body), name), "csrf_token": csrf_token(client, url), **extra},
                       content_type="multipart/form-data")


def book_of(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- units, departments, accounts --------------------------------------------------


def test_unit_forms_flashes_and_department_fragment_in_english(app, organiser_client, enterprises):
    client = english(organiser_client)
    token = csrf_token(client, "/admin/enterprises")
    response = client.post("/admin/enterprises", data={
        "name": "", "headcount": "-3", "region": "", "industry": "煤炭", "departments": "", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter the unit name.", "Expected participants must be between 0 and 1000000, not negative.",
                    "Industry “煤炭” is not in the list. Allowed:", "Hazardous chemicals"):
        assert message in page, message
    response = client.post("/admin/enterprises", data={
        "name": "新建机械厂", "headcount": "35", "region": "城关镇", "industry": "其他", "departments": "",
        "csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Added unit “新建机械厂”, code " in page
    assert not chinese_left(response.get_data()), chinese_left(response.get_data())

    company = enterprises[0]
    url = f"/admin/enterprises/{company.id}/departments"
    fragment = client.post(url, headers=HX, data={"action": "add", "name": "生产部", "headcount": "很多",
                                                  "csrf_token": token})
    assert fragment.status_code == 422
    assert "Department headcount “很多” is not a number." in fragment.get_data(as_text=True)
    added = client.post(url, headers=HX, data={"action": "add", "name": "生产部", "headcount": "12",
                                               "csrf_token": token})
    assert added.status_code == 200 and "Added department “生产部”." in added.get_data(as_text=True)
    clash = client.post(url, headers=HX, data={"action": "add", "name": "生产部", "csrf_token": token})
    assert "There is already a department “生产部”." in clash.get_data(as_text=True)
    assert not chinese_left(clash.get_data())


def test_accounts_messages_in_english(app, organiser_client, enterprises):
    client = english(organiser_client)
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"action": "create", "username": "x", "password": "short",
                                                 "enterprise": "", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The username must be 2 to 64 characters." in page and "The password must be 8 to 128 characters." in page
    response = client.post("/admin/users", data={"action": "create", "username": "hg-admin",
                                                 "password": "long enough 1", "enterprise": str(enterprises[0].id),
                                                 "csrf_token": token}, follow_redirects=True)
    assert "Created unit admin “hg-admin”. Give the username and password to the unit." in response.get_data(as_text=True)
    assert not chinese_left(response.get_data())


def test_unit_import_preview_and_flash_in_english(app, organiser_client, enterprises):
    client = english(organiser_client)
    body = book_of([["单位名称", "应参与人数", "行业"], ["新兴机械厂", 120, "其他"], ["坏人数公司", "很多", "其他"],
                    [None, 10, "其他"]])
    response = upload(client, "/admin/enterprises/import", "units.xlsx", body)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Rows read: 3. New: <strong>1</strong>," in page
    assert "Row 3: Expected participants “很多” is not a number" in page
    assert "Row 4: Unit name missing" in page
    uploaded = ("新兴机械厂", "坏人数公司", "很多", "其他")  # the file's own values, shown as they are
    assert not chinese_left(response.get_data(), *uploaded), chinese_left(response.get_data(), *uploaded)
    token = re.search(r"/admin/enterprises/import/([0-9a-f]{32})", page).group(1)
    done = client.post(f"/admin/enterprises/import/{token}", data={"csrf_token": csrf_token(client, "/admin/enterprises")},
                       follow_redirects=True)
    assert "Imported: units added: 1, updated: 0; unchanged rows: 0; rows with errors, not imported: 2." in (
        done.get_data(as_text=True))


def test_english_unit_export_reads_back_unchanged(app, organiser_client, enterprises):
    add_departments(enterprises[0], "安全环保部", "生产部")
    db.session.commit()
    client = english(organiser_client)
    body = client.get("/admin/enterprises/export.xlsx?status=all").data
    rows = xlsx_rows(body)
    assert rows[0] == ("Code", "Unit name", "Expected participants", "Town/subdistrict", "Industry",
                       "Departments (workshops)", "Status")
    assert sheet_names(body) == ["Units"] and rows[1][-1] == "Active"
    assert "安全环保部, 生产部" in [row[5] for row in rows]
    assert not chinese_left(body)
    page = upload(client, "/admin/enterprises/import", "units.xlsx", body).get_data(as_text=True)
    assert "Rows read: 3. New: <strong>0</strong>,\n     updated: <strong>0</strong>, unchanged: 3," in page
    # The Chinese export is unchanged.
    organiser_client.get("/lang/zh")
    chinese = organiser_client.get("/admin/enterprises/export.xlsx").data
    assert xlsx_rows(chinese)[0] == tuple(units.EXPORT_HEADERS) and sheet_names(chinese) == ["参赛单位"]


def test_unit_template_keeps_chinese_headers_with_english_instructions(app, organiser_client):
    client = english(organiser_client)
    body = client.get("/admin/enterprises/template.xlsx").data
    assert xlsx_rows(body)[0] == tuple(units.EXPORT_HEADERS[:-1])
    assert sheet_names(body) == ["Units", "Instructions"]
    notes = "\n".join(row[0] for row in xlsx_rows(body, 1))
    assert "keep its Chinese names as they are" in notes and "单位名称 unit name" in notes
    assert not chinese_left(body, *units.TEMPLATE_WORDS)
    # What the template says is what the import reads: its example row is a valid new unit.
    page = upload(client, "/admin/enterprises/import", "template.xlsx", body).get_data(as_text=True)
    assert "Rows read: 1. New: <strong>1</strong>," in page


# ---- rosters and absentees ----------------------------------------------------------


def test_roster_person_form_and_import_preview_in_english(app, organiser_client, enterprises):
    company = enterprises[0]
    add_departments(company, "安全环保部")
    add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    db.session.commit()
    client = english(organiser_client)
    url = roster_url(company)
    response = client.post(url, data={"name": "", "staff_no": "", "phone": "123", "department": "",
                                      "csrf_token": csrf_token(client, url)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Name missing", "Mobile “123” is not valid: it must be an 11-digit mobile number",
                    "Enter a staff no. or a mobile number (or both)"):
        assert message in page, message
    assert not chinese_left(response.get_data())

    body = book_of([["姓名", "工号", "手机号", "部门"], ["李四", "A1002", None, "质检部"], ["王五", "A1001", None, None]])
    response = upload(client, roster_url(company, "/import"), "roster.xlsx", body)
    page = response.get_data(as_text=True)
    assert "Row 2: Department “质检部” does not exist (tick “Also create these departments”" in page
    assert "Also create these departments: 质检部" in page
    assert "Name: 张三 → 王五" in page  # an update by staff no., with what changes
    uploaded = ("李四", "王五", "质检部")  # the file's own values, shown as they are
    assert not chinese_left(response.get_data(), *uploaded), chinese_left(response.get_data(), *uploaded)


def test_english_roster_export_reads_back_and_template_keeps_chinese_headers(app, organiser_client, enterprises):
    company = enterprises[0]
    add_departments(company, "安全环保部")
    add_person(company, "张三", "A1001", "13800138001", "安全环保部")
    add_person(company, "李四", None, "13800138002", "", active=False)
    db.session.commit()
    client = english(organiser_client)
    body = client.get(roster_url(company, "/export.xlsx")).data
    rows = xlsx_rows(body)
    assert rows[0] == ("Name", "Staff no.", "Mobile", "Department", "Status")
    assert {row[-1] for row in rows[1:]} == {"Active", "Retired"} and sheet_names(body) == ["Roster"]
    page = upload(client, roster_url(company, "/import"), "roster.xlsx", body).get_data(as_text=True)
    assert "New people: <strong>0</strong>,\n     updated: <strong>0</strong>, unchanged: 2," in page

    template = client.get("/admin/roster/template.xlsx").data
    assert xlsx_rows(template)[0] == tuple(rosters.EXPORT_HEADERS[:-1])
    assert sheet_names(template) == ["Roster", "Instructions"]
    assert not chinese_left(template, *rosters.TEMPLATE_WORDS)


def test_absentee_export_in_english(app, organiser_client, enterprises, contest):
    company = enterprises[0]
    add_person(company, "张三", "A1001", "13800138001", "")
    db.session.commit()
    client = english(organiser_client)
    body = client.get(f"/admin/absentees.xlsx?enterprise={company.id}").data
    assert sheet_names(body) == ["Absentees", "By department"]
    assert xlsx_rows(body)[0] == ("Name", "Staff no.", "Mobile", "Department")
    summary = xlsx_rows(body, 1)
    assert summary[1] == ("Department", "Expected", "Took part", "Absent")
    assert summary[2][0] == "(no department)" and summary[-1][0] == "Total"
    assert not chinese_left(body)


# ---- the question bank -------------------------------------------------------------


def test_new_question_problems_and_flash_in_english(app, organiser_client):
    client = english(organiser_client)
    token = csrf_token(client, "/admin/questions/new")
    response = client.post("/admin/questions/new", data={"category": "0", "qtype": "单选", "stem": "", "options": "",
                                                          "answer": "", "explanation": "", "difficulty": "1",
                                                          "tags": "", "basis": "", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the question." in page and "Enter the answer." in page and "Enter the explanation." in page
    assert not chinese_left(response.get_data())
    category = db.session.scalars(select(Question.category_id)).first()
    response = client.post("/admin/questions/new", data={
        "category": str(category), "qtype": "判断", "stem": "Hard hats may be left off in the office area of a site.",
        "options": "", "answer": "True", "explanation": "Only where no work is going on.", "difficulty": "1",
        "tags": "", "basis": "", "csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert re.search(r"Added question web-[0-9a-f]{10}\.", page), page[:3000]
    assert "Answer: <strong>True</strong>" in page


def test_english_bank_export_reads_back_unchanged(app, organiser_client):
    client = english(organiser_client)
    body = client.get("/admin/questions/export.xlsx").data
    rows = xlsx_rows(body)
    assert rows[0][:5] == ("ID", "Category", "Type", "Question", "Option A")
    assert rows[0][-5:] == ("Answer", "Explanation", "Difficulty", "Tags", "Legal basis")
    assert {row[2] for row in rows[1:]} <= {"Single choice", "Multiple choice", "True/false"}
    assert {row[12] for row in rows[1:] if row[2] == "True/false"} <= {"True", "False"}
    assert sheet_names(body) == ["Question bank"]
    total = len(rows) - 1
    response = upload(client, "/admin/questions/import", "bank.xlsx", body)
    page = re.sub(r"\n\s*", "", response.get_data(as_text=True))
    assert response.status_code == 200
    assert (f"Questions read: {total}; to import (new): <strong>0</strong>,to update: <strong>0</strong>, "
            f"unchanged: {total},") in page, page[:3000]


def test_bank_template_keeps_chinese_headers_and_reads_back(app, organiser_client):
    client = english(organiser_client)
    body = client.get("/admin/questions/template.xlsx").data
    assert xlsx_rows(body)[0] == tuple(bank_io.EXPORT_HEADERS)
    assert sheet_names(body) == ["Question bank", "Instructions"]
    assert not chinese_left(body, *bank_io.TEMPLATE_WORDS), chinese_left(body, *bank_io.TEMPLATE_WORDS)
    response = upload(client, "/admin/questions/import", "template.xlsx", body)
    page = re.sub(r"\n\s*", "", response.get_data(as_text=True))
    assert "Questions read: 3; to import (new): <strong>3</strong>," in page, page[:3000]


def test_category_problems_in_english(app, organiser_client):
    client = english(organiser_client)
    token = csrf_token(client, "/admin/questions/categories")
    response = client.post("/admin/questions/categories", data={"name": " ", "csrf_token": token})
    assert response.status_code == 422 and "Enter the category name." in response.get_data(as_text=True)
    name = db.session.scalars(select(Question)).first().category.name
    response = client.post("/admin/questions/categories", data={"name": name, "csrf_token": token})
    assert f"Category “{name}” already exists." in response.get_data(as_text=True)


# ---- outside a request -------------------------------------------------------------


def test_messages_outside_a_request_stay_chinese(app):
    """CLI commands have no request (and no language): the rules answer in Chinese."""
    with app.app_context():
        assert units.parse_headcount("-1")[1] == units.HEADCOUNT_NEGATIVE
        assert units.validate_unit(units.UnitInput(name="", headcount=1, industry="其他"))["name"] == ["请填写单位名称。"]
        assert rosters.read_person("", "", "", "")[1]["name"] == ["缺少姓名"]
