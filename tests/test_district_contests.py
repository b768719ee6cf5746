"""Enterprise admins and the district's (the organiser's campaign) contests that admit their
enterprise: they see their own staff's results, print their own poster and read their own
未参与名单 — never edit, void, or see another enterprise's people."""
from __future__ import annotations

from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Attempt, AuditEntry, RosterPerson

from .conftest import START, csrf_token, make_contest, staff_client

OTHERS = "这是其他单位的竞赛"


def world(app, enterprises, new_phone):
    hg, wl, _ = enterprises
    district = make_contest(code="DIST01", title="全区安全知识竞赛")
    listed = make_contest(code="LIST01", title="化工与物流专场", enterprises=[hg, wl])
    elsewhere = make_contest(code="WLONLY", title="物流专场", enterprises=[wl])
    db.session.add(RosterPerson(enterprise_id=hg.id, name="周未答", staff_no="HG0099", department="仓库",
                                created_at=START, updated_at=START))
    db.session.commit()
    ids = {}
    for name, identifier, unit in (("张化工", "13800000001", hg), ("李物流", "13800000002", wl)):
        phone = new_phone()
        ids[name] = phone.attempt_id(phone.sign_up("DIST01", name=name, identifier=identifier, enterprise=unit.id))
        assert phone.post(f"/a/{ids[name]}/submit").status_code in (204, 303)
    admin = staff_client(app, "hg-admin", enterprise=hg)
    return dict(hg=hg, wl=wl, district=district, listed=listed, elsewhere=elsewhere, admin=admin, ids=ids)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_admin_sees_the_district_contests_that_admit_it(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    admin, hg, wl = w["admin"], w["hg"], w["wl"]
    listing = text(admin.get("/admin/contests/"))
    assert "DIST01" in listing and "LIST01" in listing and "WLONLY" not in listing
    assert "组织者发布（只读）" in listing
    for contest in (w["district"], w["listed"]):
        response = admin.get(f"/admin/contests/{contest.id}")
        page = text(response)
        assert response.status_code == 200 and OTHERS not in page
        assert "只读" in page and f"poster?e={hg.code}" in page
        # Its own poster only: not the general one, not the other units'.
        assert wl.name not in page and wl.code not in page and f"/admin/contests/{contest.id}/poster\"" not in page
    page = text(admin.get(f"/admin/contests/{w['district'].id}"))
    assert "1 人交卷" in page  # its own staff's figures: 张化工, not 李物流


def test_own_poster_and_qr_code(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    admin, hg, wl, district = w["admin"], w["hg"], w["wl"], w["district"]
    for path in (f"/admin/contests/{district.id}/poster?e={hg.code}", f"/admin/contests/{district.id}/poster",
                 f"/admin/contests/{district.id}/poster?e={hg.code.lower()}"):
        response = admin.get(path)
        page = text(response)
        assert response.status_code == 200, path
        assert OTHERS not in page and f"{hg.name} 专用" in page and f"/j/DIST01/{hg.code}" in page
    for fmt in ("png", "svg"):
        assert admin.get(f"/admin/contests/{district.id}/qr.{fmt}?e={hg.code}").status_code == 200
        assert admin.get(f"/admin/contests/{district.id}/qr.{fmt}?e={wl.code}").status_code == 403
    response = admin.get(f"/admin/contests/{district.id}/poster?e={wl.code}")
    assert response.status_code == 403 and wl.name not in text(response)


def test_results_and_absentees_show_only_its_own_people(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    admin, district = w["admin"], w["district"]
    for path in (f"/admin/contests/{district.id}/participants",
                 f"/admin/league/{district.campaign_id}/individuals?contest={district.id}"):
        response = admin.get(path)
        page = text(response)
        assert response.status_code == 200, path
        assert "张化工" in page and "李物流" not in page and w["wl"].name not in page, path
    page = text(admin.get(f"/admin/absentees?contest={district.id}"))
    assert "周未答" in page and "李物流" not in page
    # The own unit's poster of the district contest, to print it again for those absent.
    assert f"/admin/contests/{district.id}/poster?e={w['hg'].code}" in page


def test_no_edit_no_void_no_whole_board(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    admin, district = w["admin"], w["district"]
    mine = db.session.get(Attempt, w["ids"]["张化工"])
    token = csrf_token(admin, "/admin/contests/")
    base = f"/admin/contests/{district.id}/participants"
    for path in (f"{base}/attempts/{mine.id}/void", f"{base}/people/{mine.participant_id}/void",
                 f"{base}/attempts/{mine.id}/restore"):
        response = admin.post(path, data={"csrf_token": token, "reason": "试试"})
        assert response.status_code == 403, path
    db.session.expire_all()
    assert db.session.get(Attempt, mine.id).voided_at is None
    assert db.session.scalar(select(AuditEntry)) is None
    # The whole board ranks every unit's people: the organiser's, read-only here.
    response = admin.get(f"/admin/contests/{district.id}/board")
    assert response.status_code == 403 and "只能查看" in text(response) and "李物流" not in text(response)


def test_contests_that_do_not_admit_it_stay_closed(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    admin, elsewhere, wl = w["admin"], w["elsewhere"], w["wl"]
    internal = make_contest(code="WLIN01", title="物流内部赛", enterprise_id=wl.id, enterprises=[wl])
    for contest in (elsewhere, internal):
        for path in ("", "/poster", f"/poster?e={wl.code}", "/qr.png", "/participants", "/board"):
            response = admin.get(f"/admin/contests/{contest.id}{path}")
            assert response.status_code == 403, (contest.code, path)
            assert contest.title not in text(response)


def test_organiser_keeps_the_whole_contest(app, enterprises, new_phone):
    w = world(app, enterprises, new_phone)
    organiser = staff_client(app, "boss", role="organiser")
    district = w["district"]
    page = text(organiser.get(f"/admin/contests/{district.id}"))
    assert "通用（参赛者自选单位）" in page and w["wl"].name in page and w["hg"].name in page and "只读" not in page
    page = text(organiser.get(f"/admin/contests/{district.id}/participants"))
    assert "张化工" in page and "李物流" in page
    assert organiser.get(f"/admin/contests/{district.id}/board").status_code == 200
