"""Every page renders without an undefined value.

Jinja prints an undefined name as nothing: a template reading a column a migration renamed
showed "每题 分" for months. Here the Jinja environment's ``undefined`` is StrictUndefined, and
every GET route of the URL map is requested — with ids of real rows for its <int:...> parts —
as an organiser, as an enterprise admin and as a phone, plain and as an htmx fragment. Any
undefined value fails the test with the URL that showed it.

The walk reads the URL map, so a new route is walked the day it is added; a route with an
argument this test does not know how to fill fails the test until it is taught here.
"""
from __future__ import annotations

from itertools import product

from jinja2 import StrictUndefined, UndefinedError
from sqlalchemy import select

from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.models import Attempt, Category, Question

from .conftest import Phone, make_contest
from .test_access_walk import argument_values, build_world


def _world(app):
    """The access walk's world (enterprise A: an internal contest with a submitted attempt, a
    department, a roster person, a live round), plus a campaign contest timed per question
    with a pass mark, attempts, a leave limit and draw rules, where a phone has a submitted
    attempt and an open one."""
    world = build_world(app)
    categories = list(db.session.scalars(select(Category).order_by(Category.position)))[:2]
    contest = make_contest(
        code="STRICT1", title="严格渲染竞赛", question_count=3, per_question_seconds=20, pass_score=0,
        max_attempts=2, leave_limit=3, categories=categories,
        draw_rules=[{"category_id": categories[0].id, "qtype": "judge", "count": 2, "difficulty": None},
                    {"category_id": categories[1].id, "qtype": "single", "count": 1, "difficulty": None}],
    )
    phone = Phone(app)
    first = phone.attempt_id(phone.sign_up("STRICT1", name="李四", identifier="13700000001",
                                           enterprise=world["a"].id, department="甲方机密车间"))
    assert phone.post(f"/a/{first}/submit").status_code in (204, 303)
    second = phone.attempt_id(phone.post(f"/a/{first}/again"))
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(2)))
    admin = world["admin_a"]
    round_ = live_rules.create_round(admin.id, "严格渲染现场赛", questions, contest.opens_at)
    db.session.commit()
    world.update(strict_contest=contest, phone=phone, submitted=first, open_attempt=second,
                 campaign_round=round_)
    return world


def _values(name: str, world: dict) -> list[str]:
    """Real values for every argument: the access walk's, and the public pages' codes."""
    public = {
        "code": [world["contest"].code, world["strict_contest"].code, world["round"].code],
        "enterprise_code": [world["a"].code],
        "number": [db.session.get(Attempt, world["submitted"]).certificate_no or "SQNONE"],
        "category_id": [db.session.scalar(select(Category.id).order_by(Category.position))],
        "filename": [],  # static files: not templates
    }
    if name in public:
        return [str(v) for v in public[name]]
    found = argument_values(name, world)
    if name == "contest_id":
        found.append(str(world["strict_contest"].id))
    if name == "attempt_id":
        found += [str(world["submitted"]), str(world["open_attempt"])]
    if name == "round_id":
        found.append(str(world["campaign_round"].id))
    return found


def _paths(app, world):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        for combo in product(*(_values(n, world) for n in names)):
            try:
                yield rule.endpoint, rule.build(dict(zip(names, combo)), append_unknown=False)[1]
            except Exception:  # noqa: BLE001 - a converter refusing a value (png|svg vs "pdf")
                continue


def _render(client, path: str, htmx: bool) -> int:
    """Request the page; for an event stream, its first event (where its template renders)."""
    response = client.get(path, headers={"HX-Request": "true"} if htmx else {})
    if response.mimetype == "text/event-stream":
        stream = iter(response.response)
        next(stream, None)
        response.close()
    else:
        response.get_data()
    return response.status_code


def test_every_page_renders_without_an_undefined_value(app, clock):
    world = _world(app)
    app.jinja_env.undefined = StrictUndefined
    viewers = {"organiser": world["organiser"], "enterprise admin": world["own_admin"],
               "phone": world["phone"].client}
    problems, walked = [], 0
    for endpoint, path in _paths(app, world):
        for (who, client), htmx in product(viewers.items(), (False, True)):
            walked += 1
            try:
                status = _render(client, path, htmx)
            except UndefinedError as error:
                problems.append(f"{who}{' htmx' if htmx else ''} GET {path} ({endpoint}): {error}")
                continue
            # A missing font is the certificate's honest 503; anything else 5xx is a fault.
            if status >= 500 and not (endpoint == "participant.certificate" and status == 503):
                problems.append(f"{who}{' htmx' if htmx else ''} GET {path} ({endpoint}): {status}")
    assert walked > 200, "the walk looks too small: is every blueprint registered?"
    assert not problems, "\n".join(problems)
