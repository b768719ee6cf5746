"""Exports that work as training lists, reports that read right, and a Chinese UI with no
English or configuration in it (issue 17, part E).

Every .xlsx the app hands out is read back with openpyxl: an ASCII file name for clients
without UTF-8 file names, the header row frozen, numbers as numbers. The 高频错题 sheet is a
training list on paper: options and the answer's words, not only "C". The daily chart runs
over the days that have attempts; a 区分度 from a handful of answers says 样本不足. Every
organiser page and the phone's pages are walked for "Asia/Shanghai", "PUBLIC_BASE_URL",
"SafeQuiz" and English type names in screen-reader labels.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Campaign, Participant, Question
from quiz.reports import item_stats

from .conftest import START, Phone, make_campaign, make_contest, make_enterprise, staff_client
from .test_access_walk import build_world, urls
from .test_item_stats import add_attempt
from .test_reports import _attempt, svg_bars, utc

H = timedelta(hours=1)

# .xlsx endpoints that need a choice made on their page first (as the page's link carries).
EXPORT_QUERIES = {"roster.absentees_export": "enterprise={a}&campaign={campaign}",
                  "league.export": "enterprise={a}"}
EVERY_EXPORT = {"reports.statistics_xlsx", "reports.knowledge_xlsx", "league.export", "live.export", "stage.export",
                "questions.export", "questions.template", "admin.export_enterprises",
                "admin.enterprises_template", "roster.export", "roster.template", "roster.absentees_export"}


def ascii_fallback(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    match = re.search(r'filename="([^"]*)"', disposition)
    assert match, disposition
    return match.group(1)


def utf8_name(response) -> str:
    match = re.search(r"filename\*=UTF-8''(\S+)", response.headers["Content-Disposition"])
    assert match, response.headers["Content-Disposition"]
    return unquote(match.group(1))


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_sheet(sheet, where: str) -> list[str]:
    """The header row is frozen (the panes start right below it, its cells bold), and a column
    holding numbers holds no "—" and no number written as text."""
    problems = []
    if sheet.freeze_panes is None:
        return [f"{where}: no frozen header row"]
    first_data_row = sheet[sheet.freeze_panes].row
    header = [c for c in sheet[first_data_row - 1] if c.value not in (None, "")]
    if len(header) < 2 or not all(c.font.b for c in header):
        problems.append(f"{where}: row {first_data_row - 1} above the frozen panes is not a bold header row")
    for column in sheet.iter_cols(min_row=first_data_row):
        values = [c.value for c in column if c.value is not None]
        if any(is_number(v) for v in values):
            bad = [v for v in values if v == "—" or (isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?%?", v))]
            if bad:
                problems.append(f"{where} column {column[0].column_letter}: numbers column holds {bad[:3]}")
    return problems


# ---- every export ---------------------------------------------------------------------------


def test_every_export_has_an_ascii_name_a_frozen_header_and_numbers_as_numbers(app, clock):
    world = build_world(app)
    organiser = world["organiser"]
    seen, problems = set(), []
    for endpoint, path, methods, _ in urls(app, world):
        if "GET" not in methods or not path.endswith(".xlsx"):
            continue
        query = EXPORT_QUERIES.get(endpoint, "").format(a=world["a"].id, campaign=world["campaign"].id)
        response = organiser.get(f"{path}?{query}" if query else path)
        if response.status_code != 200:
            problems.append(f"{path}?{query}: {response.status_code}")
            continue
        seen.add(endpoint)
        fallback = ascii_fallback(response)
        # Readable without UTF-8 file names: a name in plain letters, not "-2026.xlsx".
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]*\.xlsx", fallback) or len(re.findall("[A-Za-z]", fallback)) < 5:
            problems.append(f"{path}: ASCII file name {fallback!r}")
        if not utf8_name(response).endswith(".xlsx"):
            problems.append(f"{path}: UTF-8 file name {utf8_name(response)!r}")
        book = load_workbook(io.BytesIO(response.data))
        for sheet in book.worksheets:
            if sheet.title != "填写说明":  # the import templates' notes: lines of text, no table
                problems += check_sheet(sheet, f"{path} [{sheet.title}]")
    assert seen == EVERY_EXPORT
    assert not problems, "\n".join(problems)


def test_the_statistics_file_names(app, clock):
    from .test_reports import build, login

    data = build()
    organiser = login(app, "organiser")
    response = organiser.get(f"/admin/reports/{data.campaign.id}/statistics.xlsx")
    assert ascii_fallback(response) == "statistics-2026.xlsx"
    assert utf8_name(response) == "活动进展情况统计表-2026年“安全生产月”.xlsx"
    response = organiser.get(f"/admin/reports/{data.campaign.id}/statistics.xlsx?since=2026-06-16&until=2026-06-17")
    assert ascii_fallback(response) == "statistics-2026-20260616-to-20260617.xlsx"
    response = organiser.get(f"/admin/reports/{data.campaign.id}/knowledge.xlsx?enterprise={data.jia.id}")
    assert ascii_fallback(response) == "knowledge-2026-JIA1.xlsx"
    assert utf8_name(response) == "知识掌握分析-2026年“安全生产月”-甲化工.xlsx"


def test_the_statistics_sheet_keeps_numbers_numeric(app, clock):
    from .test_reports import build, login

    data = build()
    book = load_workbook(io.BytesIO(login(app, "organiser").get(
        f"/admin/reports/{data.campaign.id}/statistics.xlsx").data))
    sheet = book["统计表"]
    assert sheet.freeze_panes == "C3"
    numeric = [5, 6, 7, 8, 9, 10, 12]  # 应参与人数 … 合格率, 名单外人数
    for row in sheet.iter_rows(min_row=3, max_row=10):  # the units, subtotals and total
        for column in numeric:
            value = row[column - 1].value
            assert value is None or is_number(value), (row[1].value, column, value)
    assert book["每日参与"].freeze_panes == "A2" and book["成绩分布"].freeze_panes == "A2"


# ---- the 高频错题 sheet ------------------------------------------------------------------------


def test_the_most_missed_sheet_is_a_training_list(app, clock, organiser_client):
    campaign = make_campaign()
    unit = make_enterprise("甲化工", "JIA1", 20)
    by_type = {t: db.session.scalar(select(Question).where(Question.current.is_(True), Question.qtype == t)
                                    .order_by(Question.id).limit(1)) for t in ("single", "multi", "judge")}
    questions = [by_type["single"], by_type["multi"], by_type["judge"]]
    contest = make_contest(code="TRAIN1", question_count=3)
    for n in range(4):  # everyone wrong on all three
        person = Participant(enterprise_id=unit.id, identifier=f"1370000{n:04d}", name=f"p{n}", department="",
                             created_at=START)
        db.session.add(person)
        db.session.flush()
        add_attempt(contest, person, 1, START + H, [0, 0, 0], questions)
    db.session.commit()
    response = organiser_client.get(f"/admin/reports/{campaign.id}/knowledge.xlsx")
    sheet = load_workbook(io.BytesIO(response.data))["高频错题"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_uid = {row[header.index("题目编号")]: dict(zip(header, row)) for row in rows[1:]}

    multi = by_uid[by_type["multi"].uid]
    letters = "ABCDEFGH"
    for i, text in enumerate(by_type["multi"].options):
        assert f"{letters[i]}. {text}" in multi["选项"]
    assert multi["正确答案"] == by_type["multi"].answer
    for letter in by_type["multi"].answer:
        assert by_type["multi"].options[letters.index(letter)] in multi["正确答案内容"]
    assert multi["题型"] == "多选题" and multi["答错次数"] == 4 and multi["作答次数"] == 4
    assert multi["答对率"] == 0 and is_number(multi["答对率"])

    single = by_uid[by_type["single"].uid]
    right = by_type["single"].options[letters.index(by_type["single"].answer)]
    assert single["正确答案"] == by_type["single"].answer and single["正确答案内容"] == f"{by_type['single'].answer}. {right}"

    judge = by_uid[by_type["judge"].uid]
    assert judge["正确答案"] in ("正确", "错误") and judge["正确答案内容"] == judge["正确答案"]
    assert judge["解析"] == by_type["judge"].explanation


# ---- the daily chart -----------------------------------------------------------------------


def two_months_campaign():
    """One contest open for two months (6/1–7/31), attempts on 6/16, 6/17 and 6/20 only."""
    campaign = make_campaign()
    unit = make_enterprise("甲化工", "JIA1", 4)
    contest = make_contest(code="LONG01", opens_in=utc("6/1", "00:00") - START, lasts=timedelta(days=61))
    for n, (day, hour) in enumerate((("6/16", "10:00"), ("6/17", "11:00"), ("6/20", "09:00"))):
        person = Participant(enterprise_id=unit.id, identifier=f"1390000000{n}", name=f"p{n}", department="",
                             created_at=START)
        db.session.add(person)
        db.session.flush()
        _attempt(contest, person, 1, utc(day, hour), 80, True)
    db.session.commit()
    return campaign


def test_the_daily_chart_spans_the_days_with_data(app, clock, organiser_client):
    campaign = two_months_campaign()
    days = ["6/16", "6/17", "6/18", "6/19", "6/20"]
    for query in ("", "?since=2026-06-01&until=2026-07-31"):
        svg = organiser_client.get(f"/admin/reports/{campaign.id}/charts/daily.svg{query}").get_data(as_text=True)
        assert list(svg_bars(svg)) == days, query
    page = organiser_client.get(f"/admin/reports/{campaign.id}").get_data(as_text=True)
    assert "6/1<" not in page and "7/31<" not in page
    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/reports/{campaign.id}/statistics.xlsx").data))
    dates = [row[0] for row in book["每日参与"].iter_rows(min_row=2, values_only=True)]
    assert dates == ["2026-06-16", "2026-06-17", "2026-06-18", "2026-06-19", "2026-06-20"]


# ---- 区分度 from too few answers --------------------------------------------------------------


def answered_by(people: int):
    """Three single-choice questions answered by ``people`` people, right and wrong mixed so that
    every item has a discrimination index."""
    campaign = make_campaign()
    unit = make_enterprise("甲化工", "JIA1", 100)
    questions = list(db.session.scalars(select(Question).where(
        Question.current.is_(True), Question.qtype == "single").order_by(Question.id).limit(3)))
    contest = make_contest(code="FEW001", question_count=3)
    for n in range(people):
        person = Participant(enterprise_id=unit.id, identifier=f"1360000{n:04d}", name=f"p{n}", department="",
                             created_at=START)
        db.session.add(person)
        db.session.flush()
        add_attempt(contest, person, 1, START + H, [n % 2, 1 if n % 3 else 0, 1 if n < people // 2 else 0],
                    questions)
    db.session.commit()
    return campaign, questions


def discrimination_cells(html: str) -> list[str]:
    """The 区分度 cells of the 按题目 table (its last column)."""
    table = html[html.index("<h2>按题目</h2>"):]
    return [re.sub(r"<[^>]+>", "", row[-1]).strip() for row in
            (re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)) if row]


def test_a_discrimination_from_five_answers_says_too_few(app, clock, organiser_client):
    campaign, questions = answered_by(5)
    stats = item_stats.item_stats(campaign.id)
    assert all(q.answers == 5 and q.discrimination is not None for q in stats.questions)  # computed, not shown
    html = organiser_client.get(f"/admin/reports/{campaign.id}/knowledge").get_data(as_text=True)
    assert discrimination_cells(html) == ["样本不足"] * 3
    assert f"作答少于 {item_stats.MIN_DISCRIMINATION_ANSWERS} 次" in html
    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/reports/{campaign.id}/knowledge.xlsx").data))
    header, *rows = list(book["题目"].iter_rows(values_only=True))
    assert [row[header.index("区分度")] for row in rows] == ["样本不足"] * 3
    header, *rows = list(book["分类"].iter_rows(min_row=2, values_only=True))
    assert {row[header.index("区分度")] for row in rows} == {"样本不足"}


def test_a_discrimination_from_enough_answers_is_a_number(app, clock, organiser_client):
    campaign, questions = answered_by(item_stats.MIN_DISCRIMINATION_ANSWERS)
    html = organiser_client.get(f"/admin/reports/{campaign.id}/knowledge").get_data(as_text=True)
    cells = discrimination_cells(html)
    assert len(cells) == 3 and all(re.fullmatch(r"−?-?\d\.\d\d", c) for c in cells), cells
    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/reports/{campaign.id}/knowledge.xlsx").data))
    header, *rows = list(book["题目"].iter_rows(values_only=True))
    assert all(is_number(row[header.index("区分度")]) for row in rows)


# ---- no English or configuration on screen --------------------------------------------------

LEAKS = re.compile(r"Asia/Shanghai|PUBLIC_BASE_URL|SafeQuiz|SAFEQUIZ_|SITE_TITLE")
ENGLISH_LABEL = re.compile(r'aria-label="[^"]*\b(single|multi|judge)\b[^"]*"')


def leaks(html: str) -> list[str]:
    return LEAKS.findall(html) + [m.group(0) for m in ENGLISH_LABEL.finditer(html)]


def phone_pages(app, world) -> dict[str, str]:
    """The phone's pages: home, sign-up, a question, the result, live, practice."""
    contest = make_contest(code="OPEN01", title="公开竞赛", question_count=3)
    phone = Phone(app)
    pages = {"/": phone.get("/"), "/j/OPEN01": phone.get("/j/OPEN01")}
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=world["a"].id, department="甲方机密车间"))
    pages[f"/a/{attempt_id}"] = phone.get(f"/a/{attempt_id}")
    pages[f"/a/{attempt_id}?q=0"] = phone.get(f"/a/{attempt_id}?q=0")
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)
    pages[f"/a/{attempt_id}/result"] = phone.get(f"/a/{attempt_id}/result")
    pages["/live"] = phone.get("/live")
    pages[f"/live/{world['round'].code}"] = Phone(app).get(f"/live/{world['round'].code}")
    pages["/practice/"] = phone.get("/practice/")
    pages["/admin/login"] = Phone(app).get("/admin/login")
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.status_code)
    return {path: response.get_data(as_text=True) for path, response in pages.items()}


def test_no_english_or_settings_on_the_organisers_and_the_phones_pages(app, clock):
    world = build_world(app)
    app.config["PUBLIC_BASE_URL"] = ""  # the poster warning of a server reached as localhost shows
    problems, walked = [], 0
    for who in ("organiser", "own_admin"):
        client = world[who]
        for endpoint, path, methods, _ in urls(app, world):
            if "GET" not in methods or endpoint.endswith("events"):
                continue
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(path, headers=headers)
                if not response.mimetype.startswith("text/html"):
                    continue
                walked += 1
                if found := leaks(response.get_data(as_text=True)):
                    problems.append(f"{who} {path}{' htmx' if headers else ''}: {sorted(set(found))}")
    assert walked > 40
    detail = world["organiser"].get(f"/admin/contests/{world['contest'].id}").get_data(as_text=True)
    assert "二维码中的地址是本机地址" in detail and "配置为二维码地址" in detail
    new = world["organiser"].get("/admin/contests/new").get_data(as_text=True)
    assert "时间按北京时间填写" in new and 'aria-label="消防安全 单选题数"' in new
    for path, html in phone_pages(app, world).items():
        if found := leaks(html):
            problems.append(f"phone {path}: {sorted(set(found))}")
    assert not problems, "\n".join(problems)


def brand(html: str) -> str:
    return re.search(r'<a class="brand"[^>]*>([^<]*)</a>', html).group(1).strip()


def test_the_participants_header_shows_the_campaigns_name(app, clock, enterprises):
    older = Campaign(name="2025年“安全生产月”", theme="", year=2025)
    db.session.add(older)
    db.session.flush()
    newest = make_campaign(name="2026年“安全生产月”")
    contest = make_contest(code="OLD001", question_count=3)
    contest.campaign = older  # a contest of last year's campaign, still open
    db.session.commit()
    phone = Phone(app)
    join = phone.get("/j/OLD001").get_data(as_text=True)
    assert brand(join) == "2025年“安全生产月”" and "SafeQuiz" not in join
    attempt_id = phone.attempt_id(phone.sign_up("OLD001", enterprise=enterprises[0].id))
    quiz = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert brand(quiz) == "2025年“安全生产月”"
    # Pages of no contest: the newest campaign.
    assert brand(phone.get("/").get_data(as_text=True)) == newest.name
    assert brand(phone.get("/practice/").get_data(as_text=True)) == newest.name
    # The organiser's own title, when configured, everywhere.
    app.config["SITE_TITLE"] = "滨海区安全生产委员会办公室"
    for client, path in ((phone, "/"), (Phone(app), "/j/OLD001"), (phone, f"/a/{attempt_id}")):
        html = client.get(path).get_data(as_text=True)
        assert brand(html) == "滨海区安全生产委员会办公室", path


def test_without_a_campaign_the_header_says_safety_contest(app, clock):
    html = app.test_client().get("/").get_data(as_text=True)
    assert brand(html) == "安全知识竞赛" and "SafeQuiz" not in html


@pytest.mark.parametrize("zone, label", [("Asia/Shanghai", "北京时间"), ("Asia/Tokyo", "当地时间（UTC+09:00）")])
def test_the_time_zone_is_named_in_words(app, zone, label):
    from quiz import clock as clock_module

    app.config["TIMEZONE"] = zone
    with app.test_request_context():
        assert clock_module.zone_label() == label
