"""Control characters (C0, DEL, C1) in names and free text: cleaned at input, and never able
to break an .xlsx export (a player named "\\x07" made /admin/live/<id>/export.xlsx a 500:
openpyxl's IllegalCharacterError).

Exports are tested on values inserted straight into the database, past every form: data
stored before input was cleaned, or written by a script, must export too.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from quiz import downloads
from quiz.extensions import db
from quiz.forms import clean_block, clean_line
from quiz.live import rules as live_rules
from quiz.models import (Campaign, Contest, Department, Enterprise, LivePlayer, LiveRound, Participant, Question,
                         RosterPerson)

from .conftest import START, Phone, csrf_token, make_contest, make_enterprise, staff_client

# What a terminal-minded prankster types: bell, an ANSI colour, unit separator, DEL and C1
# controls (NEL, CSI). NUL too where the database can hold it (PostgreSQL text cannot).
CONTROLS = "\x07\x1b[31m\x1f\x7f\x85\x9b"


def controls() -> str:
    return CONTROLS + ("\x00" if db.engine.dialect.name == "sqlite" else "")


def cleaned(text: str) -> str:
    """What an export shows of ``text``: the control characters gone, the rest kept."""
    return downloads.cell_text(text)


# ====================================================================== the cleaning rules


def test_cell_text_drops_what_a_cell_cannot_hold_and_keeps_line_breaks():
    assert downloads.cell_text("张\x07三\x1b[31m\x00\x7f\x85\x9f") == "张三[31m"
    assert downloads.cell_text("第一行\n第二行\t\r") == "第一行\n第二行\t\r"
    assert downloads.cell_text("\ud800坏\uffff") == "坏"
    assert downloads.cell_text(12) == 12 and downloads.cell_text(None) is None


def test_form_cleaning_one_line_and_multi_line():
    assert clean_line("\x1b[31m张\x07三\x00") == "[31m张三"
    assert clean_line("张\t三\n") == "张 三 "  # whitespace controls become spaces (strip trims them)
    assert clean_line("\x85\x9b李四\x7f") == "李四"
    assert clean_block("第一行\r\n第二行\r第三行\x07\t末") == "第一行\n第二行\n第三行 末"
    assert clean_line(None) is None and clean_block(3) == 3


# ====================================================================== input: every form that takes text


def _join_live(app, round_, enterprise, name, department="安全科"):
    phone = app.test_client()
    token = csrf_token(phone, f"/live/{round_.code}")
    return phone.post(f"/live/{round_.code}", data={
        "name": name, "enterprise": enterprise.id, "department": department, "csrf_token": token})


def test_live_join_strips_control_characters_and_checks_the_length_after(app, enterprises, clock):
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(2)))
    organiser = staff_client(app, "organiser", "organiser")
    from quiz.models import User
    round_ = live_rules.create_round(db.session.scalar(select(User.id).where(User.username == "organiser")),
                                     "直播答题", questions, START)
    db.session.commit()
    # The longest name allowed (20), plus control characters: still accepted.
    response = _join_live(app, round_, enterprises[0], "\x1b" + "安" * 18 + "\x07\x00张\x9b三\x1b",
                          department="\x07一车间\x85")
    assert response.status_code == 303, response.get_data(as_text=True)
    player = db.session.scalar(select(LivePlayer).where(LivePlayer.round_id == round_.id))
    assert player.name == "安" * 18 + "张三"
    assert "\x07" not in player.name and "\x1b" not in player.name
    assert player.department == "一车间"
    # Too long once cleaned: refused with the form's own message.
    response = _join_live(app, round_, enterprises[0], "\x07" + "安" * 21)
    assert response.status_code == 422 and "姓名不能超过 20 个字" in response.get_data(as_text=True)
    assert organiser.get(f"/admin/live/{round_.id}/export.xlsx").status_code == 200


def test_live_join_name_of_only_control_characters_is_refused(app, enterprises, clock):
    from quiz.models import User
    staff_client(app, "organiser", "organiser")
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(1)))
    round_ = live_rules.create_round(db.session.scalar(select(User.id).where(User.username == "organiser")),
                                     "直播答题", questions, START)
    db.session.commit()
    response = _join_live(app, round_, enterprises[0], "\x07\x1b\x00 ")
    assert response.status_code == 422 and "请填写姓名" in response.get_data(as_text=True)


def test_contest_sign_up_strips_control_characters(app, enterprises, clock):
    make_contest(code="CTRL01", enterprises=[enterprises[0]])
    db.session.commit()
    phone = Phone(app)
    response = phone.sign_up("CTRL01", name="王\x07五\x1b", identifier="13800138000",
                             enterprise=enterprises[0].id, department="\x00仓储\x9b部")
    phone.attempt_id(response)
    participant = db.session.scalar(select(Participant).order_by(Participant.id.desc()))
    assert (participant.name, participant.department) == ("王五", "仓储部")


def test_practice_sign_up_strips_control_characters(app, enterprises, clock):
    phone = Phone(app)
    response = phone.post("/practice/", {"name": "\x1b[1m赵六\x07", "identifier": "13800138001",
                                          "enterprise": str(enterprises[0].id), "department": "一车间\x7f"})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:300]
    participant = db.session.scalar(select(Participant).where(Participant.identifier == "13800138001"))
    assert participant is not None and (participant.name, participant.department) == ("[1m赵六", "一车间")


def test_question_authoring_strips_control_characters_but_keeps_lines(app, organiser_client, clock):
    from quiz.models import Category
    category = db.session.scalar(select(Category).order_by(Category.position))
    token = csrf_token(organiser_client, "/admin/questions/new")
    response = organiser_client.post("/admin/questions/new", data={
        "csrf_token": token, "category": category.id, "qtype": "单选",
        "stem": "控制字符\x07测试题\x1b[0m：下列正确的是（　）。", "options": "甲\x00\r\n乙\x85\r\n丙",
        "answer": "A", "explanation": "第一行\x07\r\n第二行", "difficulty": 1, "tags": "标签\x1f", "basis": ""})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
    question = db.session.scalar(select(Question).where(Question.stem.like("控制字符%")))
    assert question is not None
    assert question.stem == "控制字符测试题[0m：下列正确的是（　）。"
    assert question.options == ["甲", "乙", "丙"] and question.explanation == "第一行\n第二行"


def test_roster_import_strips_control_characters(app, enterprises, organiser_client, clock):
    from quiz.units import rosters
    from quiz.units.table_import import read_sheets

    # A few stray controls in a real file (many would make it "binary", refused as a whole).
    others = "".join(f"员工{i},B{i:03d},,\n" for i in range(200))
    data = ("姓名,工号,手机号,部门\n\x07孙\x1b七,A\x7f100,,\n" + others).encode()
    sheets, error = read_sheets("名单.csv", data, 1 << 20, rosters.IMPORT_HEADERS, csv_ok=True)
    assert error is None
    cells = sheets[0][1][1].cells
    assert cells[0] == "孙七" and cells[1] == "A100"


def test_question_import_strips_control_characters(app):
    from question_bank.importers import parse_file
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["题型", "题干", "选项A", "选项B", "答案", "解析"])
    # openpyxl itself refuses C0 controls; C1 and DEL are what a real file brings in a cell.
    sheet.append(["单选", "控制\x85字符\x9b题目（　）。", "甲\x7f", "乙", "A", "解析\x90内容"])
    out = io.BytesIO()
    book.save(out)
    parsed = parse_file("题库.xlsx", out.getvalue())
    question = parsed.rows[0].question
    assert question.stem == "控制字符题目（　）。" and question.options == ["甲", "乙"]
    assert question.explanation == "解析内容"
    csv_parsed = parse_file("题库.csv", "题型,题干,选项A,选项B,答案,解析\n单选,控制\x07字符\x1b题目（　）。,甲,乙,A,解析\n".encode())
    assert csv_parsed.rows[0].question.stem == "控制字符题目（　）。"


# ====================================================================== exports: every .xlsx, past the forms


def build_dirty_world(app):
    """Enterprise A with a department, roster, contest with a submitted attempt, live round with a
    player who answered; then every name and text gets control characters, straight in the DB."""
    bad = controls()
    a = make_enterprise("甲方单位", "CTL1", 20, region="甲镇", industry="危险化学品")
    db.session.add(Department(enterprise_id=a.id, name="一车间", headcount=5))
    db.session.add(RosterPerson(enterprise_id=a.id, name="王甲", staff_no="CTL0001", phone="13900000001",
                                department="一车间", created_at=START, updated_at=START))
    db.session.add(RosterPerson(enterprise_id=a.id, name="缺席者", staff_no="CTL0002", phone="13900000002",
                                department="一车间", created_at=START, updated_at=START))
    contest = make_contest(code="CTL001", title="控制字符竞赛", question_count=3, enterprises=[a])
    db.session.commit()
    organiser = staff_client(app, "organiser", "organiser")
    phone = Phone(app)
    attempt_id = phone.attempt_id(phone.sign_up("CTL001", name="王甲", identifier="13900000001",
                                                 enterprise=a.id, department="一车间"))
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)
    from quiz.models import AttemptQuestion, User
    asked = list(db.session.scalars(select(AttemptQuestion.question_id).where(AttemptQuestion.attempt_id == attempt_id)))
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(2)))
    host = db.session.scalar(select(User.id).where(User.username == "organiser"))
    round_ = live_rules.create_round(host, "直播答题", questions, START)
    player = live_rules.join(round_, a, "李直播", "一车间", START)
    live_rules.start(round_, START)
    live_rules.record_answer(round_, player, 1, list(questions[0].answer), START, 2.0)
    from quiz.stagecontest import rules as stage_rules
    stage = stage_rules.create_contest(host, "现场赛", START)
    team = stage_rules.add_team(stage, "安全一队", "甲方单位", "张三、李四")
    stage_rules.adjust(stage, team.id, 10, host, "加分", START)
    db.session.commit()

    # Past every form: the stored values get control characters.
    def dirty(model, column, *where):
        db.session.execute(update(model).where(*where).values({column: getattr(model, column) + bad}))

    dirty(Enterprise, "name", Enterprise.id == a.id)
    dirty(Enterprise, "region", Enterprise.id == a.id)
    dirty(Department, "name", Department.enterprise_id == a.id)
    dirty(RosterPerson, "name", RosterPerson.enterprise_id == a.id)
    dirty(RosterPerson, "department", RosterPerson.enterprise_id == a.id)
    dirty(Participant, "name", Participant.enterprise_id == a.id)
    dirty(Participant, "department", Participant.enterprise_id == a.id)
    dirty(Contest, "title", Contest.id == contest.id)
    dirty(Campaign, "name")
    dirty(Question, "stem", Question.id.in_(asked + [q.id for q in questions]))
    dirty(Question, "explanation", Question.id.in_(asked + [q.id for q in questions]))
    dirty(LiveRound, "title", LiveRound.id == round_.id)
    dirty(LivePlayer, "name", LivePlayer.id == player.id)
    from quiz.models.stagecontest import StageTeam
    dirty(StageTeam, "name", StageTeam.id == team.id)
    db.session.commit()
    from quiz import results_cache
    results_cache.invalidate()
    campaign = db.session.scalar(select(Campaign))
    return dict(organiser=organiser, a=a, contest=contest, round=round_, campaign=campaign, bad=bad,
                stage=stage)


# endpoint → (URL from the world, a text the file must show, cleaned)
EXPORTS = {
    "live.export": (lambda w: f"/admin/live/{w['round'].id}/export.xlsx", "李直播"),
    "stage.export": (lambda w: f"/admin/stage/{w['stage'].id}/export.xlsx", "安全一队"),
    "admin.export_enterprises": (lambda w: "/admin/enterprises/export.xlsx", "甲方单位"),
    "questions.export": (lambda w: "/admin/questions/export.xlsx", None),
    "roster.export": (lambda w: f"/admin/enterprises/{w['a'].id}/roster/export.xlsx", "王甲"),
    "roster.absentees_export": (
        lambda w: f"/admin/absentees.xlsx?enterprise={w['a'].id}&contest={w['contest'].id}", "缺席者"),
    "reports.statistics_xlsx": (lambda w: f"/admin/reports/{w['campaign'].id}/statistics.xlsx", "甲方单位"),
    "reports.knowledge_xlsx": (lambda w: f"/admin/reports/{w['campaign'].id}/knowledge.xlsx", None),
    "league.export individuals": (lambda w: f"/admin/league/{w['campaign'].id}/individuals.xlsx", "王甲"),
    "league.export contest": (
        lambda w: f"/admin/league/{w['campaign'].id}/individuals.xlsx?contest={w['contest'].id}", "王甲"),
    "league.export enterprises": (lambda w: f"/admin/league/{w['campaign'].id}/enterprises.xlsx", "甲方单位"),
    "league.export regions": (lambda w: f"/admin/league/{w['campaign'].id}/regions.xlsx", "甲镇"),
    "league.export industries": (lambda w: f"/admin/league/{w['campaign'].id}/industries.xlsx", None),
    "league.export departments": (
        lambda w: f"/admin/league/{w['campaign'].id}/departments.xlsx?enterprise={w['a'].id}", "一车间"),
    # Templates hold no stored data; listed so every .xlsx route is accounted for.
    "admin.enterprises_template": (lambda w: "/admin/enterprises/template.xlsx", None),
    "questions.template": (lambda w: "/admin/questions/template.xlsx", None),
    "roster.template": (lambda w: "/admin/roster/template.xlsx", None),
}


def test_every_xlsx_route_is_in_the_list(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".xlsx")}
    listed = {name.split(" ")[0] for name in EXPORTS}
    assert routes == listed, f"an .xlsx route is missing from EXPORTS: {routes - listed}"


def _cells(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(value) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for value in row if value is not None)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_an_export_with_control_characters_in_the_database(app, enterprises, clock, name):
    world = build_dirty_world(app)
    url, shown = EXPORTS[name]
    response = world["organiser"].get(url(world))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = _cells(response.data)
    for ch in world["bad"]:
        if cleaned(ch) == "":  # a control character ("[31m" of the colour code stays)
            assert ch not in text, f"{name}: {ch!r} reached the file"
    if shown is not None:
        assert cleaned(shown + world["bad"]) in text, f"{name}: {shown} (cleaned) is not in the file"
    if name == "questions.export" or name == "reports.knowledge_xlsx":
        assert "[31m" in text  # a dirtied stem, cleaned


def test_live_export_names_dirty_in_every_sheet(app, enterprises, clock):
    """The reported failure: a player named with control characters, the live export (every
    sheet: 选手, 题目 and the per-question answers) is a file, not a 500."""
    world = build_dirty_world(app)
    response = world["organiser"].get(f"/admin/live/{world['round'].id}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    expected = cleaned("李直播" + world["bad"])
    assert book["选手"]["B2"].value == expected
    assert book["第1题"]["A2"].value == expected


def test_every_text_field_of_every_form_cleans_first(app):
    """Every form of the app (all derive from quiz.forms.Form): each text field's first filter
    drops control characters; multi-line fields keep their line breaks; passwords are untouched."""
    from wtforms import PasswordField, StringField, TextAreaField

    from quiz.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = set(subclasses(Form))
    assert len(forms) >= 15, "fewer forms than expected: are all blueprints imported?"
    checked = 0
    with app.test_request_context("/", method="POST"):
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if isinstance(field, PasswordField):
                    assert clean_line not in field.filters and clean_block not in field.filters
                elif isinstance(field, StringField):
                    expected = clean_block if isinstance(field, TextAreaField) else clean_line
                    assert field.filters[0] is expected, f"{form_class.__name__}.{field.name}"
                    checked += 1
    assert checked >= 20
