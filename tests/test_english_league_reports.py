"""Issue 20, English: what the page walk (test_english_pages) cannot see in the league and the
reports — exports asked for in English, validation and error messages, flashes, the charts
and the code's own words in the tables (未填写, 名单 …) — and that Chinese stays as it was
next to it (the cached exports are kept per language)."""
from __future__ import annotations

import io
import re

import pytest
from flask_babel import refresh
from openpyxl import load_workbook

from quiz.extensions import db
from quiz.league import tables as league_tables
from quiz.models import Campaign
from quiz.reports.charts import bar_chart

from .conftest import csrf_token, staff_client
from .english import CJK
from .test_league_tables import build_league

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
# What the league data set stores (names of units, people, regions …): allowed in English exports.
NAMES = re.compile(r"甲化工|乙物流|丙建设|丁机械|戊退出|己退出|滨海街道|开发区|新城镇|危险化学品|仓储物流|城市建设"
                   r"|生产部|安全部|仓库|运输队|综合部|张[一二三]|李[一二]|王一|赵一|2026年“安全生产月”|K1|K2")


@pytest.fixture
def league(app):
    return build_league()


@pytest.fixture
def organiser(app):
    return staff_client(app, "organiser", "organiser")


def _cells(body: bytes) -> tuple[list[str], list[str]]:
    book = load_workbook(io.BytesIO(body))
    texts = [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if cell is not None]
    return book.sheetnames, texts


def _chinese(texts) -> list[str]:
    return [t for t in texts if CJK.search(NAMES.sub("", t))]


@pytest.mark.parametrize("table", ["individuals", "enterprises", "regions", "industries"])
def test_league_export_in_english_and_chinese(league, organiser, table):
    path = f"/admin/league/{league.campaign.id}/{table}.xlsx"
    english = organiser.get(path, headers=EN)
    assert english.status_code == 200
    sheets, texts = _cells(english.get_data())
    assert not _chinese(texts + sheets), _chinese(texts + sheets)[:5]
    assert "Rank" in texts and any(t.startswith("Scope: ") for t in texts)
    assert "attachment" in english.headers["Content-Disposition"]
    # The same workbook in Chinese right after (the cache keeps one per language).
    sheets, texts = _cells(organiser.get(path, headers=ZH).get_data())
    assert "名次" in texts and "Rank" not in texts
    assert sheets[0] == {"individuals": "个人排名", "enterprises": "单位排名", "regions": "镇（街）排名",
                         "industries": "行业排名"}[table]


def test_league_words_of_the_code_are_translated(league, organiser):
    """未填写 (an empty industry) and 名单/填报 are the code's words, not data."""
    page = organiser.get(f"/admin/league/{league.campaign.id}/industries", headers=EN).get_data(as_text=True)
    assert "Not filled in" in page and "Entered" in page and "未填写" not in page and "填报" not in page
    page = organiser.get(f"/admin/league/{league.campaign.id}/industries", headers=ZH).get_data(as_text=True)
    assert "未填写" in page and "填报" in page
    assert league_tables.shown("未填写") == "未填写"  # outside a request: the id itself
    assert league_tables.shown("甲化工") == "甲化工"


def test_league_errors_and_settings_in_english(league, organiser):
    cid = league.campaign.id
    for query, message in (("sort=nope", "Cannot sort by “nope”"), ("dir=up", "asc or desc"),
                           ("since=2026-13-01", "is not in the right format"),
                           ("since=2026-06-10&until=2026-06-01", "cannot be before the start date")):
        response = organiser.get(f"/admin/league/{cid}/enterprises?{query}", headers=EN)
        assert response.status_code == 400 and message in response.get_data(as_text=True), query
    path = f"/admin/league/{cid}/settings"
    page = organiser.get(path, headers=EN).get_data(as_text=True)
    assert "Composite index weights" in page and "Open: anyone may practise" in page
    assert "(above 100% counts as 100%)" in page
    token = csrf_token(organiser, path)
    for wp, ws, message in (("0", "0", "cannot both be 0"), ("-1", "1", "cannot be less than 0"),
                            ("abc", "1", "“abc” is not a number"), ("0.125", "1", "at most two decimal places"),
                            ("", "1", "Please enter a weight")):
        response = organiser.post(path, data={"weight_participation": wp, "weight_score": ws, "csrf_token": token},
                                  headers=EN)
        assert response.status_code == 422 and message in response.get_data(as_text=True), (wp, ws)
    response = organiser.post(f"/admin/league/{cid}/certificate", headers=EN,
                              data={"issuer": "x" * 81, "csrf_token": token})
    assert response.status_code == 422
    assert "at most 80 characters" in response.get_data(as_text=True)
    response = organiser.post(path, headers=EN, follow_redirects=True,
                              data={"weight_participation": "1", "weight_score": "3", "practice_identity_mode": "open",
                                    "csrf_token": token})
    page = response.get_data(as_text=True)
    assert "Campaign settings saved." in page and "current weights 1 : 3" in page
    assert db.session.get(Campaign, cid).weight_score == 3.0
    # Chinese is as it was.
    page = organiser.get(path, headers=ZH).get_data(as_text=True)
    assert "综合指数 = 100 ×（参与率权重 × 参与率（超过 100% 按 100% 计）" in page
    assert "开放：任何人登记即可练习" in page


def test_report_exports_in_english_and_chinese(league, organiser):
    cid = league.campaign.id
    english = organiser.get(f"/admin/reports/{cid}/statistics.xlsx", headers=EN)
    sheets, texts = _cells(english.get_data())
    assert sheets == ["Statistics", "Daily participation", "Score distribution"]
    assert {"No.", "Unit name", "Expected participants", "Subtotal", "Total", "Date", "Score band"} <= set(texts)
    assert not _chinese(texts), _chinese(texts)[:5]
    sheets, texts = _cells(organiser.get(f"/admin/reports/{cid}/statistics.xlsx", headers=ZH).get_data())
    assert sheets == ["统计表", "每日参与", "成绩分布"] and "单位名称" in texts and "小计" in texts

    for query in ("", f"?enterprise={league.jia.id}"):
        english = organiser.get(f"/admin/reports/{cid}/knowledge.xlsx{query}", headers=EN)
        sheets, texts = _cells(english.get_data())
        assert sheets == ["Category", "Question", "Most missed questions"]
        assert not _chinese(t for t in texts if not t.startswith(("K", "Q"))), query  # stems are bank data
        assert "Correct rate" in " ".join(texts)
        sheets, texts = _cells(organiser.get(f"/admin/reports/{cid}/knowledge.xlsx{query}", headers=ZH).get_data())
        assert sheets == ["分类", "题目", "高频错题"]


def test_report_errors_and_charts_in_english(league, organiser):
    cid = league.campaign.id
    response = organiser.get(f"/admin/reports/{cid}?since=2026-06-10&until=2026-06-01", headers=EN)
    assert response.status_code == 400
    assert "The start date cannot be after the end date." in response.get_data(as_text=True)
    response = organiser.get(f"/admin/reports/{cid}?since=16.06.2026", headers=EN)
    assert "Start date must be written as year-month-day" in response.get_data(as_text=True)
    svg = organiser.get(f"/admin/reports/{cid}/charts/daily.svg", headers=EN).get_data(as_text=True)
    assert "Daily participation" in svg and "people / attempts" in svg and not CJK.search(svg)
    svg = organiser.get(f"/admin/reports/{cid}/charts/daily.svg", headers=ZH).get_data(as_text=True)
    assert "每日参与情况" in svg and "（人 / 人次）" in svg


def test_chart_text_in_either_language(app):
    with app.test_request_context(headers=EN):
        refresh()
        empty = str(bar_chart([], [], "Title"))
        assert "No data yet" in empty and not CJK.search(empty)
        chart = str(bar_chart(["6/1", "6/2"], [("People", [1, 2]), ("Attempts", [3, 4])], "T", unit="people"))
        assert "6/1: People 1, Attempts 3; 6/2: People 2, Attempts 4" in chart and "(people)" in chart
        assert "<title>6/2 Attempts: 4</title>" in chart
    with app.test_request_context(headers=ZH):
        refresh()  # the locale is kept on the app context the fixture pushed
        chart = str(bar_chart(["6/1"], [("人数", [1])], "标题", unit="人"))
        assert "6/1：人数 1" in chart and "（人）" in chart and "<title>6/1 人数：1</title>" in chart
