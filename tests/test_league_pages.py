"""League pages (quiz/league): tables, sorting, htmx fragments, big screen, exports, weights,
and who may see what. The data set is the hand-computed one of test_league_tables."""
from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import load_workbook

from quiz.league import export as league_export
from quiz import results_cache
from quiz.extensions import db
from quiz.models import Campaign, Participant

from .conftest import HX, START, csrf_token, make_campaign, make_contest, make_enterprise, staff_client
from .test_league_tables import H, _attempt, build_league

ALL_TABLES = ("individuals", "enterprises", "regions", "industries", "departments")


def login(app, username, role="enterprise_admin", enterprise=None):
    return staff_client(app, username, role, enterprise)


@pytest.fixture
def league(app):
    return build_league()


@pytest.fixture
def organiser(app):
    return login(app, "organiser", role="organiser")


def url(league, table, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/admin/league/{league.campaign.id}/{table}" + (f"?{query}" if query else "")


def body_rows(page: str) -> list[list[str]]:
    """The cells (text, unescaped) of each row of the table body."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert tbody, page[:2000]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def number(text: str):
    if text in ("", "—"):
        return None
    return float(text.rstrip("%"))


def test_nav_link_and_redirect_to_latest_campaign(league, organiser):
    older = Campaign(name="2025年“安全生产月”", theme="", year=2025)
    db.session.add(older)
    db.session.commit()
    response = organiser.get("/admin/league")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/league/{league.campaign.id}/enterprises")
    page = organiser.get("/admin/contests/").get_data(as_text=True)
    assert 'href="/admin/league">联赛</a>' in page


def test_enterprise_table_page(league, organiser):
    response = organiser.get(url(league, "enterprises"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "league.css" in page and "联赛排名" in page
    rows = body_rows(page)
    # rank, 单位, 镇（街）, 行业, 应参与人数, 参赛人数, 参与率, 答题人次, 平均分, 及格率, 综合指数, 人数来源, 名单外
    assert rows[0] == ["1", "甲化工", "滨海街道", "危险化学品", "4", "2", "50.0%", "5", "80.0", "100.0%", "65.0",
                       "填报", "0"]
    by_name = {r[1]: r for r in rows}
    assert by_name["丙建设"][6] == "—"          # headcount 0: no rate
    assert by_name["丁机械"][5:] == ["0", "0.0%", "0", "—", "—", "0.0", "填报", "0"]
    assert by_name["乙物流"][0] == by_name["戊退出"][0] == "2"  # a tie shares the rank
    # The total row: 14 headcount, 6 people, 6/14 = 42.9%, 10 attempts, 540/8 = 67.5, 3/5 = 60%.
    foot = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", foot, re.S)]
    assert cells[1] == "合计" and cells[4:10] == ["14", "6", "42.9%", "10", "67.5", "60.0%"]
    # Tabs, contest selector, exports, big screen, weights.
    for text in ("个人排名", "镇（街）排名", "行业排名", "部门排名", "K1</option>", "K2</option>",
                 f"/admin/league/{league.campaign.id}/enterprises.xlsx", "screen=1",
                 f"/admin/league/{league.campaign.id}/settings"):
        assert text in page, text


@pytest.mark.parametrize("column", [c.key for c in league_export.columns("enterprises")])
def test_sorting_by_each_column(league, organiser, column):
    cols = league_export.columns("enterprises")
    position = [c.key for c in cols].index(column)
    for direction in ("asc", "desc"):
        response = organiser.get(url(league, "enterprises", sort=column, dir=direction))
        assert response.status_code == 200
        rows = body_rows(response.get_data(as_text=True))
        assert len(rows) == 5
        values = [r[position] for r in rows]
        if cols[position].kind == "text":
            present = [v for v in values if v != "—"]
        else:
            present = [number(v) for v in values if number(v) is not None]
        assert present == sorted(present, reverse=direction == "desc"), (column, direction, values)
        # Empty values (—) come last in both directions.
        empties = [i for i, v in enumerate(values) if v in ("—", "")]
        assert empties == list(range(len(values) - len(empties), len(values)))


def test_sort_changes_the_order_and_header_links_toggle(league, organiser):
    by_rate = body_rows(organiser.get(url(league, "enterprises", sort="participation_rate", dir="desc"))
                        .get_data(as_text=True))
    # 0.5 (甲, 戊: ties keep rank order), 0.4 乙, 0.0 丁, then 丙 (no rate) last.
    assert [r[1] for r in by_rate] == ["甲化工", "戊退出", "乙物流", "丁机械", "丙建设"]
    by_attempts = body_rows(organiser.get(url(league, "enterprises", sort="attempts", dir="asc"))
                            .get_data(as_text=True))
    assert [r[1] for r in by_attempts][:1] == ["丁机械"] and by_attempts[-1][1] == "甲化工"
    page = organiser.get(url(league, "enterprises", sort="attempts", dir="asc")).get_data(as_text=True)
    # The active column's header link flips the direction; it is an htmx link that pushes the URL.
    link = re.search(r'<th class="num sorted"[^>]*><a href="([^"]+)" hx-get="([^"]+)" hx-target="#league-table"'
                     r' hx-swap="outerHTML" hx-push-url="true">答题人次', page)
    assert link and "sort=attempts" in link.group(1) and "dir=desc" in link.group(1)


def test_htmx_gets_only_the_fragment(league, organiser):
    response = organiser.get(url(league, "enterprises", sort="key", dir="asc"), headers=HX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="league-table"') and "<html" not in page and "联赛排名" not in page
    assert "HX-Request" in response.headers.get("Vary", "")
    assert organiser.get(url(league, "enterprises")).headers.get("Vary", "").count("HX-Request") == 1


def test_big_screen(league, organiser):
    response = organiser.get(url(league, "enterprises", screen=1))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="league-screen"' in page and 'hx-trigger="every 30s"' in page
    assert "退出</button>" not in page and 'class="top"' not in page  # no navigation
    assert "甲化工" in page and "每 30 秒自动刷新" in page
    # The refresh swaps only the table fragment.
    fragment = organiser.get(url(league, "enterprises", screen=1), headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="screen-table"') and "<html" not in fragment
    assert 'hx-get="/admin/league/%d/enterprises?screen=1"' % league.campaign.id in fragment
    people = organiser.get(url(league, "individuals", screen=1, contest=league.k1.id)).get_data(as_text=True)
    assert 'class="place-1"' in people and "张一" in people


def test_other_tables_render(league, organiser):
    regions = body_rows(organiser.get(url(league, "regions")).get_data(as_text=True))
    assert regions[0][:3] == ["1", "滨海街道", "2"] and regions[0][-3] == "76.2"  # 76.25 shown to .1
    industries = body_rows(organiser.get(url(league, "industries")).get_data(as_text=True))
    assert {r[1] for r in industries} == {"危险化学品", "仓储物流", "城市建设", "未填写"}
    page = organiser.get(url(league, "departments")).get_data(as_text=True)
    assert "请先在上方选择单位" in page  # the organiser picks an enterprise first
    depts = body_rows(organiser.get(url(league, "departments", enterprise=league.jia.id)).get_data(as_text=True))
    assert [r[1] for r in depts] == ["安全部", "生产部", "仓库"]
    people = organiser.get(url(league, "individuals")).get_data(as_text=True)
    rows = body_rows(people)
    # rank, 单位内名次, 姓名, 单位, 部门, 总分, 参赛场次, 答题次数, 用时, 名单外
    assert rows[0] == ["1", "1", "张一", "甲化工", "安全部", "120.0", "2", "4", "4分50秒", ""]
    k1 = body_rows(organiser.get(url(league, "individuals", contest=league.k1.id)).get_data(as_text=True))
    assert [r[0] for r in k1] == ["1", "1", "3", "4", "5"]
    assert "得分" in organiser.get(url(league, "individuals", contest=league.k1.id)).get_data(as_text=True)


def test_date_filter_in_local_days(league, organiser):
    # until 2026-06-16 (Beijing) = before 2026-06-17 00:00 +08 = 06-16 16:00 UTC: b1's K2 (+2d) is out.
    rows = {r[1]: r for r in body_rows(organiser.get(url(league, "enterprises", until="2026-06-16"))
                                      .get_data(as_text=True))}
    assert rows["乙物流"][7] == "2" and rows["乙物流"][8] == "65.0"
    # since 2026-06-17 (Beijing) = from 06-16 16:00 UTC: only b1's K2 attempt.
    rows = {r[1]: r for r in body_rows(organiser.get(url(league, "enterprises", since="2026-06-17"))
                                      .get_data(as_text=True))}
    assert rows["乙物流"][5] == "1" and rows["甲化工"][5] == "0"


def read(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).active


def test_export_enterprises(league, organiser):
    sheet = read(organiser.get(url(league, "enterprises.xlsx")))
    assert sheet["A1"].value == "2026年“安全生产月” · 单位排名"
    assert sheet["A2"].value.startswith("范围：全部竞赛")
    assert [c.value for c in sheet[3]] == ["名次", "单位", "镇（街）", "行业", "应参与人数", "参赛人数", "参与率",
                                           "答题人次", "平均分", "及格率", "综合指数", "人数来源", "名单外"]
    first = sheet[4]
    assert [c.value for c in first] == [1, "甲化工", "滨海街道", "危险化学品", 4, 2, 0.5, 5, 80.0, 1.0, 65.0, "填报", 0]
    assert first[6].number_format == "0.0%" and first[9].number_format == "0.0%"
    assert first[8].number_format == "0.0"
    names = [sheet.cell(row=r, column=2).value for r in range(4, 9)]
    assert set(names) == {"甲化工", "乙物流", "丙建设", "丁机械", "戊退出"}
    bing = next(r for r in range(4, 9) if sheet.cell(row=r, column=2).value == "丙建设")
    assert sheet.cell(row=bing, column=7).value is None  # headcount 0: no rate
    total = sheet[9]
    assert total[1].value == "合计" and total[4].value == 14 and total[5].value == 6
    assert total[6].value == pytest.approx(6 / 14) and total[8].value == pytest.approx(67.5)
    assert sheet.max_row == 9 + 2  # and a blank row and the note
    # The same sort as the page.
    by_name = read(organiser.get(url(league, "enterprises.xlsx",
                                     sort="participation_rate", dir="desc")))
    assert [by_name.cell(row=r, column=2).value for r in range(4, 9)] == [
        "甲化工", "戊退出", "乙物流", "丁机械", "丙建设"]


def test_export_each_table_and_user_text_stays_text(league, organiser):
    league.a1.name = "=HYPERLINK(\"x\")"
    db.session.commit()
    results_cache.invalidate()
    sheet = read(organiser.get(url(league, "individuals.xlsx", contest=league.k1.id)))
    assert "K1" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["名次", "单位内名次", "姓名", "单位", "部门", "得分", "答题次数",
                                           "用时（秒）", "交卷时间", "名单外"]
    row = sheet[4]
    assert row[2].value == '=HYPERLINK("x")' and row[2].data_type == "s"
    assert [row[0].value, row[5].value, row[6].value, row[7].value] == [1, 90.0, 2, 200.0]
    assert row[8].value.strftime("%Y-%m-%d %H:%M") == "2026-06-16 11:00"  # +2h UTC, in Beijing time
    assert sheet.max_row == 3 + 5 + 2  # and the note
    for table, rows in (("regions", 3), ("industries", 4)):
        sheet = read(organiser.get(url(league, f"{table}.xlsx")))
        assert sheet.max_row == 3 + rows + 1 + 2  # and a total row, and the note
    sheet = read(organiser.get(url(league, "departments.xlsx", enterprise=league.jia.id)))
    assert [sheet.cell(row=r, column=2).value for r in range(4, 7)] == ["安全部", "生产部", "仓库"]
    assert sheet.cell(row=4, column=5).value == 1.0 and sheet.cell(row=4, column=5).number_format == "0.0%"
    # Departments need an enterprise: a clear message, not a broken file.
    response = organiser.get(url(league, "departments.xlsx"))
    assert response.status_code == 400 and "请先选择单位" in response.get_data(as_text=True)


def test_enterprise_admin_sees_only_its_own(league, app):
    admin = login(app, "jia-admin", enterprise=league.jia)
    rows = body_rows(admin.get(url(league, "enterprises")).get_data(as_text=True))
    assert [r[1] for r in rows] == ["甲化工"] and rows[0][0] == "1"
    people = body_rows(admin.get(url(league, "individuals")).get_data(as_text=True))
    assert {r[2] for r in people} == {"张一", "张二"}
    depts = body_rows(admin.get(url(league, "departments")).get_data(as_text=True))
    assert [r[1] for r in depts] == ["安全部", "生产部", "仓库"]
    page = admin.get(url(league, "enterprises")).get_data(as_text=True)
    assert "镇（街）排名" not in page and "settings" not in page and "乙物流" not in page
    assert admin.get("/admin/league").headers["Location"].endswith("/departments")
    sheet = read(admin.get(url(league, "individuals.xlsx")))
    # The rows, then a blank row and the note on who is 名单外.
    assert {sheet.cell(row=r, column=3).value for r in range(4, sheet.max_row - 1)} == {"张一", "张二"}
    sheet = read(admin.get(url(league, "enterprises.xlsx")))
    assert sheet.max_row == 6 and sheet["B4"].value == "甲化工" and sheet["A6"].value.startswith("应参与人数")
    # Another enterprise's things, region and industry tables, the weights: refused.
    refused = [url(league, "regions"), url(league, "industries"), url(league, "regions.xlsx"),
               url(league, "industries", screen=1), url(league, "departments", enterprise=league.yi.id),
               url(league, "individuals", enterprise=league.yi.id),
               url(league, "individuals.xlsx", enterprise=league.yi.id),
               url(league, "departments.xlsx", enterprise=league.yi.id),
               url(league, "enterprises", enterprise=league.yi.id),
               f"/admin/league/{league.campaign.id}/settings"]
    internal = make_contest(code="YIINT1", title="乙内部赛", enterprise_id=league.yi.id, enterprises=[league.yi])
    refused.append(url(league, "individuals", contest=internal.id))
    for path in refused:
        assert admin.get(path).status_code == 403, path
        assert admin.get(path, headers=HX).status_code == 403, path
    assert admin.post(f"/admin/league/{league.campaign.id}/settings",
                      data={"weight_participation": "1", "weight_score": "1",
                            "csrf_token": csrf_token(admin, "/admin/contests/")}).status_code == 403
    assert "乙内部赛" not in admin.get(url(league, "individuals")).get_data(as_text=True)


def test_anonymous_is_sent_to_login(league, client):
    paths = ["/admin/league", f"/admin/league/{league.campaign.id}/settings"]
    for table in ALL_TABLES:
        paths += [url(league, table), url(league, f"{table}.xlsx"), url(league, table, screen=1)]
    for path in paths:
        for headers in ({}, HX):
            response = client.get(path, headers=headers)
            assert response.status_code in (302, 401), path
            if response.status_code == 302:
                assert "/admin/login" in response.headers["Location"], path
    response = client.post(f"/admin/league/{league.campaign.id}/settings",
                           data={"weight_participation": "1", "weight_score": "1",
                                 "csrf_token": csrf_token(client, "/admin/login")})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert db.session.get(Campaign, league.campaign.id).weight_participation == 0.5


def test_bad_input_gets_404_or_a_clear_message(league, organiser):
    cid = league.campaign.id
    for path in (f"/admin/league/{cid}/nation", f"/admin/league/{cid}/nation.xlsx",
                 f"/admin/league/{cid + 999}/enterprises", f"/admin/league/{cid + 999}/settings",
                 url(league, "enterprises", contest="abc"), url(league, "enterprises", contest=99999),
                 url(league, "individuals", enterprise=99999), url(league, "individuals", enterprise="-1"),
                 url(league, "individuals", enterprise="１２"), url(league, "enterprises", contest="9" * 30),
                 f"/admin/league/{'9' * 30}/enterprises", f"/admin/league/{'9' * 30}/settings"):
        assert organiser.get(path).status_code == 404, path
    other = make_campaign(name="别的活动")
    elsewhere = make_contest(code="ELSE01", title="别处")
    elsewhere.campaign_id = other.id
    db.session.commit()
    assert organiser.get(url(league, "enterprises", contest=elsewhere.id)).status_code == 404
    for args, message in (
        (dict(sort="bogus"), "不能按“bogus”排序"),
        (dict(sort="rank", dir="up"), "排序方向"),
        (dict(since="2026-13-01"), "开始日期“2026-13-01”格式不对"),
        (dict(until="yesterday"), "结束日期“yesterday”格式不对"),
        (dict(since="2026-06-20", until="2026-06-10"), "结束日期不能早于开始日期"),
        (dict(since="0001-01-01"), "不在 2000 到 2100 年之间"),
        (dict(until="9999-12-31"), "不在 2000 到 2100 年之间"),
    ):
        response = organiser.get(url(league, "enterprises", **args))
        assert response.status_code == 400, args
        assert message in response.get_data(as_text=True), args
        fragment = organiser.get(url(league, "enterprises", **args), headers=HX)
        assert fragment.status_code == 400 and message in fragment.get_data(as_text=True)
    # A sort key of another table is not a column here.
    assert organiser.get(url(league, "regions", sort="region")).status_code == 400


def test_weights_settings(league, organiser):
    path = f"/admin/league/{league.campaign.id}/settings"
    page = organiser.get(path).get_data(as_text=True)
    assert 'value="0.5"' in page and "综合指数" in page
    token = csrf_token(organiser, path)
    for wp, ws, message in (("0", "0", "两个权重不能都为 0"), ("-1", "1", "权重不能小于 0"),
                            ("abc", "1", "“abc”不是数字"), ("0.125", "1", "最多保留两位小数"),
                            ("", "1", "请填写权重"), ("1", "1000", "权重不能大于 100"),
                            ("nan", "1", "不是数字")):
        response = organiser.post(path, data={"weight_participation": wp, "weight_score": ws,
                                              "csrf_token": token})
        assert response.status_code == 422, (wp, ws)
        assert message in response.get_data(as_text=True), (wp, ws)
        campaign = db.session.get(Campaign, league.campaign.id)
        assert (campaign.weight_participation, campaign.weight_score) == (0.5, 0.5)
    assert organiser.post(path, data={"weight_participation": "1", "weight_score": "3"}).status_code == 400
    response = organiser.post(path, data={"weight_participation": "1", "weight_score": "3", "csrf_token": token})
    assert response.status_code == 303
    campaign = db.session.get(Campaign, league.campaign.id)
    assert (campaign.weight_participation, campaign.weight_score) == (1.0, 3.0)
    # The tables use the new weights at once (they are part of the cache key):
    # 甲 100 × (1 × 0.5 + 3 × 0.8) / 4 = 72.5.
    rows = body_rows(organiser.get(url(league, "enterprises")).get_data(as_text=True))
    assert rows[0][1] == "甲化工" and rows[0][-3] == "72.5"
    assert "当前权重 1 : 3" in organiser.get(url(league, "enterprises")).get_data(as_text=True)


def test_empty_states(app, organiser):
    assert "还没有活动" in organiser.get("/admin/league").get_data(as_text=True)
    campaign = make_campaign()
    db.session.commit()
    page = organiser.get(f"/admin/league/{campaign.id}/enterprises").get_data(as_text=True)
    assert "本活动还没有竞赛" in page and "没有可显示的单位" in page
    make_enterprise("新单位", "NEW001", 5)
    make_contest(code="EMPTY1")
    results_cache.invalidate()
    page = organiser.get(f"/admin/league/{campaign.id}/individuals").get_data(as_text=True)
    assert "还没有人交卷" in page
    rows = body_rows(organiser.get(f"/admin/league/{campaign.id}/enterprises").get_data(as_text=True))
    assert rows == [["1", "新单位", "—", "—", "5", "0", "0.0%", "0", "—", "—", "0.0", "填报", "0"]]
    screen = organiser.get(f"/admin/league/{campaign.id}/individuals?screen=1").get_data(as_text=True)
    assert "还没有人交卷" in screen
    sheet = read(organiser.get(f"/admin/league/{campaign.id}/individuals.xlsx"))
    assert sheet.max_row == 3 + 2  # the header, then the note


def test_names_are_escaped(league, organiser):
    evil = Participant(enterprise_id=league.yi.id, identifier="evil", name="<script>alert(1)</script>",
                       department="<b>部</b>", created_at=START)
    db.session.add(evil)
    db.session.flush()
    _attempt(league.k1, evil, 1, START + 8 * H, 10, 100, 100, "<b>部</b>", False)
    db.session.commit()
    results_cache.invalidate()
    for path in (url(league, "individuals"), url(league, "individuals", screen=1),
                 url(league, "departments", enterprise=league.yi.id)):
        page = organiser.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>部</b>" not in page
        assert "&lt;b&gt;部&lt;/b&gt;" in page


def test_a_submission_shows_at_once_though_tables_are_cached(app, enterprises, contest, organiser):
    from .conftest import Phone

    app.config["RESULTS_CACHE_SECONDS"] = 60
    results_cache.invalidate()
    path = f"/admin/league/{contest.campaign_id}/enterprises"
    rows = {r[1]: r for r in body_rows(organiser.get(path).get_data(as_text=True))}
    assert rows["示范化工有限公司"][5] == "0"
    assert organiser.get(path + ".xlsx").status_code == 200  # the export is cached too
    phone = Phone(app)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)
    # One person of 4 in 示范化工: 25.0%; the table and its export were invalidated by the submission.
    rows = {r[1]: r for r in body_rows(organiser.get(path).get_data(as_text=True))}
    assert rows["示范化工有限公司"][5:7] == ["1", "25.0%"]
    sheet = read(organiser.get(path + ".xlsx"))
    found = {sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=6).value
             for r in range(4, sheet.max_row)}
    assert found["示范化工有限公司"] == 1


def test_enterprise_rank_and_organiser_filters(league, organiser):
    k1 = body_rows(organiser.get(url(league, "individuals", contest=league.k1.id)).get_data(as_text=True))
    # 张一 and 张二 tie for first in K1 and in 甲化工: both rank 1 and 单位内名次 1.
    assert [(r[2], r[0], r[1]) for r in k1[:2]] == [("张一", "1", "1"), ("张二", "1", "1")]
    mine = body_rows(organiser.get(url(league, "individuals", enterprise=league.yi.id)).get_data(as_text=True))
    assert [(r[2], r[0], r[1]) for r in mine] == [("李一", "3", "1"), ("李二", "6", "2")]
    # An enterprise chosen for departments does not narrow the enterprise table (organisers).
    page = organiser.get(url(league, "departments", enterprise=league.jia.id)).get_data(as_text=True)
    tab = re.search(r'href="([^"]*/enterprises[^"]*)"', page).group(1)
    assert "enterprise=" not in tab
    assert len(body_rows(organiser.get(url(league, "enterprises", enterprise=league.jia.id))
                         .get_data(as_text=True))) == 5
    # Each enterprise name links to its departments.
    page = organiser.get(url(league, "enterprises")).get_data(as_text=True)
    assert f'/departments?enterprise={league.jia.id}">甲化工</a>' in page
