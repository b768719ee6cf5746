"""Voiding (作废) and the contest's participants list (issue 15, part D, "Organisers can clean
up"): a voided attempt or person leaves every table, ranking, report, export and the public
board, the cached figures are dropped, restoring brings them back, each action is audited;
the list's filters; who may see and do what.

Data: the ``league`` set of tests/test_league_tables.py (K1: 张一 ×2, 张二, 李一, 王一, 赵一
submitted; 张三 open).
"""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quiz.league import tables as league_tables
from quiz.reports import data as report_data
from quiz import results_cache
from quiz.contests import standings
from quiz.extensions import db
from quiz.models import Attempt, AuditEntry, Participant, RosterPerson, User

from .conftest import START, csrf_token, staff_client
from .test_league_tables import build_league, by_key


@pytest.fixture
def league(app):
    app.config["RESULTS_CACHE_SECONDS"] = 60  # figures stay cached unless voiding drops them
    return build_league()


@pytest.fixture
def organiser(app):
    return staff_client(app, "organiser", "organiser")


def list_url(d, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/admin/contests/{d.k1.id}/participants" + (f"?{query}" if query else "")


def attempt_of(d, person, contest=None) -> Attempt:
    return db.session.scalar(select(Attempt).where(Attempt.participant_id == person.id,
                                                   Attempt.contest_id == (contest or d.k1).id)
                             .order_by(Attempt.number))


def post(client, d, path, **data):
    token = csrf_token(client, list_url(d))
    return client.post(f"/admin/contests/{d.k1.id}/participants/{path}", data={"csrf_token": token, **data})


def what_everyone_sees(client, d) -> dict:
    """Who is in each table, report, export and the board, as the organiser sees them."""
    campaign = d.campaign.id
    jia = by_key(league_tables.unit_figures(campaign, "enterprise"))["甲化工"]
    stats = load_workbook(io.BytesIO(client.get(f"/admin/reports/{campaign}/statistics.xlsx").data))["统计表"]
    stats_jia = next(row for row in stats.iter_rows(min_row=3, values_only=True) if row[1] == "甲化工")
    export = load_workbook(io.BytesIO(client.get(f"/admin/league/{campaign}/individuals.xlsx?contest={d.k1.id}").data)).active
    return dict(
        league_participants=jia.participants,
        league_attempts=jia.attempts,
        contest_ranking=[r.name for r in league_tables.individuals(campaign, contest_id=d.k1.id)],
        standings=[r.name for r in standings.individuals(d.k1)],
        board="张二" in client.get("/j/K1K1K1/board").get_data(as_text=True),
        report_participants=stats_jia[5],
        report_daily=sum(day.attempts for day in report_data.daily_participation(campaign)),
        report_scores=sum(report_data.score_distribution(campaign)),
        export=[row[2] for row in export.iter_rows(min_row=4, values_only=True) if row[2]],
        page="张二" in client.get(f"/admin/league/{campaign}/individuals?contest={d.k1.id}").get_data(as_text=True),
    )


def test_a_voided_attempt_leaves_every_table_and_comes_back_when_restored(app, league, organiser):
    before = what_everyone_sees(organiser, league)  # …and now it is cached
    assert before["league_participants"] == 2 and "张二" in before["contest_ranking"] and before["board"]
    attempt = attempt_of(league, league.a2)
    response = post(organiser, league, f"attempts/{attempt.id}/void", reason="代答，经核实")
    assert response.status_code == 303
    assert "已作废" in organiser.get(response.headers["Location"]).get_data(as_text=True)
    after = what_everyone_sees(organiser, league)
    assert after == dict(before, league_participants=1, league_attempts=before["league_attempts"] - 1,
                         contest_ranking=[n for n in before["contest_ranking"] if n != "张二"],
                         standings=[n for n in before["standings"] if n != "张二"], board=False,
                         report_participants=1, report_daily=before["report_daily"] - 1,
                         report_scores=before["report_scores"] - 1,
                         export=[n for n in before["export"] if n != "张二"], page=False)
    assert db.session.get(Attempt, attempt.id).voided_at == START
    response = post(organiser, league, f"attempts/{attempt.id}/restore")
    assert response.status_code == 303
    assert what_everyone_sees(organiser, league) == before
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    organiser_id = db.session.scalar(select(User.id).where(User.username == "organiser"))
    assert [(e.action, e.attempt_id, e.participant_id, e.user_id, e.reason) for e in entries] == [
        ("void_attempt", attempt.id, league.a2.id, organiser_id, "代答，经核实"),
        ("restore_attempt", attempt.id, league.a2.id, organiser_id, ""),
    ]
    page = organiser.get(list_url(league)).get_data(as_text=True)
    assert "作废答题" in page and "代答，经核实" in page and "恢复答题" in page


def test_a_voided_person_takes_all_their_attempts_out(app, league, organiser):
    campaign = league.campaign.id
    assert "张一" in [r.name for r in league_tables.individuals(campaign)]
    response = post(organiser, league, f"people/{league.a1.id}/void", reason="冒名顶替")
    assert response.status_code == 303
    assert "张一" not in [r.name for r in league_tables.individuals(campaign)]
    jia = by_key(league_tables.unit_figures(campaign, "enterprise"))["甲化工"]
    assert (jia.participants, jia.attempts) == (1, 1)  # only 张二 left (张三 never submitted)
    assert "张一" not in [r.name for r in standings.individuals(league.k2)]
    post(organiser, league, f"people/{league.a1.id}/restore")
    assert "张一" in [r.name for r in league_tables.individuals(campaign)]
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "void_participant", "restore_participant"]


def test_voiding_needs_a_reason_and_stores_nothing_without_one(league, organiser):
    attempt = attempt_of(league, league.a2)
    response = post(organiser, league, f"attempts/{attempt.id}/void", reason="   ")
    assert response.status_code == 303
    assert "请填写作废原因" in organiser.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).voided_at is None
    assert db.session.scalar(select(AuditEntry.id)) is None


def flagged(client, d, **filters) -> list[str]:
    page = client.get(list_url(d, **filters)).get_data(as_text=True)
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return sorted(re.findall(r"<tr[^>]*>\s*<td>([^<]*)</td>", body))


def test_the_participants_list_filters(app, league, organiser):
    app.config["PARTICIPANTS_SHARED_ADDRESS_MIN"] = 2  # "more than 2 attempts from one address"
    for person in (league.a1, league.a2, league.b1):
        attempt_of(league, person).client_address = "10.1.1.1"
    attempt_of(league, league.c1).client_address = "10.2.2.2"
    attempt_of(league, league.x1).time_used_ms = 9_000  # 5 questions in 9 s: under 2 s each
    roster_person = RosterPerson(enterprise_id=league.jia.id, name="张一", staff_no="J001", created_at=START,
                                 updated_at=START)
    db.session.add(roster_person)
    db.session.flush()
    db.session.get(Participant, league.a1.id).roster_person_id = roster_person.id
    db.session.get(Participant, league.a2.id).identifier = "13812345678"
    db.session.commit()
    everyone = flagged(organiser, league)
    assert everyone == sorted(["张一", "张一", "张二", "张三", "李一", "王一", "赵一"])
    # 甲 has a roster: 张二 and 张三 are 名单外 (张一 is matched).
    assert flagged(organiser, league, off_roster=1) == ["张三", "张二"]
    assert flagged(organiser, league, shared_address=1) == ["张一", "张二", "李一"]
    assert flagged(organiser, league, too_fast=1) == ["赵一"]
    assert flagged(organiser, league, voided=1) == []
    post(organiser, league, f"attempts/{attempt_of(league, league.b1).id}/void", reason="重复")
    assert flagged(organiser, league, voided=1) == ["李一"]
    assert flagged(organiser, league, voided=1, shared_address=1) == ["李一"]
    page = organiser.get(list_url(league)).get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page  # the phone is masked
    assert "用时过短" in page and "同一地址" in page and "名单外" in page


def test_names_are_escaped(league, organiser):
    db.session.get(Participant, league.a2.id).name = "<script>x</script>"
    db.session.commit()
    page = organiser.get(list_url(league)).get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_change_device_frees_the_open_attempt_for_a_new_phone(app, league):
    open_attempt = attempt_of(league, league.a3)
    open_attempt.device = "old-phone"
    db.session.commit()
    jia_admin = staff_client(app, "jia-admin", "enterprise_admin", league.jia)
    page = jia_admin.get(list_url(league)).get_data(as_text=True)
    assert "换手机" in page and "作废答题" not in page  # voiding is the organiser's
    response = post(jia_admin, league, f"attempts/{open_attempt.id}/change-device")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Attempt, open_attempt.id).device is None
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.attempt_id, entry.participant_id) == ("change_device", open_attempt.id, league.a3.id)


def test_the_access_walk(app, league, client):
    attempt = attempt_of(league, league.a2)
    open_attempt = attempt_of(league, league.a3)
    open_attempt.device = "old-phone"
    db.session.commit()
    yi_admin = staff_client(app, "yi-admin", "enterprise_admin", league.yi)
    jia_admin = staff_client(app, "jia-admin", "enterprise_admin", league.jia)
    # Another enterprise's admin reaches the campaign contest's list from the league page…
    league_page = yi_admin.get(f"/admin/league/{league.campaign.id}/individuals?contest={league.k1.id}")
    assert list_url(league) in league_page.get_data(as_text=True)
    # …and sees its own people only there…
    page = yi_admin.get(list_url(league)).get_data(as_text=True)
    assert "李一" in page and "张二" not in page and "张三" not in page
    # …and cannot void, restore, void a person or move 甲's person to another phone.
    token = csrf_token(yi_admin, list_url(league))
    base = f"/admin/contests/{league.k1.id}/participants"
    for path in (f"attempts/{attempt.id}/void", f"attempts/{attempt.id}/restore", f"people/{league.a2.id}/void",
                 f"people/{league.a2.id}/restore", f"attempts/{open_attempt.id}/change-device"):
        assert yi_admin.post(f"{base}/{path}", data={"csrf_token": token, "reason": "x"}).status_code == 403, path
        assert jia_admin.post(f"{base}/{path}", data={"csrf_token": csrf_token(jia_admin, list_url(league)),
                                                      "reason": "x"}).status_code in (403, 303), path
    # The enterprise admin of the person may 换手机 only; voiding stays refused.
    assert jia_admin.post(f"{base}/attempts/{attempt.id}/void",
                          data={"csrf_token": csrf_token(jia_admin, list_url(league)), "reason": "x"}).status_code == 403
    # An internal contest of 甲: not even the list for 乙's admin.
    from .conftest import make_contest
    internal = make_contest(code="JIAIN1", title="甲内部", enterprise_id=league.jia.id)
    assert yi_admin.get(f"/admin/contests/{internal.id}/participants").status_code == 403
    assert jia_admin.get(f"/admin/contests/{internal.id}/participants").status_code == 200
    # A stranger: the login page for the list and for every action; nothing changes.
    assert client.get(list_url(league)).status_code in (302, 303)
    token = csrf_token(client, "/admin/login")
    for path in (f"attempts/{attempt.id}/void", f"people/{league.a2.id}/void",
                 f"attempts/{attempt.id}/restore", f"attempts/{open_attempt.id}/change-device"):
        assert client.post(f"{base}/{path}", data={"csrf_token": token, "reason": "x"}).status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).voided_at is None
    assert db.session.get(Participant, league.a2.id).voided_at is None
    # 甲's own admin did move its person's open attempt (the one action it may take).
    assert db.session.get(Attempt, open_attempt.id).device is None
    assert [e.action for e in db.session.scalars(select(AuditEntry))] == ["change_device"]


def test_a_voided_attempts_certificate_is_no_longer_valid(app, league, organiser):
    attempt = attempt_of(league, league.a2)
    db.session.get(Attempt, attempt.id).certificate_no = "SQVOIDTEST1"
    db.session.commit()
    assert "该证书真实有效" in organiser.get("/cert/SQVOIDTEST1").get_data(as_text=True)
    post(organiser, league, f"attempts/{attempt.id}/void", reason="代答")
    page = organiser.get("/cert/SQVOIDTEST1")
    assert page.status_code == 410
    assert "已作废" in page.get_data(as_text=True) and "真实有效" not in page.get_data(as_text=True)
    refused = organiser.get(f"/a/{attempt.id}/certificate.pdf")
    assert refused.status_code == 410 and "证书不再有效" in refused.get_data(as_text=True)
    post(organiser, league, f"attempts/{attempt.id}/restore")
    assert "该证书真实有效" in organiser.get("/cert/SQVOIDTEST1").get_data(as_text=True)
    # A voided person's certificates end too.
    post(organiser, league, f"people/{league.a2.id}/void", reason="冒名顶替")
    assert organiser.get("/cert/SQVOIDTEST1").status_code == 410
