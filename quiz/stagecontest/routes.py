"""The on-stage team contest: the host's console, the projector's stage, the buzzer phones.

Views are thin: the rules are in ``rules``. Each screen is one view serving the full page
or, to htmx and to its event stream, the fragment the page includes.

Fairness: a press is stamped with ``clock.now()`` taken by the first before-request
function of the app (before the CSRF check, the chores and the view), see
docs/stage-contest.md.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock, downloads, qr
from ..contests.draws import drawable
from ..errors import NotFound, QuizError
from ..extensions import db, htmx
from ..live import rules as live_rules
from ..models import (
    RISK_STAKES, SEGMENT_LABELS, Category, Enterprise, LiveRound, Question, StageContest, StageItem, StageTeam,
)
from ..web import db_int, managed, public_url, staff_required
from . import push, rules
from ..i18n import N_  # marks a message for extraction; translated where shown


# The segments (SEGMENT_LABELS, kept in Chinese in the model), translated where shown.
SEGMENT_IDS = (N_("必答题"), N_("抢答题"), N_("风险题"), N_("观众题"))


bp = Blueprint("stage", __name__, template_folder="templates")

BUZZERS_KEY = "stage_buzzers"  # team id → this phone's device token, in the signed session cookie


@bp.record_once
def _stamp_first(state) -> None:
    """The receive time of a press: the first thing the app does with a request (after
    Werkzeug/gunicorn parsed it and the session cookie was opened)."""
    app = state.app

    def stamp():
        if request.endpoint == "stage.press":
            g.stage_received_at = clock.now()

    app.before_request_funcs.setdefault(None, []).insert(0, stamp)


# ====================================================================== tokens


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="stage-buzzer")


def buzzer_token(team: StageTeam) -> str:
    return _signer().dumps([team.contest_id, team.id])


def buzzer_url(team: StageTeam) -> str:
    return public_url(url_for("stage.buzzer", token=buzzer_token(team)))


def _team_by_token(token: str) -> tuple[StageContest, StageTeam]:
    try:
        contest_id, team_id = _signer().loads(token)
        team = db.session.get(StageTeam, int(team_id))
    except (BadSignature, ValueError, TypeError):
        raise NotFound(_("抢答器链接无效，请重新扫描主持人给出的二维码。"))
    if team is None or team.contest_id != contest_id:
        raise NotFound(_("抢答器链接无效，请重新扫描主持人给出的二维码。"))
    return db.session.get(StageContest, contest_id), team


def _device(team: StageTeam) -> str | None:
    return session.get(BUZZERS_KEY, {}).get(str(team.id))


def _remember(team: StageTeam, device: str) -> None:
    buzzers = dict(session.get(BUZZERS_KEY, {}))
    buzzers[str(team.id)] = device
    session[BUZZERS_KEY] = buzzers
    session.permanent = True


def _bound(token: str) -> tuple[StageContest, StageTeam]:
    """The team whose buzzer this phone is (403 for any other phone)."""
    contest, team = _team_by_token(token)
    device = _device(team)
    if not device or team.device is None or not secrets.compare_digest(device, team.device):
        raise QuizError(_("这部手机不是该队的抢答器。"), status=403)
    return contest, team


# ====================================================================== buzzer phones


def buzzer_fragment(contest: StageContest, team: StageTeam, now: datetime, message: str | None = None):
    state = rules.buzzer_state(contest, team, now)
    html = render_template("stage/_buzzer.html", contest=contest, team=team, state=state, message=message,
                           score=rules.team_score(contest, team.id), token=buzzer_token(team))
    return html, state["until"]


@bp.route("/stage/b/<token>", methods=["GET", "POST"])
def buzzer(token: str):
    contest, team = _team_by_token(token)
    device = _device(team)
    if not (device and team.device == device):
        code = request.form.get("code", "") if request.method == "POST" else ""
        if team.device is None or request.method == "POST":
            try:
                device = rules.bind_buzzer(contest, team, device, code)
            except QuizError as refused:
                db.session.rollback()
                return render_template("stage/claim.html", contest=contest, team=team, message=refused.message), 409
            db.session.commit()
            push.publish(contest.id)
            _remember(team, device)
            return redirect(url_for(".buzzer", token=token), 303)
        return render_template("stage/claim.html", contest=contest, team=team, message=None), 409
    html, _until = buzzer_fragment(contest, team, clock.now())
    if htmx:
        return html
    return render_template("stage/buzzer.html", contest=contest, team=team, stage=html, token=token)


@bp.post("/stage/b/<token>/press")
def press(token: str):
    received = g.get("stage_received_at") or clock.now()
    contest, team = _bound(token)
    message, status = None, 200
    try:
        rules.press(contest, team, received)
        db.session.commit()
        push.publish(contest.id)
    except IntegrityError:  # the same phone, twice at once: the unique constraint decides
        db.session.rollback()
        message, status = _("本题已经按过抢答器。"), 409
    except QuizError as refused:
        db.session.rollback()
        message, status = refused.message, refused.status
    html, _until = buzzer_fragment(contest, team, clock.now(), message)
    return html, status


@bp.get("/stage/b/<token>/events")
def buzzer_events(token: str):
    contest, team = _bound(token)
    contest_id, team_id = contest.id, team.id
    db.session.remove()

    def render(now):
        return buzzer_fragment(db.session.get(StageContest, contest_id), db.session.get(StageTeam, team_id), now)

    return push.stream(contest_id, render, watch=StageContest.phase)


@bp.get("/stage/b/<token>/stage")
def buzzer_poll(token: str):
    """Polling where the event stream cannot get through: 204 when nothing is new."""
    contest, team = _bound(token)
    html, until = buzzer_fragment(contest, team, clock.now())
    if until is None and request.args.get("v", type=db_int) == contest.phase:
        return "", 204
    return html


# ====================================================================== the host


def hosted(stage_id: int) -> StageContest:
    return managed(StageContest, stage_id, _("找不到这场现场赛。"), _("这是其他单位的现场赛，您没有权限主持。"))


def _int(name: str, default: int | None = None) -> int | None:
    try:
        return db_int(request.form.get(name, ""))
    except ValueError:
        return default


@bp.route("/admin/stage", methods=["GET", "POST"])
@staff_required
def contests():
    query = select(StageContest).order_by(StageContest.created_at.desc())
    if not current_user.is_organiser:
        query = query.where(StageContest.enterprise_id == current_user.enterprise_id)
    message, status = None, 200
    if request.method == "POST":
        try:
            contest = rules.create_contest(
                current_user.id, request.form.get("title", ""), clock.now(),
                enterprise_id=None if current_user.is_organiser else current_user.enterprise_id,
                points_required=_int("points_required", 10), points_buzz=_int("points_buzz", 10),
                buzz_wrong_penalty=_int("buzz_wrong_penalty", 0), foul_penalty=_int("foul_penalty", 5),
                buzz_window_ms=_int("buzz_window_ms", 300))
            db.session.commit()
            return redirect(url_for(".console", stage_id=contest.id), 303)
        except QuizError as error:
            db.session.rollback()
            message, status = error.message, 422
    return render_template("stage/contests.html", contests=db.session.scalars(query).all(), message=message), status


def _used_question_ids(contest: StageContest) -> set[int]:
    return set(db.session.scalars(select(StageItem.question_id).where(StageItem.contest_id == contest.id)))


def _panel_context(contest: StageContest, now: datetime) -> dict:
    """What the console's live panel and the projector's stage both show."""
    item = rules.current_item(contest)
    context = dict(contest=contest, item=item, labels=SEGMENT_LABELS, scores=rules.team_scores(contest),
                   teams={t.id: t for t in rules.teams(contest)}, order=[], fouls=[], visible=False,
                   answering=None, until=None, judged={})
    if item is not None:
        order = rules.buzz_order(item) if item.segment == "buzz" else []
        visible = rules.order_visible(contest, order, now)
        context.update(order=order, fouls=rules.fouls(item) if item.segment == "buzz" else [], visible=visible,
                       answering=rules.answering_team_id(contest, item, now),
                       until=None if visible else rules.order_visible_at(contest, order),
                       judged={j.team_id: j for j in rules.judgements(contest) if j.item_id == item.id})
    return context


def console_panel(contest: StageContest, now: datetime, message: str | None = None) -> tuple[str, datetime | None]:
    context = _panel_context(contest, now)
    context["log"] = rules.judgements(contest)[-30:][::-1]
    context["corrections"] = rules.corrections(contest)[::-1]
    return render_template("stage/_console.html", message=message, **context), context["until"]


@bp.get("/admin/stage/<int:stage_id>")
@staff_required
def console(stage_id: int):
    contest = hosted(stage_id)
    panel, _until = console_panel(contest, clock.now())
    if htmx:
        return panel
    teams = rules.teams(contest)
    audience = db.session.get(LiveRound, contest.audience_round_id) if contest.audience_round_id else None
    return render_template(
        "stage/console.html", contest=contest, panel=panel, teams=teams, stakes=RISK_STAKES, labels=SEGMENT_LABELS,
        categories=db.session.scalars(select(Category).order_by(Category.position)).all(),
        buzzer_urls={t.id: buzzer_url(t) for t in teams}, audience=audience,
        audience_teams=live_rules.enterprise_standings(audience.id) if audience else [])


@bp.get("/admin/stage/<int:stage_id>/events")
@staff_required
def console_events(stage_id: int):
    hosted(stage_id)
    db.session.remove()
    return push.stream(stage_id, lambda now: console_panel(db.session.get(StageContest, stage_id), now))


def _changed(contest: StageContest) -> None:
    db.session.commit()
    push.publish(contest.id)


def _panel_answer(contest: StageContest, message: str | None = None, status: int = 200):
    if not htmx:
        return redirect(url_for(".console", stage_id=contest.id), 303)
    return console_panel(contest, clock.now(), message)[0], status


def _act(contest: StageContest, action) -> tuple[str | None, int]:
    try:
        action()
        _changed(contest)
        return None, 200
    except QuizError as error:
        db.session.rollback()
        db.session.refresh(contest)
        return error.message, error.status


@bp.post("/admin/stage/<int:stage_id>/teams")
@staff_required
def add_team(stage_id: int):
    contest = hosted(stage_id)
    form = request.form
    if form.get("from") == "enterprises":
        query = select(Enterprise).where(Enterprise.active.is_(True)).order_by(Enterprise.name)
        if contest.enterprise_id is not None:
            query = query.where(Enterprise.id == contest.enterprise_id)
        action = lambda: rules.teams_from_enterprises(contest, list(db.session.scalars(query)))  # noqa: E731
    else:
        action = lambda: rules.add_team(contest, form.get("name", ""), form.get("unit", ""),  # noqa: E731
                                        form.get("members", ""))
    message, status = _act(contest, action)
    if message:
        raise QuizError(message, status=status)
    return redirect(url_for(".console", stage_id=contest.id), 303)


@bp.post("/admin/stage/<int:stage_id>/teams/<int:team_id>/release")
@staff_required
def release(stage_id: int, team_id: int):
    contest = hosted(stage_id)
    _act(contest, lambda: rules.release_buzzer(contest, rules.team_of(contest, team_id)))
    return redirect(url_for(".console", stage_id=contest.id), 303)


@bp.get("/admin/stage/<int:stage_id>/teams/<int:team_id>/qr.svg")
@staff_required
def team_qr(stage_id: int, team_id: int):
    contest = hosted(stage_id)
    return Response(qr.svg(buzzer_url(rules.team_of(contest, team_id))), mimetype="image/svg+xml")


def _question_to_ask(contest: StageContest) -> Question:
    uid = request.form.get("uid", "").strip()
    if uid:
        found = db.session.scalar(select(Question).where(*drawable(), Question.uid == uid))
        if found is None:
            raise QuizError(_("题目编号 %(uid)s 不存在或已停用。", uid=uid))
        return found
    query = select(Question.id).where(*drawable())
    if (category := _int("category_id")) is not None:
        query = query.where(Question.category_id == category)
    pool = sorted(set(db.session.scalars(query)) - _used_question_ids(contest))
    if not pool:
        raise QuizError(_("所选分类已没有未出过的题目。"))
    return db.session.get(Question, random.SystemRandom().choice(pool))


@bp.post("/admin/stage/<int:stage_id>/ask")
@staff_required
def ask(stage_id: int):
    contest = hosted(stage_id)

    def action():
        team_id = _int("team_id")
        team = rules.team_of(contest, team_id) if team_id else None
        rules.ask(contest, request.form.get("segment", ""), _question_to_ask(contest), clock.now(),
                  team=team, stake=_int("stake"))

    return _panel_answer(contest, *_act(contest, action))


@bp.post("/admin/stage/<int:stage_id>/control")
@staff_required
def control(stage_id: int):
    contest = hosted(stage_id)
    actions = {
        "unlock": lambda: rules.unlock(contest, clock.now()),
        "close": lambda: rules.close(contest, clock.now()),
        "pass": lambda: rules.pass_on(contest, current_user.id, clock.now()),
        "end": lambda: rules.end(contest, clock.now()),
    }
    action = actions.get(request.form.get("action", ""))
    if action is None:
        raise QuizError(_("未知的操作。"))
    return _panel_answer(contest, *_act(contest, action))


@bp.post("/admin/stage/<int:stage_id>/judge")
@staff_required
def judge(stage_id: int):
    contest = hosted(stage_id)
    correct = request.form.get("correct") == "1"
    return _panel_answer(contest, *_act(contest, lambda: rules.judge(
        contest, _int("team_id", 0), correct, current_user.id, clock.now())))


@bp.post("/admin/stage/<int:stage_id>/correct")
@staff_required
def correct(stage_id: int):
    """A judge's correction of a judgement, or an adjustment of a team's score; logged."""
    contest = hosted(stage_id)
    reason = request.form.get("reason", "")
    if request.form.get("judgement_id"):
        points = _int("points")
        if points is None:
            return _panel_answer(contest, _("请填写更正后的分数。"), 422)
        action = lambda: rules.correct_judgement(  # noqa: E731
            contest, _int("judgement_id", 0), points > 0, points, current_user.id, reason, clock.now())
    else:
        action = lambda: rules.adjust(contest, _int("team_id", 0), _int("delta", 0) or 0,  # noqa: E731
                                      current_user.id, reason, clock.now())
    return _panel_answer(contest, *_act(contest, action))


@bp.post("/admin/stage/<int:stage_id>/audience")
@staff_required
def audience(stage_id: int):
    """The audience part: a live round (quiz/live) linked to the contest, scored apart."""
    contest = hosted(stage_id)
    category_ids = [c for c in (db_int_or_none(v) for v in request.form.getlist("category_ids")) if c]

    def action():
        if not category_ids:
            raise QuizError(_("请至少选择一个分类。"))
        round_ = live_rules.create_round(
            current_user.id, contest.title + " · " + _("观众题"), live_rules.pick_questions(category_ids, _int("count", 5) or 5),
            clock.now(), enterprise_id=contest.enterprise_id)
        rules.link_audience(contest, round_)

    message, status = _act(contest, action)
    if message:
        raise QuizError(message, status=status)
    return redirect(url_for(".console", stage_id=contest.id), 303)


def db_int_or_none(text: str) -> int | None:
    try:
        return db_int(text)
    except ValueError:
        return None


# ====================================================================== the projector


def stage_screen(contest: StageContest, now: datetime) -> tuple[str, datetime | None]:
    context = _panel_context(contest, now)
    item, audience = context["item"], None
    if contest.audience_round_id and (item is None or item.closed_at is not None):
        audience = live_rules.enterprise_standings(contest.audience_round_id)[:3]
    return render_template("stage/_screen.html", audience=audience, **context), context["until"]


@bp.get("/admin/stage/<int:stage_id>/screen")
@staff_required
def screen(stage_id: int):
    contest = hosted(stage_id)
    html, until = stage_screen(contest, clock.now())
    if htmx:
        if until is None and request.args.get("v", type=db_int) == contest.version:
            return "", 204  # polling: nothing new (a pending buzz order is always drawn again)
        return html
    return render_template("stage/screen.html", contest=contest, stage=html)


@bp.get("/admin/stage/<int:stage_id>/screen/events")
@staff_required
def screen_events(stage_id: int):
    hosted(stage_id)
    db.session.remove()
    return push.stream(stage_id, lambda now: stage_screen(db.session.get(StageContest, stage_id), now))


@bp.get("/admin/stage/<int:stage_id>/export.xlsx")
@staff_required
def export(stage_id: int):
    from .export import workbook

    contest = hosted(stage_id)
    day = f"{clock.to_local(clock.now()):%Y%m%d}"
    name = _("现场赛")
    return downloads.attachment(workbook(contest), f"{name}-{contest.title}-{day}.xlsx", f"stage-{contest.id}-{day}.xlsx")


