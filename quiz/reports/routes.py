"""The organiser's reports: the statistics table (活动进展情况统计表) with its charts, and the
knowledge analysis (试题分析) with a ready training list.

Who sees what (checked here, on the server, from the logged-in user):
organisers everything; an enterprise admin only its own enterprise — on the report page
its own row (no regions, no other units, no totals of others), on the knowledge page its
own enterprise next to the overall figures (anonymous aggregates). ``?enterprise=`` of
another enterprise is refused (403); anonymous visitors are sent to the login page.
"""
from __future__ import annotations

import base64
from functools import lru_cache

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import get_locale, gettext as _
from sqlalchemy import select

from . import item_stats, data as report_data, export as report_export
from ..league import tables as league_tables
from ..training import practice
from .. import downloads, qr, results_cache
from .charts import bar_chart
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import CAMPAIGNS_NEWEST_FIRST, Campaign, Enterprise, Question, parse_id
from ..web import campaign_or_404, own_enterprise_id, public_url, render, staff_required

bp = Blueprint("reports", __name__, url_prefix="/admin/reports", template_folder="templates")

CHARTS = ("daily", "scores")
QUESTION_ROWS = 100  # questions listed on the knowledge page; the .xlsx has all of them
EMPTY_REGION = league_tables.EMPTY_KEY
# The zone names of clock.ZONE_NAMES, shown in a figure caption (translated there).
league_tables.N_("北京时间"), league_tables.N_("香港时间"), league_tables.N_("澳门时间"), league_tables.N_("台北时间")


# ---- scope ----------------------------------------------------------------------------


def _enterprise_arg(own: int | None) -> Enterprise | None:
    """?enterprise=<id>: any enterprise for an organiser; an admin only its own (its own by
    default)."""
    raw = request.args.get("enterprise", "").strip()
    wanted = None
    if raw:
        wanted = parse_id(raw)
        if wanted is None:
            raise QuizError(_("所选单位无效，请从列表中选择。"))
    if own is not None:
        if wanted is not None and wanted != own:
            raise QuizError(_("您只能查看本单位的报表。"), status=403)
        wanted = own
    if wanted is None:
        return None
    enterprise = db.session.get(Enterprise, wanted)
    if enterprise is None:
        raise NotFound(_("找不到这个单位。"))
    return enterprise


def _range() -> report_data.DateRange:
    return report_data.parse_range(request.args.get("since"), request.args.get("until"))


def _sections(rows: list[league_tables.Figures], weights) -> list[report_export.Section]:
    """Units grouped by region (regions by name, 未填写 last; units by name), with subtotals."""
    by_region: dict[str, list] = {}
    for row in rows:
        by_region.setdefault(row.region or EMPTY_REGION, []).append(row)
    ordered = sorted(by_region, key=lambda r: (r == EMPTY_REGION, r))
    return [
        report_export.Section(region, sorted(by_region[region], key=lambda f: (f.key, f.enterprise_id or 0)),
                              league_tables.total(by_region[region], _("小计"), weights))
        for region in ordered
    ]


def _statistics(campaign: Campaign, own: int | None, period: report_data.DateRange) -> dict:
    """The statistics table of who asks: every unit by region with subtotals and a total for
    an organiser; only its own row for an enterprise admin."""
    rows = league_tables.unit_figures(campaign.id, "enterprise", enterprise_id=own,
                                      since=period.since, until=period.until)
    weights = league_tables.weights(campaign.id)
    if own is not None:
        mine = [r for r in rows if r.enterprise_id == own]
        region = mine[0].region if mine else ""
        sections = [report_export.Section(region or EMPTY_REGION, mine, None)]
        return dict(sections=sections, total=None)
    return dict(sections=_sections(rows, weights), total=league_tables.total(rows, _("合计"), weights))


def _charts(campaign: Campaign, own: int | None, period: report_data.DateRange) -> dict:
    days = report_data.daily_participation(campaign.id, enterprise_id=own, since=period.since,
                                           until=period.until)
    bands = report_data.score_distribution(campaign.id, enterprise_id=own, since=period.since,
                                           until=period.until)
    return dict(days=days, bands=bands)


def _daily_svg(days) -> str:
    return bar_chart(
        [f"{d.day.month}/{d.day.day}" for d in days],
        [(_("参与人数"), [d.people for d in days]), (_("参与人次"), [d.attempts for d in days])],
        _("每日参与情况"), unit=_("人 / 人次"), ident="chart-daily",
    )


def _scores_svg(bands) -> str:
    return bar_chart(report_data.BAND_LABELS, [(_("人数"), bands)], _("成绩分布（百分制）"), unit=_("人"),
                     ident="chart-scores")


# ---- pages ----------------------------------------------------------------------------


@bp.get("")
@staff_required
def index():
    """The latest campaign's report (by year, then the newest)."""
    campaign = db.session.scalar(select(Campaign).order_by(*CAMPAIGNS_NEWEST_FIRST).limit(1))
    if campaign is None:
        return render("reports/none.html", "reports/none.html")
    return redirect(url_for(".report", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>")
@staff_required
def report(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    own = own_enterprise_id()
    period = _range()
    window = report_data.campaign_window(campaign.id)
    charts = _charts(campaign, own, period)
    enterprise = db.session.get(Enterprise, own) if own is not None else None
    return render(
        "reports/report.html", "reports/_report.html", tab="report",
        campaign=campaign, campaigns=_campaigns(), period=period, window=window,
        range_label=period.label(window), own=own, enterprise=enterprise,
        daily_svg=_daily_svg(charts["days"]), scores_svg=_scores_svg(charts["bands"]),
        query=period.query_args(), headcount_note=_(league_tables.HEADCOUNT_NOTE), shown=league_tables.shown, **charts,
        **_statistics(campaign, own, period),
    )


def _campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(*CAMPAIGNS_NEWEST_FIRST)))


@bp.get("/<int:campaign_id>/statistics.xlsx")
@staff_required
def statistics_xlsx(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    own = own_enterprise_id()
    period = _range()

    def build() -> bytes:
        window = report_data.campaign_window(campaign.id)
        charts = _charts(campaign, own, period)
        table = _statistics(campaign, own, period)
        title = campaign.name
        if own is not None:
            title = f"{campaign.name}·{db.session.get(Enterprise, own).name}"
        return report_export.statistics_workbook(title, period.label(window), table["sections"],
                                                 table["total"], charts["days"], charts["bands"])

    # The workbook is made from cached figures; it is kept too (writing it takes ~80 ms).
    data = results_cache.cached("reports.statistics_xlsx", (campaign.id, campaign.name, own, period, str(get_locale())),
                                build)
    name, fallback = _("活动进展情况统计表-%(name)s", name=campaign.name), f"statistics-{campaign.year}"
    if not period.is_whole:
        name += "-" + _("至").join(d.isoformat() if d else "" for d in (period.first, period.last))
        fallback += "-" + "-to-".join(d.strftime("%Y%m%d") if d else "" for d in (period.first, period.last))
    return downloads.attachment(data, name + ".xlsx", fallback + ".xlsx")


@bp.get("/<int:campaign_id>/charts/<name>.svg")
@staff_required
def chart_svg(campaign_id: int, name: str):
    if name not in CHARTS:
        raise NotFound(_("没有这个图表。"))
    campaign = campaign_or_404(campaign_id)
    own = own_enterprise_id()
    period = _range()
    scope = dict(enterprise_id=own, since=period.since, until=period.until)
    if name == "daily":
        svg = _daily_svg(report_data.daily_participation(campaign.id, **scope))
    else:
        svg = _scores_svg(report_data.score_distribution(campaign.id, **scope))
    response = Response(str(svg), mimetype="image/svg+xml")
    filename = {"daily": _("每日参与情况"), "scores": _("成绩分布")}[name] + ".svg"
    response.headers["Content-Disposition"] = downloads.disposition("inline", filename, f"{name}.svg")
    # Opened on its own, the image may do nothing but draw itself.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---- knowledge ------------------------------------------------------------------------


def _knowledge(campaign: Campaign, enterprise: Enterprise | None, with_link: bool = True) -> dict:
    overall = item_stats.item_stats(campaign.id)
    mine = item_stats.item_stats(campaign.id, enterprise.id) if enterprise is not None else None
    scope = mine if mine is not None else overall
    top = item_stats.top_wrong(scope)
    found = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_([t.question_id for t in top])))} if top else {}
    context = dict(
        overall=overall, mine=mine, top=top, top_questions=found,
        categories=item_stats.compare_categories(mine, overall) if mine is not None else None,
        questions=item_stats.compare_questions(mine, overall) if mine is not None else None,
        question_rows=QUESTION_ROWS,
    )
    if top and with_link:
        token = practice.set_token([t.uid for t in top])
        link = public_url(url_for("training.practice_set", token=token))
        context.update(practice_link=link, practice_qr=_qr_data_uri(link))
    return context


@lru_cache(maxsize=64)
def _qr_data_uri(link: str) -> str:
    """The QR code of a link as an inline SVG image (drawing one takes ~70 ms: kept)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr.svg(link)).decode()


@bp.get("/<int:campaign_id>/knowledge")
@staff_required
def knowledge(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    own = own_enterprise_id()
    enterprise = _enterprise_arg(own)
    choices = []
    if own is None:
        choices = list(db.session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.active.is_(True)).order_by(Enterprise.name)))
    return render(
        "reports/knowledge.html", "reports/_knowledge.html", tab="knowledge",
        campaign=campaign, campaigns=_campaigns(), own=own, enterprise=enterprise, choices=choices,
        highlight=item_stats.HIGHLIGHT, min_answers=item_stats.MIN_DISCRIMINATION_ANSWERS, shown=league_tables.shown,
        **_knowledge(campaign, enterprise),
    )


@bp.get("/<int:campaign_id>/knowledge.xlsx")
@staff_required
def knowledge_xlsx(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    own = own_enterprise_id()
    enterprise = _enterprise_arg(own)

    def build() -> bytes:
        context = _knowledge(campaign, enterprise, with_link=False)
        return report_export.knowledge_workbook(
            campaign.name, context["overall"], enterprise.name if enterprise else None,
            context["categories"], context["questions"], context["top"], context["top_questions"],
        )

    data = results_cache.cached("reports.knowledge_xlsx",
                                (campaign.id, campaign.name, enterprise.id if enterprise else None, str(get_locale())),
                                build)
    name = _("知识掌握分析-%(name)s", name=campaign.name) + (f"-{enterprise.name}" if enterprise else "")
    fallback = f"knowledge-{campaign.year}" + (f"-{enterprise.code}" if enterprise else "")
    return downloads.attachment(data, name + ".xlsx", fallback + ".xlsx")
