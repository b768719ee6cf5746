"""应参与人数 from the roster and 名单外 (issue 15, part D): where an enterprise has a roster,
its 应参与人数 is its active people, only people matched to it count as 参与人数, the others
are 名单外 — in the league tables, the report, the board and the exports, each saying which
headcount it used.

On the ``league`` data set (tests/test_league_tables.py) 甲化工 gets a roster: 张一 (a1,
安全部), 钱二 (安全部), 孙三 (生产部) active, 周四 (生产部) retired. a1 is matched to it;
a2 (张二, 2 attempts in K1 … one) is not: 名单外. The other enterprises keep their typed
headcounts (填报).
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from quiz.league import tables as league_tables
from quiz import results_cache
from quiz.extensions import db
from quiz.models import Participant, RosterPerson

from .conftest import START, staff_client
from .test_league_tables import build_league, by_key


def add_roster(d) -> None:
    people = {}
    for name, staff_no, department, active in (("张一", "J001", "安全部", True), ("钱二", "J002", "安全部", True),
                                               ("孙三", "J003", "生产部", True), ("周四", "J004", "生产部", False)):
        person = RosterPerson(enterprise_id=d.jia.id, name=name, staff_no=staff_no, department=department,
                              active=active, created_at=START, updated_at=START)
        db.session.add(person)
        db.session.flush()
        people[name] = person
    db.session.get(Participant, d.a1.id).roster_person_id = people["张一"].id
    db.session.commit()
    results_cache.invalidate()  # rows written directly


@pytest.fixture
def rostered(app):
    d = build_league()
    add_roster(d)
    return d


def test_the_enterprise_table_uses_the_roster_and_counts_off_roster_people_apart(rostered):
    table = by_key(league_tables.unit_figures(rostered.campaign.id, "enterprise"))
    jia = table["甲化工"]
    # 3 active people (周四 is retired); a1 matched, a2 名单外 (a3 never submitted).
    assert (jia.headcount, jia.headcount_source, jia.participants, jia.off_roster) == (3, "名单", 1, 1)
    assert jia.participation_rate == pytest.approx(1 / 3)
    assert jia.attempts == 5  # 名单外 people's attempts still count as attempts and scores
    yi = table["乙物流"]
    assert (yi.headcount, yi.headcount_source, yi.participants, yi.off_roster) == (5, "填报", 2, 0)
    regions = by_key(league_tables.unit_figures(rostered.campaign.id, "region"))
    binhai = regions["滨海街道"]  # 甲 (名单, 3) and 丙 (填报, 0)
    assert (binhai.headcount, binhai.headcount_source, binhai.participants, binhai.off_roster) == (3, "名单+填报", 2, 1)
    total = league_tables.total(list(table.values()))
    assert total.off_roster == 1 and total.headcount_source == "名单+填报"


def test_a_rate_never_exceeds_100_percent_because_of_invented_identities(rostered):
    # Thirty invented people sign up for 甲 in the campaign's K1: none of them is on the roster.
    from .test_league_tables import _attempt
    for n in range(30):
        person = Participant(enterprise_id=rostered.jia.id, identifier=f"1380000{n:04d}", name=f"假{n}",
                             created_at=START)
        db.session.add(person)
        db.session.flush()
        _attempt(rostered.k1, person, 1, START, 10, 100, 30, "")
    db.session.commit()
    results_cache.invalidate()
    jia = by_key(league_tables.unit_figures(rostered.campaign.id, "enterprise"))["甲化工"]
    assert (jia.participants, jia.off_roster, jia.participation_rate) == (1, 31, pytest.approx(1 / 3))


def test_departments_of_a_rostered_enterprise_use_the_roster(rostered):
    rows = by_key(league_tables.unit_figures(rostered.campaign.id, "department", enterprise_id=rostered.jia.id))
    # a1's latest attempt is in 安全部 (matched); a2's in 生产部 (名单外). 仓库 is not on the roster.
    assert (rows["安全部"].headcount, rows["安全部"].participants, rows["安全部"].off_roster) == (2, 1, 0)
    assert (rows["生产部"].headcount, rows["生产部"].participants, rows["生产部"].off_roster) == (1, 0, 1)
    assert "仓库" not in rows and rows["安全部"].headcount_source == "名单"


def test_individuals_mark_off_roster_people(rostered):
    people = {r.name: r for r in league_tables.individuals(rostered.campaign.id)}
    assert people["张二"].off_roster and people["张二"].roster_mark == "名单外"
    assert not people["张一"].off_roster and not people["李一"].off_roster  # 乙 has no roster


def read(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(response.data)).active


def test_the_pages_and_exports_say_which_headcount_they_used(app, rostered):
    organiser = staff_client(app, "organiser", "organiser")
    base = f"/admin/league/{rostered.campaign.id}"
    page = organiser.get(f"{base}/enterprises").get_data(as_text=True)
    assert "人数来源" in page and "名单外" in page and league_tables.HEADCOUNT_NOTE in page
    sheet = read(organiser.get(f"{base}/enterprises.xlsx"))
    header = [c.value for c in sheet[3]]
    rows = {row[1]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=4, values_only=True) if row[1]}
    assert (rows["甲化工"]["应参与人数"], rows["甲化工"]["人数来源"], rows["甲化工"]["参赛人数"],
            rows["甲化工"]["名单外"]) == (3, "名单", 1, 1)
    assert rows["乙物流"]["人数来源"] == "填报"
    assert sheet.cell(row=sheet.max_row, column=1).value == league_tables.HEADCOUNT_NOTE
    people = read(organiser.get(f"{base}/individuals.xlsx"))
    header = [c.value for c in people[3]]
    marks = {row[2]: dict(zip(header, row))["名单外"] for row in people.iter_rows(min_row=4, values_only=True)
             if row[2]}
    assert marks["张二"] == "名单外" and marks["张一"] is None
    # The statistics table (活动进展情况统计表) and its .xlsx.
    report = organiser.get(f"/admin/reports/{rostered.campaign.id}").get_data(as_text=True)
    assert "人数来源" in report and league_tables.HEADCOUNT_NOTE in report
    book = load_workbook(io.BytesIO(organiser.get(f"/admin/reports/{rostered.campaign.id}/statistics.xlsx").data))
    sheet = book["统计表"]
    header = [c.value for c in sheet[2]]
    stats = {row[1]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=3, values_only=True) if row[1]}
    assert (stats["甲化工"]["应参与人数"], stats["甲化工"]["参与人数"], stats["甲化工"]["人数来源"],
            stats["甲化工"]["名单外人数"]) == (3, 1, "名单", 1)
    assert stats["乙物流"]["人数来源"] == "填报" and stats["合计"]["名单外人数"] == 1
    assert any(row[0] == league_tables.HEADCOUNT_NOTE for row in sheet.iter_rows(values_only=True))


def test_the_contest_board_marks_off_roster_people_and_uses_the_roster(client, rostered):
    page = client.get("/j/K1K1K1/board").get_data(as_text=True)
    row_of = lambda name: next(r for r in page.split("<tr") if name in r)
    assert "名单外" in row_of("张二") and "名单外" not in row_of("张一")
    units = page[page.index("单位排名"):]
    jia = next(r for r in units.split("<tr") if "甲化工" in r)
    # 参赛人数 1, 应参与人数 3 from the roster, 名单外 1
    assert "<b>甲化工</b>" in jia and "参赛 1 人 / 应参与 3 人（名单） · 名单外 1 人" in jia
