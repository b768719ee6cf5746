"""Access control, tested by walking every staff URL of the app.

Every rule under /admin (and a participant's own attempt pages) is requested, with GET and
POST, plain and as htmx, as an anonymous visitor and as the admin of another enterprise.
Each must be refused — 403 or a redirect to the login page — or, for pages an enterprise
admin may open (its own contests, rounds, league and reports), show nothing of the other
enterprise: not its name, its contest, its people, its departments or its live round, in
HTML, SVG or inside an .xlsx. Nothing stored may change.

The walk reads the URL map, so a new route is walked the day it is added; a route with an
argument this test does not know how to fill fails the test until it is taught here.
"""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import select, text

from quiz.live import rules as live_rules
from quiz.stagecontest import rules as stage_rules
from quiz.extensions import db
from quiz.models import Attempt, Campaign, Department, Question, RosterPerson, User

from .conftest import START, Phone, csrf_token, make_contest, make_enterprise, staff_client

# Strings that belong to enterprise A only; none may reach B's admin or an anonymous visitor.
MARKERS = ("甲方机密单位", "甲方内部竞赛", "王甲秘", "甲方机密车间", "甲方现场赛")

# Blueprints an enterprise admin works in (with its own things only); everything else under
# /admin is the organiser's alone.
ADMIN_BLUEPRINTS = ("contests.", "live.", "stage.", "league.", "reports.", "roster.", "dashboard.")
ADMIN_ENDPOINTS = {"auth.logout", "auth.login"}
PUBLIC_ADMIN = {"auth.login"}


def login(app, username: str, role: str = "enterprise_admin", enterprise=None):
    return staff_client(app, username, role, enterprise)


def build_world(app):
    """Enterprise A with an internal contest, a submitted attempt, a department and a live
    round; enterprise B with its admin."""
    a = make_enterprise("甲方机密单位", "JIA1", 20, region="甲镇", industry="危险化学品")
    b = make_enterprise("乙方单位", "YI02", 20, region="乙镇", industry="仓储物流")
    db.session.add(Department(enterprise_id=a.id, name="甲方机密车间", headcount=5))
    db.session.add(RosterPerson(enterprise_id=a.id, name="王甲秘", staff_no="JIA0001", phone="13900000001",
                                department="甲方机密车间", created_at=START, updated_at=START))
    contest = make_contest(code="JIA001", title="甲方内部竞赛", question_count=3, enterprise_id=a.id)
    contest.open_to_all = False
    db.session.commit()
    clients = dict(own_admin=login(app, "jia-admin", enterprise=a),
                   other_admin=login(app, "yi-admin", enterprise=b),
                   organiser=login(app, "organiser", "organiser"))
    admin_a = db.session.scalar(select(User).where(User.username == "jia-admin"))

    phone = Phone(app)
    attempt_id = phone.attempt_id(phone.sign_up("JIA001", name="王甲秘", identifier="13900000001",
                                                 enterprise=a.id, department="甲方机密车间"))
    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)

    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(3)))
    round_ = live_rules.create_round(admin_a.id, "甲方现场赛", questions, START, enterprise_id=a.id)
    db.session.flush()
    player = live_rules.join(round_, a, "王甲秘", "甲方机密车间", START)
    stage = stage_rules.create_contest(admin_a.id, "甲方现场赛·决赛", START, enterprise_id=a.id)
    stage_team = stage_rules.add_team(stage, "甲方机密车间队", "甲方机密单位", "王甲秘、李四")
    db.session.commit()
    campaign = db.session.scalar(select(Campaign))
    return dict(
        a=a, contest=contest, attempt_id=attempt_id, round=round_, player=player, stage=stage,
        stage_team=stage_team,
        participant_id=db.session.get(Attempt, attempt_id).participant_id,
        campaign=campaign, question=questions[0], admin_a=admin_a, **clients,
        department=db.session.scalar(select(Department).where(Department.enterprise_id == a.id)),
        person=db.session.scalar(select(RosterPerson).where(RosterPerson.enterprise_id == a.id)),
    )


def argument_values(name: str, world: dict) -> list[str]:
    """What to put in a URL argument: always something of enterprise A where it names a thing."""
    values = {
        "contest_id": [world["contest"].id],
        "code": [world["contest"].code],
        "round_id": [world["round"].id],
        "code": [world["round"].code],
        "stage_id": [world["stage"].id],
        "team_id": [world["stage_team"].id],
        "player_id": [world["player"].id],
        "attempt_id": [world["attempt_id"]],
        "participant_id": [world["participant_id"]],
        "enterprise_id": [world["a"].id],
        "department_id": [world["department"].id],
        "person_id": [world["person"].id],
        "user_id": [world["admin_a"].id],
        "question_id": [world["question"].id],
        "category_id": [world["question"].category_id],
        "campaign_id": [world["campaign"].id],
        "token": ["not-a-token"],
        "fmt": ["png", "svg", "pdf"],
        "table": ["individuals", "enterprises", "regions", "industries", "departments"],
        "chart": ["daily", "scores"],
        "name": ["daily", "scores"],
        "action": ["retire", "restore", "void"],
        "code": [world["contest"].code],
        "enterprise_code": [world["a"].code],
        "number": ["NO-SUCH-CERT"],
    }
    assert name in values, f"the access walk does not know how to fill <{name}>: teach argument_values()"
    return [str(v) for v in values[name]]


# Arguments that name a thing of enterprise A: a URL with one of them is always refused to B.
OWNED = {"contest_id", "round_id", "stage_id", "team_id", "player_id", "attempt_id", "participant_id", "enterprise_id",
         "department_id", "user_id", "question_id", "token", "person_id"}


def urls(app, world):
    """(endpoint, url, methods, owned) for every staff rule, every way of filling it."""
    from itertools import product

    found = []
    for rule in app.url_map.iter_rules():
        staff = rule.rule.startswith("/admin") or rule.rule.startswith("/a/")
        if not staff or rule.endpoint in PUBLIC_ADMIN:
            continue
        names = sorted(rule.arguments)
        choices = [argument_values(n, world) for n in names]
        for combo in product(*choices):
            values = dict(zip(names, combo))
            try:
                path = rule.build(values, append_unknown=False)[1]
            except Exception:  # noqa: BLE001 - e.g. a converter refusing "pdf" for png|svg
                continue
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            found.append((rule.endpoint, path, methods, bool(OWNED & set(names))))
    return found


def readable(response) -> str:
    """The text a person would see in the response, .xlsx included."""
    data = response.get_data()
    if data[:2] == b"PK":  # .xlsx: every cell of every sheet (XML may escape any character)
        book = load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(str(value) for sheet in book.worksheets
                        for row in sheet.iter_rows(values_only=True) for value in row if value is not None)
    return data.decode("utf-8", "replace")


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
    return response.status_code in (301, 302, 303) and "/admin/login" in location


def dump() -> dict:
    """Every row of every table: the walk must leave the database exactly as it found it."""
    db.session.expire_all()
    return {t.name: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{t.name}"')).all()))
            for t in db.metadata.sorted_tables}


def requests(client, path, methods):
    token = None
    for method in methods:
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            if method == "GET":
                yield method, htmx, client.get(path, headers=headers)
            else:
                token = token or csrf_token(client, "/admin/login")
                headers["X-CSRFToken"] = token
                yield method, htmx, client.post(path, data={"csrf_token": token, "action": "start"},
                                                headers=headers)


def test_every_staff_url_refuses_strangers(app, clock):
    world = build_world(app)
    walk = urls(app, world)
    assert len(walk) > 30, "the URL map looks too small: is every blueprint registered?"
    before = dump()
    anonymous = app.test_client()
    other_admin = world["other_admin"]
    problems = []
    for endpoint, path, methods, owned in walk:
        for method, htmx, response in requests(anonymous, path, methods):
            if not refused(response):
                problems.append(f"anonymous {method}{' htmx' if htmx else ''} {path}: {response.status_code}")
        admin_may_open = endpoint.startswith(ADMIN_BLUEPRINTS) or endpoint in ADMIN_ENDPOINTS
        if endpoint == "auth.logout":
            continue  # it would end the walker's own session (and replace its login token)
        for method, htmx, response in requests(other_admin, path, methods):
            if refused(response):
                continue
            if owned or not admin_may_open:
                problems.append(f"other admin {method}{' htmx' if htmx else ''} {path}: {response.status_code}")
                continue
            leaked = [m for m in MARKERS if m in readable(response)]
            if leaked or response.status_code >= 500:
                problems.append(f"other admin {method} {path}: {response.status_code} shows {leaked}")
        if not owned and (endpoint.startswith(ADMIN_BLUEPRINTS)) and "GET" in methods:
            # Asking for A's things by query string changes nothing either.
            a, contest = world["a"].id, world["contest"].id
            for query in (f"enterprise={a}", f"contest={contest}", f"enterprise={a}&contest={contest}"):
                for htmx in (False, True):
                    response = other_admin.get(f"{path}?{query}",
                                               headers={"HX-Request": "true"} if htmx else {})
                    leaked = [m for m in MARKERS if m in readable(response)]
                    if not refused(response) and (leaked or response.status_code >= 500):
                        problems.append(f"other admin GET {path}?{query}: {response.status_code} shows {leaked}")
    assert not problems, "\n".join(problems)
    assert dump() == before


def test_the_walk_would_see_a_leak(app, clock):
    """The walk's own check: A's admin and the organiser do see A's things on these pages."""
    world = build_world(app)
    own_admin, organiser = world["own_admin"], world["organiser"]
    for client in (own_admin, organiser):
        page = readable(client.get(f"/admin/contests/{world['contest'].id}"))
        assert "甲方内部竞赛" in page
        assert "甲方现场赛" in readable(client.get(f"/admin/live/{world['round'].id}"))
        assert not refused(client.get(f"/a/{world['attempt_id']}/result"))
        assert "王甲秘" in readable(client.get(f"/admin/enterprises/{world['a'].id}/roster/export.xlsx"))
        assert "甲方机密车间" in readable(client.get(f"/admin/absentees?enterprise={world['a'].id}"))
    assert "甲方机密单位" in readable(organiser.get("/admin/enterprises"))
    assert re.search("王甲秘", readable(organiser.get(f"/admin/live/{world['round'].id}/export.xlsx")))
