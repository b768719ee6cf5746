"""Wiring of the web layer: blueprints, login, error pages, htmx-aware rendering."""
from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import timedelta
from functools import wraps
from pathlib import Path

from flask import Flask, abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from question_bank.review import emphasise, pending_note

from . import clock
from .errors import NotFound, QuizError
from .limits import TOO_MANY, OverLimit, retry_phrase
from .extensions import db, htmx, limiter, login_manager, refresh_planner_statistics
from .models import CAMPAIGNS_NEWEST_FIRST, ID_MAX, Campaign, Contest, User, parse_id

ERROR_MESSAGES = {
    400: "请求有误，请返回重试。",
    403: "您没有权限访问此页面。",
    404: "页面不存在，请检查链接或二维码。",
    405: "不支持此操作。",
    413: "上传的文件太大。",
    500: "服务器出错了，请稍后再试。",
}


def db_int(text: str) -> int:
    """An integer from a URL or form that fits a database column (else ValueError, which
    ``request.args.get(..., type=db_int)`` turns into the default): a 30-digit "position"
    must be "not found", not an overflow inside the database driver."""
    value = int(text)
    if not -ID_MAX <= value <= ID_MAX:
        raise ValueError(text)
    return value


class DbIntConverter(IntegerConverter):
    """<int:...> in every route, bounded the same way: a larger number matches no page (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def render(full: str, fragment: str, status: int = 200, **context):
    """One view, two answers: the fragment for an htmx swap, else the full page."""
    wants_fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    return render_template(fragment if wants_fragment else full, **context), status


def htmx_redirect(url: str):
    """Leave the htmx swap for a new page (full navigation), or a plain 303 without htmx."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def organiser_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_organiser:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def staff_required(view):
    """Organisers, and enterprise admins (who then see only their own enterprise's things)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def may_manage(thing) -> bool:
    """Organisers manage every contest and live round; an enterprise admin only its
    enterprise's own (``thing.enterprise_id``)."""
    if current_user.is_organiser:
        return True
    return thing.enterprise_id is not None and thing.enterprise_id == current_user.enterprise_id


def may_view(contest) -> bool:
    """Who may look at a contest: whoever may manage it, and — read only — an enterprise
    admin at a campaign (district) contest that admits its enterprise (open to every unit, or
    listing it). A reader sees its own staff, its own poster and its own 未参与名单 there, and
    never edits, voids or sees other enterprises' people."""
    if may_manage(contest):
        return True
    own = current_user.enterprise_id
    if own is None or contest.enterprise_id is not None:
        return False
    return bool(contest.open_to_all) or any(e.id == own for e in contest.enterprises)


def read_only(contest) -> bool:
    """The user may view the contest but not manage it (an admin at a district contest)."""
    return not may_manage(contest)


CONTEST_MISSING = "找不到这个竞赛。"
CONTEST_OF_OTHERS = "这是其他单位的竞赛，您没有权限查看。"
CONTEST_READ_ONLY = "该竞赛由组织者发布和管理，本单位只能查看本单位的参赛情况，不能修改。"


def campaign_or_404(campaign_id: int):
    """The campaign, or a 404 page (the route's <int:> already refuses ids beyond ID_MAX)."""
    from .models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise QuizError("找不到这个活动。", status=404)
    return campaign


def own_enterprise_id() -> int | None:
    """None for an organiser (every enterprise); an enterprise admin's own enterprise (403
    for an admin account without one)."""
    if current_user.is_organiser:
        return None
    if current_user.enterprise_id is None:
        abort(403)
    return current_user.enterprise_id


def public_url(path: str) -> str:
    """An absolute URL that phones open (QR codes, certificates): PUBLIC_BASE_URL, else this host."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.url_root.rstrip("/")) + path


DEFAULT_SITE_TITLE = "安全知识竞赛"


def site_title(contest=None) -> str:
    """The name a page's header and title show (config SITE_TITLE): the organiser's own title
    when set, else the campaign's name — ``contest``'s campaign (a Contest, or anything with
    the contest's ``id`` and ``title``), else the newest campaign — else 安全知识竞赛.
    Looked up once per request."""
    configured = current_app.config.get("SITE_TITLE")
    if configured:
        return configured
    campaign_id = getattr(contest, "campaign_id", None)
    contest_id = getattr(contest, "id", None) if campaign_id is None and hasattr(contest, "title") else None
    key = (campaign_id, contest_id)
    known = g.setdefault("site_titles", {})
    if key not in known:
        if campaign_id is not None:
            query = select(Campaign.name).where(Campaign.id == campaign_id)
        elif isinstance(contest_id, int):
            query = select(Campaign.name).join(Contest, Contest.campaign_id == Campaign.id).where(Contest.id == contest_id)
        else:
            query = select(Campaign.name).order_by(*CAMPAIGNS_NEWEST_FIRST).limit(1)
        try:
            known[key] = db.session.scalar(query) or DEFAULT_SITE_TITLE
        except SQLAlchemyError:  # an error page for a database that fails still shows
            return DEFAULT_SITE_TITLE
    return known[key]


def _error_page(message: str, status: int):
    return render("error.html", "_message.html", status=status, message=message, level="error")


def every(app: Flask, seconds: float, chore) -> None:
    """Run ``chore(now)`` before a request at most once per ``seconds`` in each process: the
    domains' housekeeping (closing abandoned attempts), the planner statistics."""
    app.extensions.setdefault("safequiz.chores", []).append([timedelta(seconds=seconds), None, chore])


def managed(model, row_id: int, missing: str, others, may=None):
    """The row (a contest, a live round) if this user may manage it (or ``may`` says so): 404
    with ``missing`` when there is none, 403 with ``others`` (a text, or a function of the row)
    when it is another enterprise's."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    if not (may or may_manage)(row):
        raise QuizError(others(row) if callable(others) else others, status=403)
    return row


def managed_contest(contest_id: int):
    """A contest this user may manage (edit, void, its whole board): 404 when there is none;
    403 saying it is read only for an admin who may view it, else that it is another unit's."""
    from .models import Contest

    return managed(Contest, contest_id, CONTEST_MISSING,
                   lambda c: CONTEST_READ_ONLY if may_view(c) else "这是其他单位的竞赛，您没有权限管理。")


def viewed_contest(contest_id: int):
    """A contest this user may look at (:func:`may_view`): 404 when there is none, 403 when
    it is another unit's. The caller limits a reader (:func:`read_only`) to its own staff."""
    from .models import Contest

    return managed(Contest, contest_id, CONTEST_MISSING, CONTEST_OF_OTHERS, may=may_view)


def init_app(app: Flask) -> None:
    """The core's converters, hooks and error pages (app.py registers the blueprints after)."""
    app.url_map.converters["int"] = DbIntConverter

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The account of a session or remember-me cookie ("id:login_token"), while the token
        is the account's current one: logout, a new password and disabling replace it."""
        number, _, token = user_id.partition(":")
        user = db.session.get(User, found) if token and (found := parse_id(number)) else None
        if user is None or not user.active or not hmac.compare_digest(user.login_token, token):
            return None
        return user

    @app.errorhandler(QuizError)
    def quiz_error(error: QuizError):
        db.session.rollback()
        return _error_page(error.message, error.status)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page("页面已过期，请刷新后重试。", 400)

    def too_many(message: str, wait: int):
        body, status = _error_page(message, 429)
        headers = {"Retry-After": str(wait)}
        if htmx:
            # Into the page's notice line, not over the form: what was typed stays.
            headers.update({"HX-Retarget": "#notice", "HX-Reswap": "innerHTML show:top"})
        return body, status, headers

    @app.errorhandler(OverLimit)
    def over_limit(error: OverLimit):
        """Over one of quiz.limits: when to try again, in Chinese."""
        db.session.rollback()
        return too_many(error.message, error.wait)

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded):
        """Over a limit declared with Flask-Limiter's own ``limiter.limit``: the same page."""
        current = limiter.current_limit
        wait = max(1, math.ceil(current.window.reset_time - time.time())) if current else 60
        return too_many(TOO_MANY.format(when=retry_phrase(wait)), wait)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = ERROR_MESSAGES.get(code, error.description or "")
        if code == 413:
            message = f"上传的文件太大，上限为 {app.config['IMPORT_MAX_BYTES'] // (1024 * 1024)} MB。"
        return _error_page(message, code)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if app.testing:
            raise error  # a test must see the traceback, not a friendly page
        app.logger.exception("unhandled error")
        db.session.rollback()
        return _error_page(ERROR_MESSAGES[500], 500)

    def refresh_statistics(_now):
        refresh_planner_statistics(db.engine)

    every(app, app.config["PLANNER_STATS_SECONDS"], refresh_statistics)

    @app.before_request
    def chores():
        """Each chore at most once per its interval in each process, before a request."""
        now = clock.now()
        for chore in app.extensions["safequiz.chores"]:
            if chore[1] is None or now - chore[1] >= chore[0]:
                chore[1] = now
                chore[2](now)

    @app.after_request
    def vary_on_htmx(response):
        # Full page and fragment share a URL; caches must keep them apart.
        response.vary.add("HX-Request")
        return response

    @app.template_global()
    def static_url(filename: str) -> str:
        """A static URL that changes with the file's content, so it can be cached for a year."""
        version = _static_versions.get(filename)
        if version is None:
            path = Path(app.static_folder) / filename
            version = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            _static_versions[filename] = version
        return url_for("static", filename=filename, v=version)

    _static_versions: dict[str, str] = {}

    app.add_template_global(site_title)
    app.add_template_global(clock.zone_label)

    @app.template_filter("local")
    def local_time(moment, fmt: str = "%Y-%m-%d %H:%M"):
        value = clock.to_local(moment)
        return value.strftime(fmt) if value else ""

    @app.template_filter("duration")
    def duration(ms: int | None) -> str:
        if ms is None:
            return "—"
        seconds = round(ms / 1000)
        minutes, seconds = divmod(seconds, 60)
        if minutes:
            return _("%(minutes)s分%(seconds)02d秒", minutes=minutes, seconds=seconds)
        return _("%(seconds)s秒", seconds=seconds)

    @app.template_filter("tr")
    def translate(text) -> str:
        """A message id that is kept as data until shown (a label from a dict, a form's label
        or error from another package): ``{{ label|tr }}``, escaped like any value."""
        return _(str(text)) if text else ""

    @app.template_filter("score")
    def score(value: float | None) -> str:
        if value is None:
            return "—"
        return str(int(value)) if float(value).is_integer() else f"{value:.1f}"

    @app.template_global("pending_note")
    def pending_note_today(basis: str | None) -> str | None:
        """"待核对" when the 依据 cites a statute that a newer law in force replaced."""
        return pending_note(basis, clock.to_local(clock.now()).date())

    @app.template_filter("stem")
    def stem(text: str | None):
        """A question's stem, escaped, its negative words (错误的是, 不得 …) in bold."""
        return emphasise(text or "")

    @app.template_filter("percent")
    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    @app.get("/healthz")
    def healthz():
        """Liveness for load balancers; also the bare baseline of the load benchmark."""
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.get("/")
    def index():
        if current_user.is_authenticated:
            return redirect(url_for("dashboard.index"))
        return render_template("index.html")

