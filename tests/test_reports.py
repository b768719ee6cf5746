"""The organiser's reports (quiz/reports) on a small data set computed by hand.

enterprises   headcount  region    industry
  甲化工          4       滨海街道   危险化学品
  丙建设          0       滨海街道   城市建设      (headcount 0: participation rate "—")
  乙物流          5       开发区     仓储物流
  丁机械          3       开发区     危险化学品    (nobody takes part)

One contest K (best attempt counts, pass mark 60, full marks 100), open 6月16日–6月26日.
Attempts (Beijing time of submission; the database holds UTC):

  a1 甲  6/16 10:00   80  passed
  a1 甲  6/16 23:30  100  passed   (15:30 UTC: still 6月16日; a1's counted attempt)
  a2 甲  6/16 11:00   55
  c1 丙  6/17 10:00   70  passed
  b1 乙  6/16 12:00   90  passed
  b2 乙  6/20 09:00   40           (outside 6/16–6/17)

Whole campaign:
  甲 2 people, 50%, 3 attempts, average (100 + 55) / 2 = 77.5, pass 1/2
  丙 1 person, —,   1 attempt,  70, pass 1/1
  乙 2 people, 40%, 2 attempts, (90 + 40) / 2 = 65, pass 1/2
  丁 0,        0%,  0,          —, —
  小计 开发区: 8, 2, 25%, 2, 65, 50%;  小计 滨海街道: 4, 3, 75%, 4, (100+55+70)/3 = 75, 2/3
  合计: 12, 5, 5/12, 6, (100+55+70+90+40)/5 = 71, 3/5
Daily: 6/16 3 people and 4 attempts; 6/17 1 and 1; 6/20 1 and 1; 6/18 and 6/19 0 (the days
run from the first day with attempts to the last, not over the contest's ten days).
Score bands of the counted attempts: 100 and 90 → 90–100; 70; 55; 40.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quiz.training import practice
from quiz.extensions import db
from quiz.models import Attempt, Participant, PracticeAnswer, Question

from .conftest import HX, START, make_campaign, make_contest, make_enterprise, staff_client
from .test_item_stats import add_attempt

H = timedelta(hours=1)
BJ = timedelta(hours=8)


def utc(month_day: str, hh_mm: str) -> datetime:
    """Beijing wall time on a day of June 2026, as the naive UTC the database holds."""
    month, day = map(int, month_day.split("/"))
    hour, minute = map(int, hh_mm.split(":"))
    return datetime(2026, month, day, hour, minute) - BJ


class Data:
    pass


def _attempt(contest, person, number, at, score, passed):
    db.session.add(Attempt(
        contest_id=contest.id, participant_id=person.id, number=number, started_at=at - 10 * H / 60,
        deadline=at + H, submitted_at=at, score=score, max_score=100, correct_count=0,
        time_used_ms=600_000, passed=passed,
    ))


def build() -> Data:
    d = Data()
    d.campaign = make_campaign()
    d.jia = make_enterprise("甲化工", "JIA1", 4, region="滨海街道", industry="危险化学品")
    d.bing = make_enterprise("丙建设", "BING3", 0, region="滨海街道", industry="城市建设")
    d.yi = make_enterprise("乙物流", "YI02", 5, region="开发区", industry="仓储物流")
    d.ding = make_enterprise("丁机械", "DING4", 3, region="开发区", industry="危险化学品")
    d.k = make_contest(code="KKKKKK", title="K", ranking="best", pass_score=60,
                       opens_in=utc("6/16", "08:00") - START, lasts=timedelta(days=10))
    people = {}
    for n, (name, unit) in enumerate((("a1", d.jia), ("a2", d.jia), ("c1", d.bing), ("b1", d.yi),
                                      ("b2", d.yi)), start=1):
        people[name] = Participant(enterprise_id=unit.id, identifier=f"1390000000{n}", name=name,
                                   department="", created_at=START)
        db.session.add(people[name])
    db.session.flush()
    p = people
    _attempt(d.k, p["a1"], 1, utc("6/16", "10:00"), 80, True)
    _attempt(d.k, p["a1"], 2, utc("6/16", "23:30"), 100, True)
    _attempt(d.k, p["a2"], 1, utc("6/16", "11:00"), 55, False)
    _attempt(d.k, p["c1"], 1, utc("6/17", "10:00"), 70, True)
    _attempt(d.k, p["b1"], 1, utc("6/16", "12:00"), 90, True)
    _attempt(d.k, p["b2"], 1, utc("6/20", "09:00"), 40, False)
    db.session.commit()
    d.people = people
    return d


@pytest.fixture
def data(app):
    return build()


def login(app, username, role="organiser", enterprise=None):
    return staff_client(app, username, role, enterprise)


@pytest.fixture
def organiser(app):
    return login(app, "organiser")


def cells(html: str) -> list[list[str]]:
    """The text of every table row of a page."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        texts = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        rows.append([re.sub(r"\s+", " ", t) for t in texts])
    return rows


def sheet_rows(data: bytes, name: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


# ---- the statistics table ------------------------------------------------------------------


def test_the_latest_campaign_opens_from_the_menu(data, organiser):
    make_campaign(name="2025年“安全生产月”").year = 2025
    db.session.commit()
    response = organiser.get("/admin/reports")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/reports/{data.campaign.id}")
    assert "报表" in organiser.get(f"/admin/reports/{data.campaign.id}").get_data(as_text=True)


def test_the_statistics_page_shows_units_by_region_with_subtotals_and_total(data, organiser):
    html = organiser.get(f"/admin/reports/{data.campaign.id}").get_data(as_text=True)
    rows = [r for r in cells(html) if len(r) == 12]
    assert rows[1:] == [
        ["1", "丁机械", "开发区", "危险化学品", "3", "0", "0.0%", "0", "—", "—", "填报", "0"],
        ["2", "乙物流", "开发区", "仓储物流", "5", "2", "40.0%", "2", "65.0", "50.0%", "填报", "0"],
        ["", "小计", "开发区", "", "8", "2", "25.0%", "2", "65.0", "50.0%", "填报", "0"],
        ["3", "丙建设", "滨海街道", "城市建设", "0", "1", "—", "1", "70.0", "100.0%", "填报", "0"],
        ["4", "甲化工", "滨海街道", "危险化学品", "4", "2", "50.0%", "3", "77.5", "50.0%", "填报", "0"],
        ["", "小计", "滨海街道", "", "4", "3", "75.0%", "4", "75.0", "66.7%", "填报", "0"],
        ["", "合计", "4 个单位", "", "12", "5", "41.7%", "6", "71.0", "60.0%", "填报", "0"],
    ]
    assert "统计时间：2026-06-16 至 2026-06-26" in html
    # Both charts inline, as SVG.
    assert html.count("<svg") >= 2 and "每日参与情况" in html and "成绩分布（百分制）" in html


def test_the_statistics_table_as_xlsx(data, organiser):
    response = organiser.get(f"/admin/reports/{data.campaign.id}/statistics.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = sheet_rows(response.data, "统计表")
    assert rows[0][0].startswith("2026年“安全生产月”活动进展情况统计表")
    assert rows[1] == ("序号", "单位名称", "所属镇（街）", "行业", "应参与人数", "参与人数", "参与率", "参与人次",
                       "平均分", "合格率", "人数来源", "名单外人数")
    # A missing figure leaves a number's cell empty: the column stays numeric.
    assert rows[2] == (1, "丁机械", "开发区", "危险化学品", 3, 0, 0, 0, None, None, "填报", 0)
    assert rows[3] == (2, "乙物流", "开发区", "仓储物流", 5, 2, 0.4, 2, 65, 0.5, "填报", 0)
    assert rows[4] == (None, "小计", "开发区", None, 8, 2, 0.25, 2, 65, 0.5, "填报", 0)
    assert rows[5] == (3, "丙建设", "滨海街道", "城市建设", 0, 1, None, 1, 70, 1, "填报", 0)
    assert rows[6] == (4, "甲化工", "滨海街道", "危险化学品", 4, 2, 0.5, 3, 77.5, 0.5, "填报", 0)
    assert rows[7][:9] == (None, "小计", "滨海街道", None, 4, 3, 0.75, 4, 75)
    assert rows[7][9] == pytest.approx(2 / 3)
    assert rows[8][:6] == (None, "合计", None, None, 12, 5)
    assert rows[8][6] == pytest.approx(5 / 12) and rows[8][7:] == (6, 71, 0.6, "填报", 0)
    assert len(rows) == 11 and rows[10][0].startswith("应参与人数")  # a blank row, then the note
    book = load_workbook(io.BytesIO(response.data))
    assert book["统计表"]["G4"].number_format == "0.0%" and book["统计表"]["I4"].number_format == "0.0"
    # The daily sheet and the score distribution, each with a native bar chart.
    daily = sheet_rows(response.data, "每日参与")
    assert daily[0] == ("日期", "参与人数", "参与人次")
    assert daily[1] == ("2026-06-16", 3, 4) and daily[2] == ("2026-06-17", 1, 1)
    assert daily[5] == ("2026-06-20", 1, 1) and daily[3] == ("2026-06-18", 0, 0) and len(daily) == 6
    scores = sheet_rows(response.data, "成绩分布")
    assert scores[0] == ("分数段", "人数")
    assert dict(scores[1:]) == {"0–9": 0, "10–19": 0, "20–29": 0, "30–39": 0, "40–49": 1, "50–59": 1,
                                "60–69": 0, "70–79": 1, "80–89": 0, "90–100": 2}
    with zipfile.ZipFile(io.BytesIO(response.data)) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2 and all(b"<barChart>" in package.read(n) for n in charts)


def test_a_date_range_leaves_out_attempts_outside_it(data, organiser):
    response = organiser.get(f"/admin/reports/{data.campaign.id}/statistics.xlsx?since=2026-06-16&until=2026-06-17")
    rows = sheet_rows(response.data, "统计表")
    assert "2026-06-16 至 2026-06-17" in rows[0][0]
    assert rows[3] == (2, "乙物流", "开发区", "仓储物流", 5, 1, 0.2, 1, 90, 1, "填报", 0)  # b2 on 6/20 is out
    assert rows[8][:8] == (None, "合计", None, None, 12, 4, 1 / 3, 5)
    assert rows[8][8:] == (78.75, 0.75, "填报", 0)
    # One day: 6月17日 starts at 16:00 UTC of the 16th, so a1's 23:30 attempt is not in it.
    html = organiser.get(f"/admin/reports/{data.campaign.id}?since=2026-06-17&until=2026-06-17").get_data(as_text=True)
    rows = {r[1]: r for r in cells(html) if len(r) == 12}
    assert rows["甲化工"][5:8] == ["0", "0.0%", "0"] and rows["丙建设"][5] == "1"
    assert rows["合计"][5] == "1"


@pytest.mark.parametrize("query, message", [
    ("since=2026-6-1", "开始日期格式应为"),
    ("until=2026-02-30", "不是有效的日期"),
    ("since=2026-06-20&until=2026-06-10", "开始日期不能晚于结束日期"),
    ("until=9999-12-31", "不在 2000 到 2100 年之间"),
])
def test_bad_dates_get_a_clear_message(data, organiser, query, message):
    for path in ("", "/statistics.xlsx", "/charts/daily.svg"):
        response = organiser.get(f"/admin/reports/{data.campaign.id}{path}?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_page_answers_htmx_with_the_fragment(data, organiser):
    response = organiser.get(f"/admin/reports/{data.campaign.id}?since=2026-06-16", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="report">')
    assert "<html" not in html and "合计" in html
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


# ---- the charts -----------------------------------------------------------------------


def svg_bars(svg: str) -> dict[str, list[str]]:
    """label → the values of its bars, from each bar's tooltip ("6/16 参与人数：3")."""
    found: dict[str, list[str]] = {}
    for label, value in re.findall(r"<rect class=\"bar\"[^>]*><title>([^<]*?) [^<]*：([0-9.]+)</title>", svg):
        found.setdefault(label, []).append(value)
    return found


def test_the_daily_chart_counts_people_and_attempts_per_beijing_day(data, organiser):
    response = organiser.get(f"/admin/reports/{data.campaign.id}/charts/daily.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    bars = svg_bars(svg)
    assert bars["6/16"] == ["3", "4"]  # the 23:30 attempt is on the 16th ...
    assert bars["6/17"] == ["1", "1"]  # ... not on the 17th
    assert bars["6/20"] == ["1", "1"] and bars["6/18"] == ["0", "0"]
    assert list(bars) == ["6/16", "6/17", "6/18", "6/19", "6/20"]  # the days with data, not to 6/26
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_score_chart_puts_100_in_the_top_band(data, organiser):
    svg = organiser.get(f"/admin/reports/{data.campaign.id}/charts/scores.svg").get_data(as_text=True)
    bars = svg_bars(svg)
    assert bars["90–100"] == ["2"] and bars["70–79"] == ["1"] and bars["50–59"] == ["1"]
    assert bars["40–49"] == ["1"] and bars["80–89"] == ["0"]
    assert organiser.get(f"/admin/reports/{data.campaign.id}/charts/other.svg").status_code == 404


def test_charts_without_attempts_say_so(app, organiser):
    campaign = make_campaign()
    make_contest(code="EMPTY1")
    db.session.commit()
    for name in ("daily", "scores"):
        assert "暂无数据" in organiser.get(f"/admin/reports/{campaign.id}/charts/{name}.svg").get_data(as_text=True)
    html = organiser.get(f"/admin/reports/{campaign.id}").get_data(as_text=True)
    assert "还没有参赛单位" in html


# ---- who sees what --------------------------------------------------------------------------


def test_an_enterprise_admin_sees_only_its_own_row_and_figures(app, data):
    admin = login(app, "jia-admin", "enterprise_admin", data.jia)
    html = admin.get(f"/admin/reports/{data.campaign.id}").get_data(as_text=True)
    rows = [r for r in cells(html) if len(r) == 12]
    assert rows[1:] == [["1", "甲化工", "滨海街道", "危险化学品", "4", "2", "50.0%", "3", "77.5", "50.0%", "填报", "0"]]
    for other in ("乙物流", "丙建设", "丁机械", "小计", "合计"):
        assert other not in html
    book = sheet_rows(admin.get(f"/admin/reports/{data.campaign.id}/statistics.xlsx").data, "统计表")
    assert [r[1] for r in book[2:] if r[1]] == ["甲化工"]
    bars = svg_bars(admin.get(f"/admin/reports/{data.campaign.id}/charts/daily.svg").get_data(as_text=True))
    assert bars == {"6/16": ["2", "3"]}  # its own people took part on one day
    # Another enterprise by query string: refused.
    for path in ("/knowledge", "/knowledge.xlsx"):
        assert admin.get(f"/admin/reports/{data.campaign.id}{path}?enterprise={data.yi.id}").status_code == 403
        assert admin.get(f"/admin/reports/{data.campaign.id}{path}?enterprise={data.jia.id}").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(data, client):
    base = f"/admin/reports/{data.campaign.id}"
    for path in ("/admin/reports", base, f"{base}/statistics.xlsx", f"{base}/charts/daily.svg",
                 f"{base}/charts/scores.svg", f"{base}/knowledge", f"{base}/knowledge.xlsx"):
        for headers in ({}, HX):
            response = client.get(path, headers=headers)
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path


def test_unknown_campaign_and_enterprise(data, organiser):
    assert organiser.get("/admin/reports/999999").status_code == 404
    assert organiser.get(f"/admin/reports/{data.campaign.id}/knowledge?enterprise=999999").status_code == 404
    response = organiser.get(f"/admin/reports/{data.campaign.id}/knowledge?enterprise=abc")
    assert response.status_code == 400 and "所选单位无效" in response.get_data(as_text=True)


def test_names_are_escaped(app, organiser):
    campaign = make_campaign()
    evil = make_enterprise("<script>alert(1)</script>", "EVIL1", 3, region="<b>镇</b>", industry="=cmd|x")
    contest = make_contest(code="EVIL01")
    person = Participant(enterprise_id=evil.id, identifier="13911111111", name="x", department="", created_at=START)
    db.session.add(person)
    db.session.flush()
    _attempt(contest, person, 1, START + H, 50, None)
    db.session.commit()
    html = organiser.get(f"/admin/reports/{campaign.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>镇</b>" not in html
    rows = sheet_rows(organiser.get(f"/admin/reports/{campaign.id}/statistics.xlsx").data, "统计表")
    assert rows[2][1] == "<script>alert(1)</script>" and rows[2][3] == "=cmd|x"
    book = load_workbook(io.BytesIO(organiser.get(f"/admin/reports/{campaign.id}/statistics.xlsx").data))
    assert book["统计表"]["D3"].data_type == "s"  # text, never a formula


# ---- knowledge --------------------------------------------------------------------------


def knowledge_data():
    """Twelve questions; question i (1…12) answered wrong by i of 12 people (ties: none),
    plus one more question that everybody gets right."""
    campaign = make_campaign()
    unit = make_enterprise("甲化工", "JIA1", 20, region="滨海街道", industry="危险化学品")
    other = make_enterprise("乙物流", "YI02", 20, region="开发区", industry="仓储物流")
    questions = list(db.session.scalars(select(Question).where(
        Question.current.is_(True), Question.qtype == "single").order_by(Question.id).limit(13)))
    contest = make_contest(code="KNOW01", question_count=13)
    for n in range(12):
        person = Participant(enterprise_id=(unit if n < 6 else other).id, identifier=f"1370000{n:04d}",
                             name=f"p{n}", department="", created_at=START)
        db.session.add(person)
        db.session.flush()
        xs = [0 if n < i + 1 else 1 for i in range(12)] + [1]
        add_attempt(contest, person, 1, START + H, xs, questions)
    db.session.commit()
    return campaign, unit, other, questions


def test_the_knowledge_page_lists_the_most_missed_questions_with_explanations(app, organiser):
    campaign, unit, other, questions = knowledge_data()
    html = organiser.get(f"/admin/reports/{campaign.id}/knowledge").get_data(as_text=True)
    top = re.search(r'<ol class="top-wrong">(.*?)</ol>', html, re.S).group(1)
    # Most wrong first: question 12 (12 wrong), 11, … 3; question 13 is never wrong.
    order = [top.index(q.stem) for q in reversed(questions[2:12])]
    assert order == sorted(order) and questions[1].stem not in top and questions[12].stem not in top
    assert questions[11].explanation in top and "答错 12 次" in top
    assert "区分度" in html and "安全生产法律法规" in html
    fragment = organiser.get(f"/admin/reports/{campaign.id}/knowledge", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="knowledge">') and "<html" not in fragment
    # The practice set link, its QR code and the button.
    link = re.search(r'href="(http://quiz.test/practice/set/[^"]+)"[^>]*>开始练习', html).group(1)
    assert 'src="data:image/svg+xml;base64,' in html
    token = link.rsplit("/", 1)[1]
    assert practice.set_uids(token) == [q.uid for q in reversed(questions[2:12])]
    # The same tables as .xlsx.
    response = organiser.get(f"/admin/reports/{campaign.id}/knowledge.xlsx")
    top_rows = sheet_rows(response.data, "高频错题")
    assert top_rows[0] == ("序号", "题目编号", "分类", "题型", "题干", "选项", "正确答案", "正确答案内容",
                           "答错次数", "作答次数", "答对率", "解析", "依据")
    assert [r[1] for r in top_rows[1:]] == [q.uid for q in reversed(questions[2:12])]
    assert top_rows[1][8] == 12 and top_rows[1][11] == questions[11].explanation
    assert {r[0] for r in sheet_rows(response.data, "题目")[1:]} == {q.uid for q in questions}


def test_one_enterprise_next_to_everyone(app, organiser):
    campaign, unit, other, questions = knowledge_data()
    html = organiser.get(f"/admin/reports/{campaign.id}/knowledge?enterprise={unit.id}").get_data(as_text=True)
    assert "甲化工 与全部参赛者对比" in html
    # 甲 (people 0–5) is wrong on everything answered wrong by ≥ 6: question 6 onwards; everyone
    # else half as often — highlighted as worse.
    assert 'class="worse"' in html
    rows = sheet_rows(organiser.get(f"/admin/reports/{campaign.id}/knowledge.xlsx?enterprise={unit.id}").data, "题目")
    assert rows[0][5:9] == ("本单位作答次数", "本单位答错次数", "本单位答对率", "本单位区分度")
    by_uid = {r[0]: r for r in rows[1:]}
    q12 = by_uid[questions[11].uid]  # 6 answers: too few for a discrimination index
    assert q12[5:9] == (6, 6, 0, "样本不足") and q12[13] == 0
    q8 = by_uid[questions[7].uid]  # 甲: 6 of 6 wrong; everyone: 8 of 12
    assert q8[7] == 0 and q8[11] == pytest.approx(4 / 12) and q8[13] == pytest.approx(-4 / 12)


def test_the_practice_set_practises_exactly_those_questions(app, organiser, phone):
    campaign, unit, other, questions = knowledge_data()
    html = organiser.get(f"/admin/reports/{campaign.id}/knowledge").get_data(as_text=True)
    link = re.search(r'href="http://quiz.test(/practice/set/[^"]+)"[^>]*>开始练习', html).group(1)
    expected = [q.id for q in reversed(questions[2:12])]
    # A participant opens it, signs up once, and comes back to the set.
    response = phone.get(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/practice/")
    response = phone.post("/practice/", {"name": "赵六", "identifier": "13700137000",
                                         "enterprise": unit.id, "department": "仓储部"}, htmx=False)
    assert response.status_code == 303 and response.headers["Location"] == link
    seen = []
    url = link
    for number, question_id in enumerate(expected, start=1):
        page = phone.get(url, htmx=number > 1).get_data(as_text=True)
        assert f"第 {number} / 10 题" in page
        shown = int(re.search(r'name="question_id" value="(\d+)"', page).group(1))
        seen.append(shown)
        question = db.session.get(Question, shown)
        assert question.explanation not in page  # no answer before answering
        data = {"question_id": shown, "mode": "set", "choice": list(question.answer),
                "set": re.search(r'name="set" value="([^"]+)"', page).group(1),
                "i": re.search(r'name="i" value="(\d+)"', page).group(1)}
        feedback = phone.post("/practice/answer", data).get_data(as_text=True)
        assert "回答正确" in feedback and question.explanation in feedback
        url = re.search(r'hx-get="([^"]+)"', feedback).group(1).replace("&amp;", "&")
        if number == 10:
            assert "完成本组练习" in feedback
    assert seen == expected
    done = phone.get(url, htmx=True).get_data(as_text=True)
    assert "本组练习完成" in done
    assert db.session.scalar(select(PracticeAnswer.question_id).order_by(PracticeAnswer.id).limit(1)) == expected[0]
    assert len(db.session.scalars(select(PracticeAnswer)).all()) == 10


def test_a_forged_practice_link_is_refused(app, phone, enterprises):
    good = practice.set_token(["law-001", "law-002"])
    assert phone.get(f"/practice/set/{good}").status_code == 302  # a real one: sign up first
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    response = phone.get(f"/practice/set/{forged}")
    assert response.status_code == 404 and "练习链接无效" in response.get_data(as_text=True)
    # Signed up, answering with a forged set: refused, and the answer is not stored.
    phone.post("/practice/", {"name": "赵六", "identifier": "13700137000", "enterprise": enterprises[0].id,
                              "department": "仓储部"}, htmx=False)
    question = db.session.scalars(select(Question).where(Question.uid == "law-001")).first()
    response = phone.post("/practice/answer", {"question_id": question.id, "mode": "set", "set": forged,
                                               "i": 0, "choice": list(question.answer)})
    assert response.status_code == 404 and "练习链接无效" in response.get_data(as_text=True)
    assert not db.session.scalars(select(PracticeAnswer)).all()
