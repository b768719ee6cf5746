"""Leaderboards: public for a contest's participants, the organiser's view of a contest, and
the campaign's league tables (individuals, enterprises, regions, industries, departments) with
their big-screen mode, .xlsx exports and the composite index weights.

Who sees what: organisers everything; an enterprise admin only its own enterprise — its
individuals, its departments and its own enterprise row (region and industry tables, other
enterprises and other enterprises' internal contests: 403). The scoping is done here, on the
server, from the logged-in user, whatever the query string says."""
from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import datetime

from flask import (Blueprint, current_app, flash, redirect, render_template, request, send_file,
                   session, url_for)
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from ..contests import attempts, standings
from .. import clock, downloads, results_cache
from . import export as league_export, tables as league_tables
from ..reports import data as report_data
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import CAMPAIGNS_NEWEST_FIRST, Campaign, Contest, Enterprise, parse_id
from ..contests.rules import get_contest
from ..phone import PARTICIPANT_KEY
from ..web import (campaign_or_404, managed_contest, organiser_required, own_enterprise_id, public_url, render,
                   staff_required)
from .forms import CertificateForm, WeightsForm

bp = Blueprint("league", __name__, template_folder="templates")


def _tables(contest: Contest) -> dict:
    # Results never hang open: expired attempts are submitted before anyone is ranked.
    if attempts.close_expired(contest.id, clock.now(), current_app.config["ANSWER_GRACE_SECONDS"]):
        db.session.commit()
    return dict(
        contest=contest,
        individuals=standings.individuals(contest, limit=100),
        enterprises=standings.enterprises(contest),
        headcount_note=_(league_tables.HEADCOUNT_NOTE), shown=league_tables.shown,
    )


@bp.get("/j/<code>/board")
def board(code: str):
    contest = get_contest(code)
    context = _tables(contest)
    return render("league/board.html", "league/_tables.html", mine=session.get(PARTICIPANT_KEY),
                  staff_view=False, **context)


@bp.get("/admin/contests/<int:contest_id>/board")
@staff_required
def organiser_board(contest_id: int):
    contest = managed_contest(contest_id)
    return render("league/organiser_board.html", "league/_tables.html", mine=None, staff_view=True,
                  **_tables(contest))


# ---- the campaign's league tables -------------------------------------------------------

PAGE_LIMIT = 200     # individuals shown on the page
# Individuals in a campaign-wide export: the prize lists come from the top, and writing a row
# costs ~0.13 ms (openpyxl), so 5 000 rows keep the export near a second. One enterprise's
# export has all of its people.
EXPORT_LIMIT = 5_000
SCREEN_ROWS = 15     # rows on the 1920×1080 big screen
ORGANISER_ONLY = {"regions", "industries"}


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise NotFound(_("参数无效：找不到所选的项目。"))
    return value


def _date_arg(name: str, label: str):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise QuizError(_("%(label)s“%(raw)s”格式不对，请按 2026-06-01 的格式填写。", label=label, raw=raw[:20])) from None
    if not 2000 <= day.year <= 2100:
        raise QuizError(_("%(label)s“%(raw)s”不在 2000 到 2100 年之间。", label=label, raw=raw[:20]))
    return day


def _visible_contests(campaign: Campaign, own: int | None) -> list[Contest]:
    query = select(Contest).where(Contest.campaign_id == campaign.id).order_by(Contest.opens_at, Contest.id)
    if own is not None:
        query = query.where(or_(Contest.enterprise_id.is_(None), Contest.enterprise_id == own))
    return list(db.session.scalars(query))


def _request_filters(campaign: Campaign, table: str) -> dict:
    """The table's scope from the query string, checked against who asks."""
    if table not in league_export.TABLES:
        raise NotFound(_("没有这个排行榜。"))
    own = own_enterprise_id()
    if own is not None and table in ORGANISER_ONLY:
        raise QuizError(_("镇（街）和行业排名只有组织者可以查看。"), status=403)
    contest = None
    contest_id = _int_arg("contest")
    if contest_id is not None:
        contest = db.session.get(Contest, contest_id)
        if contest is None or contest.campaign_id != campaign.id:
            raise NotFound(_("找不到这个竞赛。"))
        if own is not None and contest.enterprise_id not in (None, own):
            raise QuizError(_("这是其他单位的竞赛，您没有权限查看。"), status=403)
    enterprise = None
    enterprise_id = _int_arg("enterprise")
    if own is not None:
        if enterprise_id is not None and enterprise_id != own:
            raise QuizError(_("您只能查看本单位的排名。"), status=403)
        enterprise_id = own
    if enterprise_id is not None:
        enterprise = db.session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound(_("找不到这个单位。"))
    since_day = _date_arg("since", _("开始日期"))
    until_day = _date_arg("until", _("结束日期"))
    if since_day and until_day and until_day < since_day:
        raise QuizError(_("结束日期不能早于开始日期。"))
    period = report_data.DateRange(since_day, until_day)  # local days → naive UTC bounds
    return dict(own=own, contest=contest, enterprise=enterprise, since_day=since_day,
                until_day=until_day, since=period.since, until=period.until)


def _sort(cols: list[league_export.Column]):
    name = request.args.get("sort", "").strip() or "rank"
    by_key = {c.key: c for c in cols}
    if name not in by_key:
        raise QuizError(_("不能按“%(name)s”排序，请点击表头排序。", name=name[:20]))
    direction = request.args.get("dir", "").strip()
    if direction not in ("", "asc", "desc"):
        raise QuizError(_("排序方向只能是 asc 或 desc。"))
    column = by_key[name]
    descending = column.first_desc if not direction else direction == "desc"
    return column, descending


def _scope_label(campaign: Campaign, f: dict, table: str) -> str:
    parts = [f["contest"].title if f["contest"] else _("全部竞赛")]
    if f["enterprise"] is not None and (table in ("individuals", "departments") or f["own"] is not None):
        parts.append(f["enterprise"].name)
    if f["since_day"] or f["until_day"]:
        parts.append(_("%(since)s 至 %(until)s", since=f["since_day"] or _("开始"), until=f["until_day"] or _("今天")))
    return _("；").join(parts)


def _table_data(campaign: Campaign, table: str, f: dict, *, limit: int | None) -> dict:
    """Rows (already sorted), the total row, the columns and what the page needs to link."""
    contest_id = f["contest"].id if f["contest"] else None
    per_contest = contest_id is not None
    cols = league_export.columns(table, per_contest=per_contest)
    column, descending = _sort(cols)
    total = None
    need_enterprise = False
    truncated = False
    enterprise_id = f["enterprise"].id if f["enterprise"] else None
    if table == "individuals":
        rows = league_tables.individuals(campaign.id, contest_id=contest_id, enterprise_id=enterprise_id,
                                         limit=limit, since=f["since"], until=f["until"])
        truncated = limit is not None and len(rows) >= limit
    elif table == "departments" and enterprise_id is None:
        rows, need_enterprise = [], True
    else:
        group = league_export.GROUP_OF[table]
        rows = league_tables.unit_figures(
            campaign.id, group, contest_id=contest_id,
            enterprise_id=enterprise_id if group == "department" else None,
            since=f["since"], until=f["until"])
        if table == "enterprises" and f["own"] is not None:
            # An enterprise admin: its own row, with its rank among all of them.
            rows = [r for r in rows if r.enterprise_id == f["own"]]
        if len(rows) > 1:
            total = replace(league_tables.total(rows, _("合计"), league_tables.weights(campaign.id)), rank=None)
    rows = league_export.sort_rows(rows, column, descending)
    return dict(rows=rows, total=total, columns=cols, sort=column.key, descending=descending,
                need_enterprise=need_enterprise, truncated=truncated, per_contest=per_contest)


QUERY_KEYS = ("contest", "enterprise", "since", "until", "sort", "dir", "screen")


def _query_args(**changes) -> dict:
    """This page's query string (known keys only), with some keys changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if k in QUERY_KEYS and v}
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


@bp.get("/admin/league")
@staff_required
def index():
    campaign_id = db.session.scalar(select(Campaign.id).order_by(*CAMPAIGNS_NEWEST_FIRST).limit(1))
    if campaign_id is None:
        return render_template("league/empty.html", message=_("还没有活动。组织者创建活动和竞赛后，这里会显示排行榜。"))
    table = "enterprises" if current_user.is_organiser else "departments"
    return redirect(url_for(".table", campaign_id=campaign_id, table=table))


@bp.get("/admin/league/<int:campaign_id>/<table>")
@staff_required
def table(campaign_id: int, table: str):
    campaign = campaign_or_404(campaign_id)
    f = _request_filters(campaign, table)
    screen = request.args.get("screen") == "1"
    limit = SCREEN_ROWS if screen and table == "individuals" else (PAGE_LIMIT if table == "individuals" else None)
    data = _table_data(campaign, table, f, limit=limit)
    if screen:
        data["rows"] = data["rows"][:SCREEN_ROWS]
    contests = _visible_contests(campaign, f["own"])
    enterprises = []
    if f["own"] is None and table in ("individuals", "departments"):
        enterprises = db.session.execute(
            select(Enterprise.id, Enterprise.name).order_by(Enterprise.active.desc(), Enterprise.name)).all()
    context = dict(
        campaign=campaign, table=table, tables=[t for t in league_export.TABLES
                                                 if f["own"] is None or t not in ORGANISER_ONLY],
        labels=league_export.TABLE_LABELS, filters=f, scope=_scope_label(campaign, f, table),
        contests=contests, enterprise_choices=enterprises, screen=screen, now=clock.now(),
        query_args=_query_args, page_limit=PAGE_LIMIT, row_cells=league_export.row_cells,
        weights=league_tables.weights(campaign.id), table_note=league_export.note(table), shown=league_tables.shown,
        **data,
    )
    if screen:
        return render("league/screen.html", "league/_screen_table.html", **context)
    return render("league/table.html", "league/_table.html", **context)


@bp.get("/admin/league/<int:campaign_id>/<table>.xlsx")
@staff_required
def export(campaign_id: int, table: str):
    campaign = campaign_or_404(campaign_id)
    f = _request_filters(campaign, table)
    limit = EXPORT_LIMIT if table == "individuals" and f["enterprise"] is None else None
    if table == "departments" and f["enterprise"] is None:
        raise QuizError(_("请先选择单位，再导出部门排名。"))
    label = str(league_export.TABLE_LABELS[table])

    def build() -> bytes:
        data = _table_data(campaign, table, f, limit=limit)
        title = f"{campaign.name} · {label}"
        scope = _("范围：%(scope)s", scope=_scope_label(campaign, f, table))
        if data["truncated"]:
            scope += _("（前 %(limit)s 名；按单位筛选可导出该单位全部人员）", limit=limit)
        scope += _("；导出时间 %(time)s", time=f"{clock.to_local(clock.now()):%Y-%m-%d %H:%M}")
        return league_export.workbook(title, scope, data["columns"], data["rows"], data["total"],
                                      sheet_name=label, note=league_export.note(table))

    # The file is cached like the figures it is made of (same params, same one invalidation).
    params = (campaign.id, table, f["contest"].id if f["contest"] else None,
              f["enterprise"].id if f["enterprise"] else None, f["since"], f["until"],
              request.args.get("sort", ""), request.args.get("dir", ""), league_tables.weights(campaign.id),
              str(get_locale()))  # the headers and words are in the reader's language
    body = results_cache.cached("league.export", params, build)
    return downloads.attachment(body, f"{label}-{campaign.year}.xlsx", f"league-{table}-{campaign.year}.xlsx")


def _weights_form(campaign: Campaign) -> WeightsForm:
    form = WeightsForm(formdata=None)
    form.weight_participation.data = f"{campaign.weight_participation:g}"
    form.weight_score.data = f"{campaign.weight_score:g}"
    form.practice_identity_mode.data = campaign.practice_identity_mode
    return form


def _settings_page(campaign: Campaign, form: WeightsForm | None = None,
                   certificate_form: CertificateForm | None = None, status: int = 200):
    if certificate_form is None:
        certificate_form = CertificateForm(formdata=None)
        certificate_form.issuer.data = campaign.certificate_issuer
    seal_version = (hashlib.sha256(campaign.certificate_seal).hexdigest()[:10]
                    if campaign.certificate_seal else None)
    return render_template("league/settings.html", campaign=campaign, form=form or _weights_form(campaign),
                           certificate_form=certificate_form, seal_version=seal_version), status


@bp.route("/admin/league/<int:campaign_id>/settings", methods=["GET", "POST"])
@organiser_required
def settings(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if request.method == "GET":
        return _settings_page(campaign)
    form = WeightsForm()
    if form.validate_on_submit():
        # The weights are part of every table's cache key: the next read computes new figures.
        campaign.weight_participation = form.values["weight_participation"]
        campaign.weight_score = form.values["weight_score"]
        campaign.practice_identity_mode = form.practice_identity_mode.data
        db.session.commit()
        flash(_("活动设置已保存。"), "info")
        return redirect(url_for(".table", campaign_id=campaign.id, table="enterprises"), 303)
    return _settings_page(campaign, form=form, status=422)


# ---- certificates: the issuing body (主办单位) and its seal ------------------------------------

@bp.post("/admin/league/<int:campaign_id>/certificate")
@organiser_required
def certificate_settings(campaign_id: int):
    from ..contests import certificates

    campaign = campaign_or_404(campaign_id)
    form = CertificateForm()
    if form.validate_on_submit():
        upload = form.seal.data
        seal = None
        if upload is not None and upload.filename:
            try:
                seal = certificates.prepare_seal(upload.read())
            except certificates.SealRefused as refused:
                form.seal.errors = [*form.seal.errors, str(refused)]
        if not form.seal.errors:
            campaign.certificate_issuer = form.issuer.data or ""
            if seal is not None:
                campaign.certificate_seal = seal
            db.session.commit()
            flash(_("证书设置已保存。") + (_("印章已更新。") if seal is not None else ""), "info")
            return redirect(url_for(".settings", campaign_id=campaign.id) + "#certificate", 303)
    return _settings_page(campaign, certificate_form=form, status=422)


@bp.post("/admin/league/<int:campaign_id>/certificate/seal/delete")
@organiser_required
def delete_seal(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    campaign.certificate_seal = None
    db.session.commit()
    flash(_("印章已删除，证书上不再加盖印章。"), "info")
    return redirect(url_for(".settings", campaign_id=campaign.id) + "#certificate", 303)


@bp.get("/admin/league/<int:campaign_id>/certificate/seal.png")
@organiser_required
def seal_image(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if not campaign.certificate_seal:
        raise NotFound(_("还没有上传印章。"))
    response = send_file(io.BytesIO(campaign.certificate_seal), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"  # the URL changes with the seal
    return response


@bp.get("/admin/league/<int:campaign_id>/certificate/sample.png")
@organiser_required
def certificate_sample(campaign_id: int):
    """A sample certificate with this campaign's issuer, seal and theme: what participants get."""
    from ..contests import certificates

    campaign = campaign_or_404(campaign_id)
    data = certificates.CertificateData(
        number="SQ0000000000", name="张三", enterprise="示例单位", contest=f"{campaign.name}安全知识竞赛",
        score=90, max_score=100, date=clock.to_local(clock.now()).date(),
        verify_url=public_url(url_for("participant.verify", number="SQ0000000000")),
        theme=campaign.theme, issuer=(campaign.certificate_issuer or "").strip() or campaign.name,
        seal=campaign.certificate_seal,
    )
    try:
        body = certificates.render_png(data)
    except certificates.FontMissing as missing:
        raise QuizError(str(missing), status=503) from missing
    response = send_file(io.BytesIO(body), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response
