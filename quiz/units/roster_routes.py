"""Staff rosters (花名册) and the 未参与名单.

Views are thin: they read the request, call ``quiz.units.rosters`` and show what it returns. The
organiser keeps every enterprise's roster; an enterprise admin only its own (another
enterprise's → 403).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from .. import clock, downloads
from . import rosters, table_import, rules as units
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import CAMPAIGNS_NEWEST_FIRST, Campaign, Contest, Enterprise, RosterPerson, contest_enterprise
from ..contests.participants import department_names
from ..web import db_int, may_view, own_enterprise_id, render, staff_required
from .roster_forms import PersonForm, RosterImportForm

bp = Blueprint("roster", __name__, url_prefix="/admin", template_folder="templates")



bp.add_app_template_filter(rosters.mask_phone, "mask_phone")


def _xlsx(body: bytes, name: str, fallback: str):
    return downloads.attachment(body, name, fallback)


def _enterprise(enterprise_id: int) -> Enterprise:
    """Organisers: any unit; an enterprise admin: only its own (another → 403)."""
    own = own_enterprise_id()
    if own is not None and own != enterprise_id:
        abort(403)
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("单位不存在。"))
    return enterprise


def _person(enterprise: Enterprise, person_id: int) -> RosterPerson:
    person = db.session.get(RosterPerson, person_id)
    if person is None or person.enterprise_id != enterprise.id:
        raise NotFound(_("人员不存在，可能已被删除，请刷新页面。"))
    return person


def _person_form(enterprise: Enterprise, person: RosterPerson | None = None) -> PersonForm:
    data = None
    if person is not None:
        data = {"name": person.name, "staff_no": person.staff_no or "", "phone": person.phone or "",
                "department": person.department}
    form = PersonForm(data=data)
    names = department_names(enterprise.id)
    if person is not None and person.department and person.department not in names:
        names.append(person.department)  # a 部门 renamed or deleted since: offered, kept
    form.department.choices = [("", _("（未分部门）")), *[(d, d) for d in names]]
    return form


def _read(form: PersonForm, enterprise: Enterprise, person: RosterPerson | None = None):
    """(input, errors attached to the form's fields)."""
    data, errors = rosters.read_person(form.name.data, form.staff_no.data, form.phone.data, form.department.data)
    if not errors:
        errors = rosters.person_errors(enterprise.id, data, person)
    for key, messages in errors.items():
        field = getattr(form, key)
        field.errors = [*field.errors, *messages]
    return data, errors


# ---- the roster --------------------------------------------------------------------


@bp.get("/roster")
@staff_required
def mine():
    """The nav's 花名册: an enterprise admin's own roster; the organiser picks a unit."""
    own = own_enterprise_id()
    if own is None:
        return redirect(url_for("admin.enterprises"), 303)
    return redirect(url_for(".people", enterprise_id=own), 303)


LIST_LIMIT = 500  # shown on the page; the export has everyone


@bp.route("/enterprises/<int:enterprise_id>/roster", methods=["GET", "POST"])
@staff_required
def people(enterprise_id: int):
    enterprise = _enterprise(enterprise_id)
    form = _person_form(enterprise)
    status = 200
    if request.method == "POST":
        if form.validate():
            data, errors = _read(form, enterprise)
            if not errors:
                try:
                    person = rosters.add_person(enterprise.id, data, clock.now())
                    units.save(rosters.SAVE_CLASH)
                    flash(_("已添加“%(name)s”。", name=person.name), "info")
                    return redirect(url_for(".people", enterprise_id=enterprise.id), 303)
                except QuizError as error:
                    db.session.rollback()
                    form.name.errors = [*form.name.errors, error.message]
        status = 422
    filters = rosters.PeopleFilter.from_args(request.args)
    rows = rosters.list_people(enterprise.id, filters, LIST_LIMIT + 1)
    active, retired = rosters.people_counts(enterprise.id)
    return render("roster/people.html", "roster/_people.html", status, enterprise=enterprise, form=form,
                  filters=filters, rows=rows[:LIST_LIMIT], more=len(rows) > LIST_LIMIT, active=active,
                  retired=retired, departments=department_names(enterprise.id),
                  status_filters=rosters.status_filters())


@bp.route("/enterprises/<int:enterprise_id>/roster/<int:person_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(enterprise_id: int, person_id: int):
    enterprise = _enterprise(enterprise_id)
    person = _person(enterprise, person_id)
    form = _person_form(enterprise, person)
    status = 200
    if request.method == "POST":
        if form.validate():
            data, errors = _read(form, enterprise, person)
            if not errors:
                try:
                    changes = rosters.update_person(person, data, clock.now(), clear=True)
                    units.save(rosters.SAVE_CLASH)
                    flash(_("已保存：%(changes)s", changes=_("；").join(changes)) if changes else _("没有改动。"), "info")
                    return redirect(url_for(".people", enterprise_id=enterprise.id), 303)
                except QuizError as error:
                    db.session.rollback()
                    form.name.errors = [*form.name.errors, error.message]
        status = 422
    return render("roster/edit.html", "roster/edit.html", status, enterprise=enterprise, person=person, form=form)


@bp.post("/enterprises/<int:enterprise_id>/roster/<int:person_id>/<any(retire, restore):action>")
@staff_required
def set_active(enterprise_id: int, person_id: int, action: str):
    """停用 or 恢复在册 one person; their results stay either way."""
    enterprise = _enterprise(enterprise_id)
    person = _person(enterprise, person_id)
    rosters.set_person_active(person, action == "restore", clock.now())
    units.save()
    flash(_("已停用“%(name)s”：不再计入应参与人数，也不能按名单登记；已有成绩保留。", name=person.name)
          if action == "retire" else _("已恢复“%(name)s”在册。", name=person.name), "info")
    return redirect(url_for(".people", enterprise_id=enterprise.id), 303)


@bp.get("/enterprises/<int:enterprise_id>/roster/export.xlsx")
@staff_required
def export(enterprise_id: int):
    enterprise = _enterprise(enterprise_id)
    filters = rosters.PeopleFilter.from_args({**request.args, "status": request.args.get("status", "all")})
    return _xlsx(rosters.export_workbook(enterprise.id, filters), _("花名册-%(code)s.xlsx", code=enterprise.code),
                 f"roster-{enterprise.code}.xlsx")


@bp.get("/roster/template.xlsx")
@staff_required
def template():
    return _xlsx(rosters.template_workbook(), _("花名册导入模板.xlsx"), "roster-template.xlsx")


# ---- import ----------------------------------------------------------------------


UPLOAD_KIND = "roster"


@bp.route("/enterprises/<int:enterprise_id>/roster/import", methods=["GET", "POST"])
@staff_required
def import_people(enterprise_id: int):
    enterprise = _enterprise(enterprise_id)
    form = RosterImportForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render("roster/import.html", "roster/import.html", status, enterprise=enterprise, form=form,
                      result=None, token=None, max_rows=rosters.MAX_ROWS)
    upload = form.file.data
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = upload.read(limit + 1)
    filename = Path(upload.filename or "upload").name[:120]
    result = rosters.preview_import(enterprise.id, filename, data, limit)
    token = None
    if result.importable or result.missing_departments:
        token = table_import.keep_upload(UPLOAD_KIND, data, {
            "user_id": current_user.id, "enterprise_id": enterprise.id, "filename": filename})
    ok = result.importable or (result.rows and not result.count("error"))
    return render("roster/import.html", "roster/import.html", 200 if ok else 422, enterprise=enterprise,
                  form=form, result=result, token=token, max_rows=rosters.MAX_ROWS)


@bp.post("/enterprises/<int:enterprise_id>/roster/import/<token>")
@staff_required
def import_confirm(enterprise_id: int, token: str):
    enterprise = _enterprise(enterprise_id)
    data_path, meta = table_import.stored_upload(UPLOAD_KIND, token, user_id=current_user.id,
                                                 enterprise_id=enterprise.id)
    create = request.form.get("create_departments") == "1"
    result = rosters.preview_import(enterprise.id, meta["filename"], data_path.read_bytes(),
                                    current_app.config["IMPORT_MAX_BYTES"], create_departments=create)
    try:
        if not result.importable:
            raise QuizError(_("没有可导入的行：请勾选“同时新建这些部门”，或修改文件后重新上传。"))
        added, updated = rosters.commit_import(enterprise.id, result, clock.now())
        units.save(rosters.IMPORT_CLASH)
    except QuizError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".import_people", enterprise_id=enterprise.id), 303)
    table_import.drop_upload(data_path)
    created = _("新建部门 %(n)s 个，", n=len(result.new_departments)) if result.new_departments else ""
    flash(_("已导入：%(created)s新增 %(added)s 人，更新 %(updated)s 人；未变 %(same)s 行，错误 %(error)s 行未导入。",
            created=created, added=added, updated=updated, same=result.count("same"), error=result.count("error")),
          "info")
    return redirect(url_for(".people", enterprise_id=enterprise.id, status="all"), 303)


# ---- 未参与名单 -------------------------------------------------------------------


def _contests_for(campaign_id: int, enterprise_id: int):
    """The campaign's contests the enterprise may take part in, by opening time."""
    invited = select(contest_enterprise.c.contest_id).where(contest_enterprise.c.enterprise_id == enterprise_id)
    return list(db.session.scalars(
        select(Contest).where(Contest.campaign_id == campaign_id, or_(
            Contest.enterprise_id == enterprise_id,
            Contest.enterprise_id.is_(None) & (Contest.open_to_all.is_(True) | Contest.id.in_(invited))))
        .order_by(Contest.opens_at, Contest.id)))


def _absentee_scope():
    """(enterprise, campaign, contest or None, enterprises to choose from) from the query string.

    An enterprise admin sees only its own enterprise: asking for another is refused (403)."""
    own = own_enterprise_id()
    raw = request.args.get("enterprise", type=db_int)
    if own is not None:
        if raw is not None and raw != own:
            abort(403)
        raw, choices = own, []
    else:
        counts = rosters.active_counts()  # the enterprises that have a roster
        choices = list(db.session.execute(
            select(Enterprise.id, Enterprise.name).join(counts, counts.c.enterprise_id == Enterprise.id)
            .order_by(Enterprise.name)))
        if raw is None and choices:
            raw = choices[0][0]
    enterprise = _enterprise(raw) if raw is not None else None
    campaigns = list(db.session.scalars(select(Campaign).order_by(*CAMPAIGNS_NEWEST_FIRST)))
    wanted_contest = request.args.get("contest", type=db_int)
    wanted = request.args.get("campaign", type=db_int)
    if wanted is None and wanted_contest is not None:  # a link to one contest's list
        wanted = db.session.scalar(select(Contest.campaign_id).where(Contest.id == wanted_contest))
    campaign = next((c for c in campaigns if c.id == wanted), campaigns[0] if campaigns else None)
    contests = _contests_for(campaign.id, enterprise.id) if campaign and enterprise else []
    # A contest of another campaign (the campaign was just changed) or one this enterprise
    # does not take part in: the whole campaign.
    contest = next((c for c in contests if c.id == wanted_contest), None)
    return enterprise, campaign, contest, {"enterprises": choices, "campaigns": campaigns, "contests": contests}


@bp.get("/absentees")
@staff_required
def absentees():
    enterprise, campaign, contest, choices = _absentee_scope()
    department = units.clean(request.args.get("department"))[:60]
    context = {"enterprise": enterprise, "campaign": campaign, "contest": contest, "department": department,
               "tallies": [], "rows": [], "limit": ABSENTEE_LIMIT, "posters": [], **choices}
    if enterprise is not None and campaign is not None:
        scope = rosters.Scope(contest_id=contest.id if contest else None, campaign_id=campaign.id)
        context["tallies"] = rosters.tallies(enterprise.id, scope)
        context["rows"] = rosters.absentees(enterprise.id, scope, department or None, ABSENTEE_LIMIT + 1)
        # The enterprise's own poster, to print it again for those who have not taken part:
        # of its internal contests and of the campaign's contests that admit it.
        context["posters"] = [c for c in ([contest] if contest else choices["contests"]) if may_view(c)]
    return render("roster/absentees.html", "roster/_absentees.html", **context)


ABSENTEE_LIMIT = 1000  # shown on the page; the .xlsx has everyone


@bp.get("/absentees.xlsx")
@staff_required
def absentees_export():
    enterprise, campaign, contest, _choices = _absentee_scope()
    if enterprise is None or campaign is None:
        raise NotFound(_("请先选择单位和活动。"))
    department = units.clean(request.args.get("department"))[:60]
    scope = rosters.Scope(contest_id=contest.id if contest else None, campaign_id=campaign.id)
    title = contest.title if contest else _("%(campaign)s（全部竞赛）", campaign=campaign.name)
    body = rosters.absentee_workbook(enterprise.name, title, rosters.absentees(enterprise.id, scope, department or None),
                                     rosters.tallies(enterprise.id, scope))
    scope_code = contest.code if contest else campaign.year
    return _xlsx(body, _("未参与名单-%(code)s-%(scope)s.xlsx", code=enterprise.code, scope=scope_code),
                 f"absentees-{enterprise.code}-{scope_code}.xlsx")
