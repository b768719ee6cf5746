"""Live "我问你答" rounds: the host's projector screen and the phones in the hall.

Views are thin: the rules are in ``live_rules``, the push in ``live_push``. Both the
host screen and the phone screen are one view that serves the full page or, to htmx
and to the event stream, the stage fragment the page includes.
"""
from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import and_, select

from question_bank.laws import article_text

from .. import clock, downloads, limits, qr
from . import rules as live_rules
from ..errors import Conflict, NotFound, QuizError
from ..extensions import db, htmx
from .push import Snapshot, hub, take_snapshot
from .writer import writer as answer_writer
from ..models import IDENTITY_LABELS, Category, Enterprise, LivePlayer, LiveQuestion, LiveRound, Question
from ..web import db_int, htmx_redirect, managed, public_url, render, staff_required
from ..contests.phone_forms import CHOOSE_UNIT
from .forms import JoinForm, RoundForm
from ..i18n import N_  # marks a message for extraction; translated where shown


# Labels the models keep in Chinese, translated where the templates show them (``_(label)``):
# the question types, the identity modes and a 判断题's answers.
MODEL_LABELS = (N_("单选题"), N_("多选题"), N_("判断题"), N_("开放"), N_("名单"), N_("名单优先"), N_("正确"), N_("错误"))
# The sign-up form's fields and messages (quiz/contests/phone_forms.py), which the join form shows
# through ``_()``, and the shared error page's words.
SIGNUP_LABELS = (N_("姓名"), N_("单位"), N_("部门"), N_("手机号或工号"), N_("请选择单位"), N_("请填写姓名。"),
                 N_("姓名不能超过 20 个字。"), N_("请填写部门。"), N_("部门不能超过 30 个字。"), N_("请选择单位。"),
                 N_("请填写手机号或工号。"), N_("手机号格式不正确，应为 11 位数字。"),
                 N_("手机号或工号格式不正确：手机号为 11 位数字，工号只能包含字母、数字和短横线。"), N_("出错了"), N_("返回首页"))

bp = Blueprint("live", __name__, template_folder="templates")

PLAYERS_KEY = "live_players"  # round id → player token, in the signed session cookie


def _speed() -> float:
    return current_app.config["LIVE_SPEED"]


def _grace() -> float:
    return current_app.config["ANSWER_GRACE_SECONDS"]


def join_url(round_: LiveRound) -> str:
    return public_url(url_for("live.play", code=round_.code))


BRIEF_CHARS = 80  # a 解析 on the stage and the phones: one or two lines


def brief(text: str | None, limit: int = BRIEF_CHARS) -> str:
    """A long 解析 shortened for a screen read at a glance: whole sentences up to ``limit``
    characters, else cut at ``limit`` with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(mark) for mark in "。；！？;")
    if cut >= limit // 3:
        return head[:cut + 1]
    return head[:limit - 1].rstrip("，、,： ") + "…"


bp.add_app_template_filter(brief, "brief")


def _sse(event: str, html: str) -> str:
    lines = [line for line in html.splitlines() if line.strip()] or [""]
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def _without_tokens(html: str) -> str:
    return _TOKEN.sub("", html)


def _event_stream(round_id: int, render_stage, *, refresh_seconds: float | None = None):
    """An SSE stream: the full current stage at once (a reconnect gets everything), then
    each new version; ``refresh_seconds`` also re-renders on a timer (the host's counters)."""
    push = hub()
    heartbeat = current_app.config["LIVE_HEARTBEAT_SECONDS"]
    app = current_app._get_current_object()

    def generate():
        push.watch(round_id)
        try:
            yield "retry: 1000\n\n"
            last_html, seen = None, 0
            while True:
                with app.app_context():
                    snap = push.snapshot(round_id)
                    if snap is None:
                        return
                    seen = snap.version
                    html = render_stage(snap)
                    # An online round: wake when the stream shows the question to the phones.
                    opens_in = ((snap.opens_at - clock.now()).total_seconds()
                                if snap.opens_at is not None and snap.paused_ms is None else 0)
                    db.session.remove()
                # A form's CSRF token is signed with the time, so it differs on every render:
                # compared without it, the host's console is swapped only when it changed (a
                # swap every half second made its buttons jump under the host's finger).
                same = _without_tokens(html)
                if same != last_html:
                    yield _sse("stage", html)
                    last_html = same
                if snap.state == "final" and refresh_seconds is None:
                    return  # nothing more will happen; the page keeps what it shows
                timeout = refresh_seconds or heartbeat
                if opens_in > 0:
                    timeout = min(timeout, opens_in + 0.05)
                woke = push.wait(round_id, seen, timeout)
                if not woke and refresh_seconds is None and timeout >= heartbeat:
                    yield ": keep-alive\n\n"  # (not when it only woke for the phones' opening)
        finally:
            push.unwatch(round_id)

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


# ====================================================================== phones


ROUND_NOT_FOUND = N_("找不到这一轮现场答题，请核对 6 位数字答题码。")


def _round_by_code(code: str) -> LiveRound:
    round_ = db.session.scalar(select(LiveRound).where(LiveRound.code == code.strip()[:6]))
    if round_ is None:
        raise NotFound(_(ROUND_NOT_FOUND))
    return round_


def _player(round_: LiveRound) -> LivePlayer | None:
    token = session.get(PLAYERS_KEY, {}).get(str(round_.id))
    if not token:
        return None
    return db.session.scalar(select(LivePlayer).where(
        LivePlayer.token == token, LivePlayer.round_id == round_.id))


def _allowed_enterprises(round_: LiveRound) -> list[Enterprise]:
    query = select(Enterprise).where(Enterprise.active.is_(True)).order_by(Enterprise.name)
    if round_.enterprise_id is not None:
        query = query.where(Enterprise.id == round_.enterprise_id)
    return list(db.session.scalars(query))


def player_stage(snap: Snapshot, player_id: int, answered: str | None = None,
                 message: str | None = None, own=None) -> str:
    """A phone's view of one version of the round (never the whole leaderboard).

    With 5 000 phones in a hall each push rendered this page 5 000 times (≈ 0.15–0.3 ms each).
    So the page is rendered once per process, round version, second of the countdown and
    language (``_shared_stage``), and each phone gets that copy with its own pieces put in:
    during a question its CSRF token; after it, its result and its place, two small partials
    (``_personal``). Only a page with a message for this phone alone is rendered for it.
    tests/test_live_pages.py checks that the copy is what rendering for the phone would give.
    ``own``: this player's answer to the snapshot's question as (chosen, right, points), when
    it was stored after the snapshot was read (an answer taken late). In an online round,
    before the stream shows the question, a page without it (no question, no options)."""
    if _waiting(snap):
        return render_template("live/_player_waiting.html", snap=snap)
    removed = player_id in snap.removed
    mine, standing = own or snap.answers.get(player_id), snap.standings.get(player_id)
    seconds_left = _seconds_left(snap)
    if message is not None:
        return _render_stage(snap, player_id, answered, seconds_left, removed, mine, standing, message)
    slots = snap.state != "question" and not removed
    # The language is part of the key: an English phone never gets a Chinese render.
    key = (snap.round_id, snap.version, seconds_left, removed, answered, str(get_locale()))
    page = _shared_stage(snap, key, player_id, answered, seconds_left, removed, slots)
    if slots:
        page = (page.replace(RESULT_SLOT, _result_line(snap, mine), 1)
                .replace(RANK_SLOT, _rank_line(snap, standing), 1))
    return page


def _result_line(snap: Snapshot, mine) -> str:
    """This phone's result on the question just closed; ``mine``: (chosen, right, points)."""
    if mine is None:
        return _personal(snap, "live/_player_result.html", ("unanswered",), (), mine=None)
    _chosen, right, points = mine
    return _personal(snap, "live/_player_result.html", ("right" if right else "wrong",), (points,),
                     mine=(None, right, STAND_INS[0]))


def _rank_line(snap: Snapshot, standing) -> str:
    """This phone's place; ``standing``: (rank, score)."""
    if standing is None:
        return ""
    return _personal(snap, "live/_player_rank.html", ("ranked",), standing[:2], standing=STAND_INS, snap=snap)


RESULT_SLOT, RANK_SLOT = "<!--result-->", "<!--rank-->"


def _render_stage(snap, player_id, answered, seconds_left, removed, mine=None, standing=None, message=None,
                  slots=False):
    return render_template(
        "live/_player_stage.html", snap=snap, player_id=player_id, answered=answered,
        seconds_left=seconds_left, removed=removed, mine=mine, standing=standing, message=message,
        slots=slots,
    )


# Stand-ins for a phone's own numbers (points; rank and score) in a shared partial.
STAND_INS = ("\x011\x01", "\x012\x01")


def _personal(shown: Snapshot, template: str, kind: tuple, numbers: tuple, **values) -> str:
    """A phone's own piece of a shared page (its result, its place). Phones differ there only
    in ``numbers`` (integers), so the partial is rendered once per process, version, language
    and ``kind`` with ``STAND_INS`` in their places, and each phone's numbers replace them."""
    renders = current_app.extensions[SHARED][shown.round_id][1]  # this version's, made just before
    key = (template, kind, str(get_locale()))
    html = renders.get(key)
    if html is None:
        html = renders[key] = render_template(template, **values)
    for stand_in, number in zip(STAND_INS, numbers):
        html = html.replace(stand_in, str(int(number)))
    return html


def _waiting(snap: Snapshot) -> bool:
    """The question is on the stage but not yet on the phones (an online round's stream delay)."""
    return (snap.state == "question" and snap.opens_at is not None and snap.paused_ms is None
            and clock.now() < snap.opens_at)


SHARED = "safequiz.live_shared"  # app.extensions: round → (version, {key: (html, the token in it)})


def _shared_stage(snap: Snapshot, key: tuple, player_id: int, answered, seconds_left, removed, slots) -> str:
    # Only the question's form carries a token (and signing one costs more than the swap).
    token = generate_csrf() if snap.state == "question" and not removed else ""
    shared = current_app.extensions.setdefault(SHARED, {})
    version, renders = shared.get(snap.round_id, (None, None))
    if version != snap.version:
        renders = {}
        shared[snap.round_id] = (snap.version, renders)
    found = renders.get(key)
    if found is None:
        html = _render_stage(snap, player_id, answered, seconds_left, removed, slots=slots)
        renders[key] = (html, token)
        return html
    html, its_token = found
    return html if its_token == token else html.replace(its_token, token)


def _seconds_left(snap: Snapshot, behind: float = 0.0) -> int:
    """Seconds of the answer window left; ``behind``: the stage's stream delay, so the stage
    counts the window down as the viewers will see it on the stream."""
    if snap.paused_ms is not None:
        return max(0, int(snap.paused_ms / 1000 * _speed() - behind))
    if snap.deadline is None:
        return 0
    left = (snap.deadline - clock.now()).total_seconds() * _speed() - behind
    return max(0, int(left + 0.999))


def _current_answer(round_: LiveRound | live_rules.RoundNow, player: LivePlayer | live_rules.PlayerNow) -> str | None:
    if round_.state != "question":
        return None
    answer = live_rules.player_answer(player.id, round_.position)
    return answer.chosen if answer else None


@bp.get("/live")
def enter():
    """Typing the 6-digit code from the projector."""
    code = "".join(ch for ch in request.args.get("code", "") if ch.isdigit())
    if code:
        return redirect(url_for(".play", code=code))
    if "code" in request.args:
        raise QuizError(_("请输入大屏上的 6 位数字答题码。"))
    return render_template("live/enter.html")


@bp.route("/live/<code>", methods=["GET", "POST"])
@limits.live_join_per_address
def play(code: str):
    round_ = _round_by_code(code)
    player = _player(round_)
    if player is not None:
        if request.method == "POST":
            return htmx_redirect(url_for(".play", code=round_.code))
        answered = _current_answer(round_, player)
        # A hall reloading at once (the Wi-Fi came back) reads the round once per process.
        stage = player_stage(_snapshot(round_), player.id, answered)
        if htmx:
            return stage
        return render_template("live/play.html", round=round_, player=player, stage=stage)
    form = JoinForm()
    if round_.identity_mode == "open":
        del form.identifier  # identity in an open hall is the cookie alone
    form.enterprise.choices = [(CHOOSE_UNIT[0], _(CHOOSE_UNIT[1]))] + [(e.id, e.name) for e in _allowed_enterprises(round_)]
    if round_.state == "final":
        return render("live/join.html", "live/_join_form.html", 410, round=round_, form=form)
    if round_.lobby_locked:
        return render("live/join.html", "live/_join_form.html", 403, round=round_, form=form,
                      locked=_(live_rules.LOBBY_LOCKED))
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.validate_on_submit():
        enterprise = db.session.get(Enterprise, form.enterprise.data)
        try:
            player = live_rules.join(round_, enterprise, form.name.data, form.department.data, clock.now(),
                                     identifier=form.identifier.data if "identifier" in form else "")
        except QuizError as refused:  # not on the roster, someone else's identifier, joined elsewhere
            db.session.rollback()
            form.form_errors.append(refused.message)
            status = refused.status
        else:
            db.session.commit()
            players = dict(session.get(PLAYERS_KEY, {}))
            players[str(round_.id)] = player.token
            session[PLAYERS_KEY] = players
            session.permanent = True
            return htmx_redirect(url_for(".play", code=round_.code))
    return render("live/join.html", "live/_join_form.html", status, round=round_, form=form)


def _playing(code: str, position: int = 0) -> tuple[live_rules.RoundNow, live_rules.PlayerNow,
                                                    live_rules.AnswerKey | None]:
    """The round, this phone's player and, with ``position``, the key of that question (None
    without, or when there is none), as columns in one query: every answer of a hall asks."""
    tokens = [token for token in session.get(PLAYERS_KEY, {}).values() if isinstance(token, str)]
    query = (select(*live_rules.RoundNow.columns(), LivePlayer.id, LivePlayer.removed, LivePlayer.token)
             .outerjoin(LivePlayer, and_(LivePlayer.round_id == LiveRound.id, LivePlayer.token.in_(tokens)))
             .where(LiveRound.code == code.strip()[:6]))
    if position:
        query = (query.add_columns(LiveQuestion.id, *live_rules.ANSWER_KEY_COLUMNS)
                 .outerjoin(LiveQuestion, and_(LiveQuestion.round_id == LiveRound.id,
                                               LiveQuestion.position == position))
                 .outerjoin(Question, Question.id == LiveQuestion.question_id))
    rows = db.session.execute(query).all()
    if not rows:
        raise NotFound(_(ROUND_NOT_FOUND))
    width = len(live_rules.RoundNow.__dataclass_fields__)
    round_ = live_rules.RoundNow(*rows[0][:width])
    mine = session.get(PLAYERS_KEY, {}).get(str(round_.id))
    for row in rows:
        player_id, removed, token = row[width:width + 3]
        if player_id is not None and token == mine:
            found, *key = row[width + 3:] or (None,)
            return (round_, live_rules.PlayerNow(player_id, removed),
                    live_rules.AnswerKey(*key) if found is not None else None)
    raise QuizError(_("请先加入本轮答题。"), status=403)


@bp.get("/live/<code>/events")
def player_events(code: str):
    round_, player, _key = _playing(code)
    player_id = player.id
    # The first event must know whether this phone already answered (a reconnect).
    answered = {round_.version: _current_answer(round_, player)}
    db.session.remove()

    def stage(snap: Snapshot) -> str:
        return player_stage(snap, player_id, answered.get(snap.version))

    return _event_stream(round_.id, stage)


@bp.get("/live/<code>/stage")
def player_poll(code: str):
    """Where the event stream cannot get through (a proxy, an old WebView): polling.
    ``v`` is the version the phone shows; nothing changed → 204 and no body."""
    playing, player, _key = _playing(code)
    round_ = db.session.get(LiveRound, playing.id)  # the state may move on here: the session's object
    now = clock.now()
    if live_rules.advance_if_due(round_, now, _grace()):
        hub().announce(round_)
    if request.args.get("v", type=db_int) == round_.version:
        return "", 204
    answered = _current_answer(round_, player)
    return player_stage(_snapshot(round_), player.id, answered)


@bp.post("/live/<code>/answer")
def answer(code: str):
    received = clock.received()  # the deadline is judged by arrival, not by our queue
    position = max(request.form.get("position", type=db_int) or 0, 0)
    round_, player, key = _playing(code, position)
    letters = request.form.getlist("choice")
    try:
        saved = live_rules.judge_with_key(round_, player, position, key, letters, received, _grace(), _speed())
        db.session.commit()  # only reads so far: the connection goes back while the writer works
        if not answer_writer().store(saved):
            raise Conflict(_(live_rules.ANSWERED_ALREADY))
    except QuizError as error:
        db.session.rollback()
        saved = live_rules.same_answer_stored(player.id, position, letters)
        if saved is None:
            return player_stage(_snapshot(round_), player.id, _current_answer(round_, player),
                                error.message), error.status
        # a retry of an answer already stored: the same success as the first time
    snap = _snapshot(round_)
    if snap.state == "question":
        return player_stage(snap, player.id, saved.chosen if snap.position == position else None)
    own = (saved.chosen, bool(saved.is_correct), int(saved.points + saved.bonus)) if snap.position == position else None
    return player_stage(snap, player.id, own=own)


def _snapshot(round_: LiveRound | live_rules.RoundNow) -> Snapshot:
    """The process's copy of this version of the round (or a newer one), read once for the
    process's streams and requests together. When a question closes while a thousand answers
    still wait their turn, each of them read the round and computed everyone's standings (at
    5 000 players a tenth of a second each): the worker fell minutes behind and never caught up
    (bench/README.md)."""
    return hub().snapshot(round_.id, at_least=round_.version)


# ====================================================================== the host


def hosted_round(round_id: int) -> LiveRound:
    """The round, if this user may host it (403 for another enterprise's round)."""
    return managed(LiveRound, round_id, _("找不到这一轮现场答题。"), _("这是其他单位的现场答题，您没有权限主持。"))


def _fill_choices(form: RoundForm) -> None:
    form.category_ids.choices = [
        (c.id, c.name) for c in db.session.scalars(select(Category).order_by(Category.position))]


@bp.route("/admin/live", methods=["GET", "POST"])
@staff_required
def rounds():
    form = RoundForm()
    _fill_choices(form)
    query = select(LiveRound).order_by(LiveRound.created_at.desc())
    if not current_user.is_organiser:
        query = query.where(LiveRound.enterprise_id == current_user.enterprise_id)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                if form.source.data == "pick":
                    uids = [line.strip() for line in (form.uids.data or "").splitlines() if line.strip()]
                    questions = live_rules.questions_by_uid(uids)
                else:
                    if not form.category_ids.data:
                        raise QuizError(_("请至少选择一个分类。"))
                    questions = live_rules.pick_questions(form.category_ids.data, form.count.data or 10)
                round_ = live_rules.create_round(
                    current_user.id, form.title.data, questions, clock.now(),
                    question_seconds=form.question_seconds.data, scoring_mode=form.scoring.data,
                    streak=form.streak.data, multi_partial=form.multi_partial.data == "partial",
                    question_on_phone=form.question_on_phone.data, identity_mode=form.identity_mode.data,
                    stream_delay=form.stream_delay.data or 0,
                    enterprise_id=None if current_user.is_organiser else current_user.enterprise_id,
                )
                db.session.commit()
                return redirect(url_for(".host", round_id=round_.id), 303)
            except QuizError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
    return render_template("live/rounds.html", form=form, rounds=db.session.scalars(query).all(),
                           identity_labels=IDENTITY_LABELS), status


def _state_context(round_: LiveRound, snap: Snapshot) -> dict:
    """What both the stage and the console show of one version of the round."""
    # The stage is not delayed: it counts the phones' window down as the stream will show it.
    behind = (snap.stream_delay if snap.state == "question" else 0)
    context = dict(round=round_, snap=snap, seconds_left=_seconds_left(snap, behind))
    if snap.state == "question":
        context["answered"] = live_rules.answered_count(round_.id, snap.position)
        context["players_count"] = live_rules.active_players(round_.id)
    elif snap.state == "reveal" and snap.question:
        context["dist"] = live_rules.distribution(round_.id, snap.position, len(snap.question["options"]))
    return context


def stage_html(round_: LiveRound, snap: Snapshot | None = None) -> str:
    """The presenter's screen (the projector): view only, made to be read from the back of a hall."""
    snap = snap or take_snapshot(round_)
    context = _state_context(round_, snap)
    if snap.state == "lobby":
        context["players_count"] = live_rules.active_players(round_.id)
        if round_.hide_names:
            context["units"] = live_rules.lobby_units(round_.id)
        else:
            context["players"] = db.session.scalars(
                select(LivePlayer).where(LivePlayer.round_id == round_.id, LivePlayer.removed.is_(False))
                .order_by(LivePlayer.joined_at.desc(), LivePlayer.id.desc()).limit(120)).all()
        context["join_url"] = join_url(round_)
    elif snap.state == "reveal" and snap.question:
        found = article_text(snap.question["basis"]) if snap.question.get("basis") else None
        context["basis_text"] = found[2] if found else None
    elif snap.state == "leaderboard":
        context["moves"] = live_rules.leaderboard(round_.id, snap.position, limit=10)
        context["teams"] = live_rules.enterprise_standings(round_.id)
    elif snap.state == "final":
        context["top"] = live_rules.player_standings(round_.id, limit=10)
        context["teams"] = live_rules.enterprise_standings(round_.id)
    return render_template("live/_stage.html", **context)


def host_stage(round_: LiveRound, snap: Snapshot | None = None, message: str | None = None) -> str:
    """The host's console: the controls, the lobby's players, the settings (one fragment)."""
    snap = snap or take_snapshot(round_)
    context = _state_context(round_, snap)
    context["message"] = message
    context["players"] = db.session.scalars(
        select(LivePlayer).where(LivePlayer.round_id == round_.id, LivePlayer.removed.is_(False))
        .order_by(LivePlayer.joined_at.desc(), LivePlayer.id.desc()).limit(300)).all()
    context["players_count"] = live_rules.active_players(round_.id)
    context["join_url"] = join_url(round_)
    return render_template("live/_host_stage.html", **context)


@bp.get("/admin/live/<int:round_id>")
@staff_required
def host(round_id: int):
    round_ = hosted_round(round_id)
    if live_rules.advance_if_due(round_, clock.now(), _grace()):
        hub().announce(round_)
    stage = host_stage(round_)
    if htmx:
        return stage
    return render_template("live/host.html", round=round_, stage=stage,
                           console_url=public_url(url_for(".host", round_id=round_.id)))


@bp.get("/admin/live/<int:round_id>/stage")
@staff_required
def stage(round_id: int):
    """The presenter's screen. Polled with ``v`` (the version shown) where the event stream
    cannot get through: 204 when nothing changed."""
    round_ = hosted_round(round_id)
    if live_rules.advance_if_due(round_, clock.now(), _grace()):
        hub().announce(round_)
    html = stage_html(round_)
    if htmx:
        return html
    return render_template("live/stage.html", round=round_, stage=html)


@bp.get("/admin/live/<int:round_id>/stage/events")
@staff_required
def stage_events(round_id: int):
    hosted_round(round_id)
    db.session.remove()

    def render_stage(snap: Snapshot) -> str:
        return stage_html(db.session.get(LiveRound, snap.round_id), snap)

    return _event_stream(round_id, render_stage, refresh_seconds=0.5)


@bp.get("/admin/live/<int:round_id>/events")
@staff_required
def host_events(round_id: int):
    hosted_round(round_id)  # refused here, before the stream starts
    db.session.remove()

    def stage(snap: Snapshot) -> str:
        current = db.session.get(LiveRound, snap.round_id)
        return host_stage(current, snap)

    return _event_stream(round_id, stage, refresh_seconds=0.5)


CONTROLS = {
    "start": lambda r, now, speed: live_rules.start(r, now, speed),
    "next": lambda r, now, speed: live_rules.next_step(r, now, speed),
    "pause": lambda r, now, speed: live_rules.pause(r, now),
    "resume": lambda r, now, speed: live_rules.resume(r, now, speed),
    "skip": lambda r, now, speed: live_rules.skip(r, now, speed),
    "end": lambda r, now, speed: live_rules.end(r, now),
}


def _console_change(round_: LiveRound, change):
    """Apply one of the host's changes; the console again, with the refusal if there was one."""
    message, status = None, 200
    try:
        change()
        hub().announce(round_)
    except QuizError as error:
        db.session.rollback()
        db.session.refresh(round_)
        message, status = error.message, error.status
    if not htmx:
        return redirect(url_for(".host", round_id=round_.id), 303)
    return host_stage(round_, message=message), status


@bp.post("/admin/live/<int:round_id>/control")
@staff_required
def control(round_id: int):
    round_ = hosted_round(round_id)
    action = CONTROLS.get(request.form.get("action", ""))
    if action is None:
        raise QuizError(_("未知的操作。"))
    return _console_change(round_, lambda: action(round_, clock.now(), _speed()))


@bp.post("/admin/live/<int:round_id>/players/<int:player_id>/remove")
@staff_required
def remove_player(round_id: int, player_id: int):
    round_ = hosted_round(round_id)
    live_rules.remove_player(round_, player_id)
    hub().announce(round_)
    if not htmx:
        return redirect(url_for(".host", round_id=round_.id), 303)
    return host_stage(round_)


@bp.post("/admin/live/<int:round_id>/players/remove")
@staff_required
def remove_players(round_id: int):
    """Remove the ticked players (checkboxes ``player_id``) in one request."""
    round_ = hosted_round(round_id)
    return _console_change(round_, lambda: live_rules.remove_players(round_, request.form.getlist("player_id", type=db_int)))


@bp.post("/admin/live/<int:round_id>/settings")
@staff_required
def settings(round_id: int):
    """The lobby lock, names hidden on the stage, the stage's sound: ``name`` and ``value`` (1/0)."""
    round_ = hosted_round(round_id)
    return _console_change(round_, lambda: live_rules.change_setting(round_, request.form.get("name", ""), request.form.get("value") == "1"))


@bp.get("/admin/live/<int:round_id>/host-qr.svg")
@staff_required
def host_qr_svg(round_id: int):
    """For the console only: the console's own address, to open on the host's phone. It carries
    no token: the phone logs in like any browser, so a photo of the code controls nothing."""
    round_ = hosted_round(round_id)
    return Response(qr.svg(public_url(url_for(".host", round_id=round_.id))), mimetype="image/svg+xml")


@bp.get("/admin/live/<int:round_id>/qr.svg")
@staff_required
def qr_svg(round_id: int):
    round_ = hosted_round(round_id)
    return Response(qr.svg(join_url(round_)), mimetype="image/svg+xml")


@bp.get("/admin/live/<int:round_id>/export.xlsx")
@staff_required
def export(round_id: int):
    from .export import workbook

    round_ = hosted_round(round_id)
    body = workbook(round_)
    day = f"{clock.to_local(clock.now()):%Y%m%d}"
    name = _("现场答题")
    return downloads.attachment(body, f"{name}-{round_.title}-{day}.xlsx", f"live-{round_.code}-{day}.xlsx")
