"""League tables (quiz/league/tables.py) against a small data set computed by hand.

The data set (``league`` fixture), campaign weights 0.5 / 0.5:

enterprises   headcount  region    industry     active
  甲化工          4       滨海街道   危险化学品      yes   departments 生产部 (2), 安全部 (1), 仓库 (1)
  乙物流          5       开发区     仓储物流        yes
  丙建设          0       滨海街道   城市建设        yes   (headcount 0: rate None)
  丁机械          3       开发区     危险化学品      yes   (nobody takes part)
  戊退出          2       新城镇     (empty)         no    retired, but has an attempt: listed
  己退出          6       新城镇     仓储物流        no    retired, no attempt: not listed

contests: K1 ranking best, pass mark 60, full marks 100; K2 ranking latest, no pass mark,
full marks 50.

attempts (submitted at START + …; time used in seconds; 部门 at the time):
  a1 甲 K1#1  +1h  80/100 100s 生产部 passed      a1 changes department after this one
  a1 甲 K1#2  +2h  90/100 200s 安全部 passed      (best of a1 in K1)
  a2 甲 K1#1  +2h  90/100 200s 生产部 passed      exact tie with a1's K1#2
  a3 甲 K1#1  never submitted                    (ignored everywhere)
  b1 乙 K1#1  +3h  50/100 300s 运输队 failed
  c1 丙 K1#1  +3h  70/100 100s ""     passed
  x1 戊 K1#1  +4h  50/100 500s 综合部 failed
  a1 甲 K2#1  +5h  50/50   60s 安全部
  a1 甲 K2#2  +6h  30/50   90s 安全部            (latest of a1 in K2: 60%)
  b2 乙 K2#1  +5h  40/50  120s 运输队            (80%)
  b1 乙 K2#1  +2d  25/50  150s 运输队            (50%; outside the window [START, START+1d))
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from quiz.league import tables as league_tables
from quiz import results_cache
from quiz.extensions import db
from quiz.models import Attempt, Department, Participant

from .conftest import START, make_campaign, make_contest, make_enterprise

H = timedelta(hours=1)
APPROX = dict(rel=1e-9, abs=1e-9)


class League:
    pass


def _attempt(contest, person, number, at, score, max_score, seconds, department, passed=None):
    attempt = Attempt(
        contest_id=contest.id, participant_id=person.id, number=number, started_at=at - timedelta(minutes=10),
        deadline=at + H, submitted_at=at, score=score, max_score=max_score,
        time_used_ms=None if seconds is None else seconds * 1000, passed=passed, department=department,
    )
    db.session.add(attempt)
    return attempt


@pytest.fixture
def league(app):
    return build_league()


def build_league() -> League:
    """The data set of the module docstring (needs an app context)."""
    d = League()
    d.campaign = make_campaign()
    d.jia = make_enterprise("甲化工", "JIA1", 4, region="滨海街道", industry="危险化学品")
    d.yi = make_enterprise("乙物流", "YI02", 5, region="开发区", industry="仓储物流")
    d.bing = make_enterprise("丙建设", "BING3", 0, region="滨海街道", industry="城市建设")
    d.ding = make_enterprise("丁机械", "DING4", 3, region="开发区", industry="危险化学品")
    d.wu = make_enterprise("戊退出", "WU05", 2, region="新城镇", industry="", active=False)
    d.ji = make_enterprise("己退出", "JI06", 6, region="新城镇", industry="仓储物流", active=False)
    for name, headcount in (("生产部", 2), ("安全部", 1), ("仓库", 1)):
        db.session.add(Department(enterprise_id=d.jia.id, name=name, headcount=headcount))
    d.k1 = make_contest(code="K1K1K1", title="K1", ranking="best", pass_score=60)
    d.k2 = make_contest(code="K2K2K2", title="K2", ranking="latest")

    def person(enterprise, identifier, name, department=""):
        p = Participant(enterprise_id=enterprise.id, identifier=identifier, name=name,
                        department=department, created_at=START)
        db.session.add(p)
        db.session.flush()
        return p

    d.a1 = person(d.jia, "a1", "张一", "安全部")
    d.a2 = person(d.jia, "a2", "张二", "生产部")
    d.a3 = person(d.jia, "a3", "张三", "生产部")
    d.b1 = person(d.yi, "b1", "李一", "运输队")
    d.b2 = person(d.yi, "b2", "李二", "运输队")
    d.c1 = person(d.bing, "c1", "王一")
    d.x1 = person(d.wu, "x1", "赵一", "综合部")
    _attempt(d.k1, d.a1, 1, START + H, 80, 100, 100, "生产部", True)
    _attempt(d.k1, d.a1, 2, START + 2 * H, 90, 100, 200, "安全部", True)
    _attempt(d.k1, d.a2, 1, START + 2 * H, 90, 100, 200, "生产部", True)
    unsubmitted = _attempt(d.k1, d.a3, 1, START + 2 * H, 0, 100, None, "生产部")
    unsubmitted.submitted_at = None
    _attempt(d.k1, d.b1, 1, START + 3 * H, 50, 100, 300, "运输队", False)
    _attempt(d.k1, d.c1, 1, START + 3 * H, 70, 100, 100, "", True)
    _attempt(d.k1, d.x1, 1, START + 4 * H, 50, 100, 500, "综合部", False)
    _attempt(d.k2, d.a1, 1, START + 5 * H, 50, 50, 60, "安全部")
    _attempt(d.k2, d.a1, 2, START + 6 * H, 30, 50, 90, "安全部")
    _attempt(d.k2, d.b2, 1, START + 5 * H, 40, 50, 120, "运输队")
    _attempt(d.k2, d.b1, 1, START + 48 * H, 25, 50, 150, "运输队")
    db.session.commit()
    results_cache.invalidate()  # rows were written directly, not through a submission
    return d


def by_key(rows):
    return {row.key: row for row in rows}


def check(row, **expected):
    for name, value in expected.items():
        actual = getattr(row, name)
        if isinstance(value, float):
            assert actual == pytest.approx(value, **APPROX), (row.key, name, actual, value)
        else:
            assert actual == value, (row.key, name, actual, value)


def test_enterprises_whole_campaign(league):
    rows = league_tables.unit_figures(league.campaign.id, "enterprise")
    table = by_key(rows)
    # 己退出 is retired without attempts: not listed. 戊退出 is retired with an attempt: listed.
    assert set(table) == {"甲化工", "乙物流", "丙建设", "丁机械", "戊退出"}
    # 甲: people a1, a2 (a3 never submitted) → 2 ÷ 4 = 0.5; attempts a1×2 + a2 in K1, a1×2 in K2 = 5;
    # counted: a1 K1 best 90, a2 K1 90, a1 K2 latest 30/50 = 60 → (90+90+60)/3 = 80;
    # pass mark only in K1: a1, a2 passed → 2/2; index 100 × (0.5×0.5 + 0.5×0.8) = 65.
    check(table["甲化工"], enterprise_id=league.jia.id, region="滨海街道", industry="危险化学品", units=1,
          headcount=4, participants=2, participation_rate=0.5, attempts=5, average_score=80.0,
          pass_rate=1.0, index=65.0, rank=1, counted=3, passed=2, pass_counted=2)
    # 乙: b1, b2 → 2 ÷ 5 = 0.4; attempts b1 K1, b1 K2, b2 K2 = 3; counted 50, 50% (25/50), 80% (40/50)
    # → 180/3 = 60; pass: b1 K1 failed → 0/1; index 100 × (0.5×0.4 + 0.5×0.6) = 50.
    check(table["乙物流"], participants=2, participation_rate=0.4, attempts=3, average_score=60.0,
          pass_rate=0.0, index=50.0, rank=2, headcount=5)
    # 戊 (retired): x1 → 1 ÷ 2 = 0.5; 50; failed → 0/1; index 100 × (0.25 + 0.25) = 50: ties with 乙.
    check(table["戊退出"], participants=1, participation_rate=0.5, attempts=1, average_score=50.0,
          pass_rate=0.0, index=50.0, rank=2, region="新城镇", industry="")
    # 丙: headcount 0 → rate None (counts as 0 in the index); 70; passed 1/1; index 100 × 0.5 × 0.7 = 35.
    check(table["丙建设"], headcount=0, participants=1, participation_rate=None, attempts=1,
          average_score=70.0, pass_rate=1.0, index=35.0, rank=4)
    # 丁: nobody → 0 ÷ 3 = 0.0; no average, no pass rate; index 0.
    check(table["丁机械"], headcount=3, participants=0, participation_rate=0.0, attempts=0,
          average_score=None, pass_rate=None, index=0.0, rank=5, counted=0)
    # Ordered by rank (ties share a rank: 1, 2, 2, 4, 5).
    assert [row.rank for row in rows] == [1, 2, 2, 4, 5]
    assert rows[0].key == "甲化工" and rows[-1].key == "丁机械"


def test_regions_and_industries_aggregate_people_not_averages(league):
    regions = by_key(league_tables.unit_figures(league.campaign.id, "region"))
    assert set(regions) == {"滨海街道", "开发区", "新城镇"}
    # 滨海街道 = 甲 + 丙: headcount 4 + 0; people 2 + 1 = 3 → 0.75; attempts 5 + 1 = 6;
    # counted 90, 90, 60, 70 → 310/4 = 77.5 (not the mean of 80 and 70); pass 3/3;
    # index 100 × (0.5×0.75 + 0.5×0.775) = 76.25.
    check(regions["滨海街道"], enterprise_id=None, region="滨海街道", industry="", units=2, headcount=4,
          participants=3, participation_rate=0.75, attempts=6, average_score=77.5, pass_rate=1.0,
          index=76.25, rank=1)
    # 开发区 = 乙 + 丁: headcount 8; 2 people → 0.25; attempts 3; 60; 0/1; index 100 × (0.125 + 0.3) = 42.5.
    check(regions["开发区"], units=2, headcount=8, participants=2, participation_rate=0.25, attempts=3,
          average_score=60.0, pass_rate=0.0, index=42.5, rank=3)
    # 新城镇 = 戊 only (己 is retired without attempts): 1/2; 50; 0/1; index 50.
    check(regions["新城镇"], units=1, headcount=2, participants=1, participation_rate=0.5, attempts=1,
          average_score=50.0, pass_rate=0.0, index=50.0, rank=2)

    industries = by_key(league_tables.unit_figures(league.campaign.id, "industry"))
    assert set(industries) == {"危险化学品", "仓储物流", "城市建设", "未填写"}
    # 危险化学品 = 甲 + 丁: headcount 7; 2 people → 2/7; attempts 5; 80; 2/2;
    # index 100 × (0.5 × 2/7 + 0.5 × 0.8) = 14.2857… + 40 = 54.2857…
    check(industries["危险化学品"], industry="危险化学品", region="", units=2, headcount=7, participants=2,
          participation_rate=2 / 7, attempts=5, average_score=80.0, pass_rate=1.0,
          index=100 * (0.5 * 2 / 7 + 0.4), rank=1)
    # 仓储物流 = 乙 (己 not listed): as 乙, index 50; 未填写 = 戊: index 50 — a tie, rank 2 both.
    check(industries["仓储物流"], units=1, headcount=5, participants=2, index=50.0, rank=2)
    check(industries["未填写"], units=1, headcount=2, participants=1, index=50.0, rank=2, industry="未填写")
    check(industries["城市建设"], units=1, headcount=0, participation_rate=None, index=35.0, rank=4)


def test_departments_person_counts_where_last_seen_attempts_where_made(league):
    rows = league_tables.unit_figures(league.campaign.id, "department", enterprise_id=league.jia.id)
    table = by_key(rows)
    assert set(table) == {"生产部", "安全部", "仓库"}
    # a1 took K1#1 in 生产部, then moved: latest attempt (K2#2) in 安全部 → a1 counts in 安全部.
    # 安全部: headcount 1; people a1 → 1.0; attempts K1#2, K2#1, K2#2 = 3; counted K1#2 90 and
    # K2#2 60 → 75; pass 1/1; index 100 × (0.5 × 1 + 0.5 × 0.75) = 87.5.
    check(table["安全部"], units=0, enterprise_id=None, headcount=1, participants=1, participation_rate=1.0,
          attempts=3, average_score=75.0, pass_rate=1.0, index=87.5, rank=1)
    # 生产部: headcount 2; people a2 → 0.5; attempts a1 K1#1 (not counted: a1's best is K1#2) and
    # a2 K1 = 2; counted a2 90 → 90; 1/1; index 100 × (0.25 + 0.45) = 70.
    check(table["生产部"], headcount=2, participants=1, participation_rate=0.5, attempts=2,
          average_score=90.0, pass_rate=1.0, index=70.0, rank=2, counted=1)
    # 仓库: defined, nobody: zeros.
    check(table["仓库"], headcount=1, participants=0, participation_rate=0.0, attempts=0,
          average_score=None, pass_rate=None, index=0.0, rank=3)
    # People sum to the enterprise's: 1 + 1 + 0 = 2.
    assert sum(row.participants for row in rows) == 2

    # 乙's 运输队 is not in the Department table: headcount 0 → rate None. b1, b2; attempts 3;
    # counted 50, 50%, 80% → 60; 0/1; index 100 × 0.5 × 0.6 = 30.
    yi = by_key(league_tables.unit_figures(league.campaign.id, "department", enterprise_id=league.yi.id))
    assert set(yi) == {"运输队"}
    check(yi["运输队"], headcount=0, participants=2, participation_rate=None, attempts=3, average_score=60.0,
          pass_rate=0.0, index=30.0, rank=1)
    # 丙's participant gave no 部门: "未填写".
    bing = league_tables.unit_figures(league.campaign.id, "department", enterprise_id=league.bing.id)
    assert [(row.key, row.participants) for row in bing] == [("未填写", 1)]


def test_date_window_and_counted_attempt_chosen_inside_it(league):
    until = START + 24 * H
    table = by_key(league_tables.unit_figures(league.campaign.id, since=START, until=until))
    # b1's K2 attempt (+2d) is outside: 乙 attempts 2; counted 50 and 80% → 65; people still 2 (b1 via K1);
    # index 100 × (0.2 + 0.325) = 52.5 → now alone in rank 2.
    check(table["乙物流"], participants=2, attempts=2, average_score=65.0, pass_rate=0.0, index=52.5, rank=2)
    check(table["甲化工"], attempts=5, average_score=80.0, rank=1)
    check(table["戊退出"], index=50.0, rank=3)
    # until +5h30: a1's K2#2 (+6h) is outside, so K2 counts a1's K2#1 (50/50 = 100%):
    # 甲 attempts 4; (90 + 90 + 100) / 3 = 93.33…; index 100 × (0.25 + 0.5 × 0.9333…) = 71.66…
    early = by_key(league_tables.unit_figures(league.campaign.id, until=START + 5.5 * H))
    check(early["甲化工"], attempts=4, average_score=280 / 3, index=25 + 50 * 280 / 300)
    # since +3h: only attempts at or after +3h (inclusive) count.
    late = by_key(league_tables.unit_figures(league.campaign.id, since=START + 3 * H))
    # 甲: a1's K2#1, K2#2 → 1 person, 2 attempts, counted K2#2 60%; no pass mark → None.
    check(late["甲化工"], participants=1, attempts=2, average_score=60.0, pass_rate=None)
    check(late["丙建设"], participants=1, attempts=1)  # +3h is inside (since is inclusive)


def test_one_contest(league):
    k1 = by_key(league_tables.unit_figures(league.campaign.id, contest_id=league.k1.id))
    # K1 only: 甲 people 2 → 0.5, attempts 3, counted 90, 90 → 90, 2/2, index 100 × (0.25 + 0.45) = 70.
    check(k1["甲化工"], participants=2, attempts=3, average_score=90.0, pass_rate=1.0, index=70.0, rank=1)
    assert "戊退出" in k1  # retired, with a K1 attempt
    k2 = by_key(league_tables.unit_figures(league.campaign.id, contest_id=league.k2.id))
    # K2 only: 甲 a1 → 0.25, 2 attempts, latest 60%, no pass mark, index 100 × (0.125 + 0.3) = 42.5;
    # 乙 b1, b2 → 0.4, 2 attempts, (50 + 80)/2 = 65, index 100 × (0.2 + 0.325) = 52.5;
    # 丙 and 丁 nobody: index 0, tied at rank 3. 戊 (retired, nothing in K2): not listed.
    assert set(k2) == {"甲化工", "乙物流", "丙建设", "丁机械"}
    check(k2["乙物流"], participants=2, attempts=2, average_score=65.0, pass_rate=None, index=52.5, rank=1)
    check(k2["甲化工"], participants=1, participation_rate=0.25, attempts=2, average_score=60.0,
          pass_rate=None, index=42.5, rank=2)
    check(k2["丙建设"], participants=0, participation_rate=None, index=0.0, rank=3)
    check(k2["丁机械"], participants=0, participation_rate=0.0, index=0.0, rank=3)


def test_listed_contest_lists_only_its_enterprises(league):
    listed = make_contest(code="K3K3K3", title="K3", enterprises=[league.yi])
    table = by_key(league_tables.unit_figures(league.campaign.id, contest_id=listed.id))
    assert set(table) == {"乙物流"}


def test_one_enterprise_scope(league):
    rows = league_tables.unit_figures(league.campaign.id, "enterprise", enterprise_id=league.yi.id)
    assert [(row.key, row.participants, row.attempts) for row in rows] == [("乙物流", 2, 3)]


def test_weights_change_the_index_and_are_part_of_the_cache_key(league, app):
    app.config["RESULTS_CACHE_SECONDS"] = 60
    before = by_key(league_tables.unit_figures(league.campaign.id))
    assert before["甲化工"].index == pytest.approx(65.0)
    league.campaign.weight_participation = 1
    league.campaign.weight_score = 3
    db.session.commit()
    table = by_key(league_tables.unit_figures(league.campaign.id))
    # index = 100 × (1 × rate + 3 × avg/100) / 4:
    # 甲 (0.5 + 2.4)/4 = 72.5; 乙 (0.4 + 1.8)/4 = 55; 丙 (0 + 2.1)/4 = 52.5; 戊 (0.5 + 1.5)/4 = 50; 丁 0.
    assert {k: round(r.index, 6) for k, r in table.items()} == {
        "甲化工": 72.5, "乙物流": 55.0, "丙建设": 52.5, "戊退出": 50.0, "丁机械": 0.0}
    assert [r.key for r in sorted(table.values(), key=lambda r: r.rank)] == [
        "甲化工", "乙物流", "丙建设", "戊退出", "丁机械"]
    # Rates over 100% are not capped in the table, but are capped in the index.
    league.jia.headcount = 1
    db.session.commit()
    results_cache.invalidate()
    jia = by_key(league_tables.unit_figures(league.campaign.id))["甲化工"]
    # 2 people ÷ 1 = 2.0; index 100 × (1 × 1 + 3 × 0.8) / 4 = 85.
    assert jia.participation_rate == 2.0 and jia.index == pytest.approx(85.0)


def test_total_sums_and_recomputes(league):
    rows = league_tables.unit_figures(league.campaign.id)
    t = league_tables.total(rows)
    # headcount 4+5+0+3+2 = 14; people 2+2+1+0+1 = 6 → 6/14; attempts 5+3+1+0+1 = 10;
    # counted 3+3+1+0+1 = 8 with scores 90+90+60 + 50+50+80 + 70 + 50 = 540 → 67.5;
    # passed 2+0+1+0 = 3 of 2+1+1+1 = 5 → 0.6; index 100 × (0.5 × 6/14 + 0.5 × 0.675).
    check(t, key="合计", units=5, headcount=14, participants=6, participation_rate=6 / 14, attempts=10,
          counted=8, average_score=67.5, pass_rate=0.6, index=100 * (0.5 * 6 / 14 + 0.5 * 0.675), rank=0)
    # The regions' total is the same as the enterprises' total.
    t2 = league_tables.total(league_tables.unit_figures(league.campaign.id, "region"), "全区")
    assert (t2.key, t2.participants, t2.attempts, t2.headcount) == ("全区", 6, 10, 14)
    assert t2.average_score == pytest.approx(67.5)
    empty = league_tables.total([])
    assert (empty.participants, empty.participation_rate, empty.average_score, empty.pass_rate) == (0, None, None, None)


def test_individuals_per_contest_and_campaign(league):
    k1 = league_tables.individuals(league.campaign.id, contest_id=league.k1.id)
    # K1 counted: a1 90 200s +2h, a2 90 200s +2h (equal on all three → equal rank), c1 70,
    # b1 50 300s, x1 50 500s.
    assert [(r.name, r.rank, r.score, r.time_used_ms) for r in k1] == [
        ("张一", 1, 90.0, 200000), ("张二", 1, 90.0, 200000), ("王一", 3, 70.0, 100000),
        ("李一", 4, 50.0, 300000), ("赵一", 5, 50.0, 500000)]
    assert k1[0].department == "安全部" and k1[0].attempts == 2 and k1[0].contests == 1
    assert k1[0].max_score == 100.0
    # Campaign: sums of counted scores: a1 90 + 30 = 120 (200 + 90 = 290 s); a2 90; b1 50 + 25 = 75
    # (450 s); c1 70; x1 50; b2 40.
    campaign = league_tables.individuals(league.campaign.id)
    assert [(r.name, r.rank, r.score, r.contests, r.time_used_ms) for r in campaign] == [
        ("张一", 1, 120.0, 2, 290000), ("张二", 2, 90.0, 1, 200000), ("李一", 3, 75.0, 2, 450000),
        ("王一", 4, 70.0, 1, 100000), ("赵一", 5, 50.0, 1, 500000), ("李二", 6, 40.0, 1, 120000)]
    assert campaign[0].attempts == 4 and campaign[0].max_score == 150.0
    # One enterprise: its people with their campaign-wide ranks and their rank inside it.
    yi = league_tables.individuals(league.campaign.id, enterprise_id=league.yi.id)
    assert [(r.name, r.rank, r.enterprise_rank) for r in yi] == [("李一", 3, 1), ("李二", 6, 2)]
    assert [r.name for r in league_tables.individuals(league.campaign.id, limit=2)] == ["张一", "张二"]
    # Time breaks ties of the total: give 李二 a K1 attempt of 35 → 75 in 120 + 100 s = 220 s < 450 s.
    _attempt(league.k1, league.b2, 1, START + 7 * H, 35, 100, 100, "运输队", False)
    db.session.commit()
    results_cache.invalidate()
    names = [(r.name, r.rank) for r in league_tables.individuals(league.campaign.id)]
    assert names[2:4] == [("李二", 3), ("李一", 4)]


def test_empty_campaign(app):
    campaign = make_campaign()
    make_enterprise("空单位", "EMPTY1", 3)
    db.session.commit()
    results_cache.invalidate()
    rows = league_tables.unit_figures(campaign.id)
    assert [(r.key, r.participants, r.participation_rate, r.index, r.rank) for r in rows] == [
        ("空单位", 0, 0.0, 0.0, 1)]
    assert league_tables.individuals(campaign.id) == []
    assert league_tables.unit_figures(campaign.id, "region")[0].key == "未填写"


def test_bad_group(app):
    with pytest.raises(ValueError):
        league_tables.unit_figures(1, "nation")
    with pytest.raises(ValueError):
        league_tables.unit_figures(1, "department")
