"""The organiser's units (企业/单位), their departments, and the enterprise admins' accounts.

Views are thin: they read the request, call ``quiz.units.rules`` and show what it returns.
Organisers may do everything here; an enterprise admin only its own unit's departments.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import clock, downloads
from . import table_import, rules as units
from ..errors import NotFound, QuizError
from ..extensions import db, htmx
from ..models import Department, Enterprise, User, parse_id
from ..web import organiser_required, render, staff_required
from .forms import AdminAccountForm, DepartmentForm, EnterpriseForm, ImportForm, ResetPasswordForm

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _attach(form, errors: dict[str, list[str]]) -> None:
    for key, messages in errors.items():
        field = getattr(form, key, None) or form.name
        field.errors = [*field.errors, *messages]


def _enterprise(enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("单位不存在。"))
    return enterprise


def _list_context(filters: units.ListFilter) -> dict:
    rows = units.list_units(filters)
    return {"rows": rows, "filters": filters, "regions": units.regions(), "industries": units.INDUSTRIES}


def _xlsx(body: bytes, name: str, fallback: str):
    return downloads.attachment(body, name, fallback)


# ---- units ---------------------------------------------------------------------


@bp.route("/enterprises", methods=["GET", "POST"])
@organiser_required
def enterprises():
    form = EnterpriseForm()
    filters = units.ListFilter.from_args(request.args)
    status = 200
    if request.method == "POST":
        data, errors = units.read_form(form.name.data, form.headcount.data, form.region.data,
                                       form.industry.data, form.departments.data)
        if not errors:
            try:
                enterprise = units.create_enterprise(data)
                units.save()
                flash(_("已添加单位“%(name)s”，编码 %(code)s。", name=enterprise.name, code=enterprise.code), "info")
                return redirect(url_for(".enterprises"), 303)
            except QuizError as error:
                db.session.rollback()
                errors = {"name": [error.message]}
        _attach(form, errors)
        status = 422
    return render("admin/enterprises.html", "admin/_enterprise_list.html", status, form=form,
                  **_list_context(filters))


@bp.route("/enterprises/<int:enterprise_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_enterprise(enterprise_id: int):
    enterprise = _enterprise(enterprise_id)
    form = EnterpriseForm(data={"name": enterprise.name, "headcount": str(enterprise.headcount),
                                "region": enterprise.region, "industry": enterprise.industry})
    status = 200
    if request.method == "POST":
        data, errors = units.read_form(form.name.data, form.headcount.data, form.region.data,
                                       form.industry.data)
        if not errors:
            try:
                changes = units.update_enterprise(enterprise, data)
                units.save()
                flash(_("已保存：%(changes)s", changes=_("；").join(changes)) if changes else _("没有改动。"), "info")
                return redirect(url_for(".edit_enterprise", enterprise_id=enterprise.id), 303)
            except QuizError as error:
                db.session.rollback()
                errors = {"name": [error.message]}
        _attach(form, errors)
        status = 422
    return render("admin/edit.html", "admin/edit.html", status, form=form, enterprise=enterprise,
                  regions=units.regions())


@bp.post("/enterprises/<int:enterprise_id>/<any(retire, restore):action>")
@organiser_required
def set_enterprise_active(enterprise_id: int, action: str):
    """停用 (retire) or 恢复启用 (restore) a unit; its results stay either way."""
    enterprise = _enterprise(enterprise_id)
    units.set_active(enterprise, action == "restore")
    units.save()
    flash(_("已停用“%(name)s”：它不再出现在参赛登记的单位列表中，已有成绩保留。", name=enterprise.name)
          if action == "retire" else _("已恢复启用“%(name)s”。", name=enterprise.name), "info")
    return redirect(url_for(".edit_enterprise", enterprise_id=enterprise.id), 303)


@bp.get("/enterprises/export.xlsx")
@organiser_required
def export_enterprises():
    return _xlsx(units.export_workbook(units.ListFilter.from_args(request.args)), _("参赛单位.xlsx"), "units.xlsx")


@bp.get("/enterprises/template.xlsx")
@organiser_required
def enterprises_template():
    return _xlsx(units.template_workbook(), _("参赛单位导入模板.xlsx"), "units-template.xlsx")


# ---- departments -----------------------------------------------------------------


def _managed_enterprise(enterprise_id: int) -> Enterprise:
    """Organisers: any unit; an enterprise admin: only its own (another → 403, not 404)."""
    if not current_user.is_organiser and current_user.enterprise_id != enterprise_id:
        abort(403)
    return _enterprise(enterprise_id)


def _department(enterprise: Enterprise, raw_id) -> Department:
    department = db.session.get(Department, number) if (number := parse_id(raw_id)) else None
    if department is None or department.enterprise_id != enterprise.id:
        raise NotFound(_("部门不存在，可能已被删除，请刷新页面。"))
    return department


@bp.route("/enterprises/<int:enterprise_id>/departments", methods=["GET", "POST"])
@staff_required
def departments(enterprise_id: int):
    enterprise = _managed_enterprise(enterprise_id)
    form = DepartmentForm()
    status, message, level = 200, None, "info"
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "add":
                department = units.add_department(enterprise, form.name.data, form.headcount.data)
                message = _("已添加部门“%(name)s”。", name=department.name)
            elif action == "save":
                department = _department(enterprise, request.form.get("department_id"))
                changes = units.update_department(department, form.name.data, form.headcount.data)
                message = _("已保存：%(changes)s", changes=_("；").join(changes)) if changes else _("没有改动。")
            elif action == "delete":
                department = _department(enterprise, request.form.get("department_id"))
                name = department.name
                units.delete_department(department)
                message = _("已删除部门“%(name)s”。", name=name)
            else:
                raise QuizError(_("不支持此操作。"), 400)
            units.save(_("保存失败：部门名称重复（可能刚被别人修改），请刷新后重试。"))
        except QuizError as error:
            db.session.rollback()
            status, message, level = error.status, error.message, "error"
        if status == 200 and not htmx:
            flash(message, "info")
            return redirect(url_for(".departments", enterprise_id=enterprise.id), 303)
        if status == 200:
            form = DepartmentForm(formdata=None)  # added: an empty form for the next one
    return render("admin/departments.html", "admin/_departments.html", status, enterprise=enterprise,
                  rows=units.list_departments(enterprise.id), form=form, message=message, level=level,
                  action=request.form.get("action"), failed_id=request.form.get("department_id"))


# ---- import ----------------------------------------------------------------------


@bp.route("/enterprises/import", methods=["GET", "POST"])
@organiser_required
def import_enterprises():
    form = ImportForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render("admin/import.html", "admin/import.html", status, form=form, result=None, token=None)
    upload = form.file.data
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = upload.read(limit + 1)
    filename = Path(upload.filename or "upload").name[:120]
    result = units.preview_import(filename, data, limit)
    token = None
    if result.importable:
        token = table_import.keep_upload("units", data, {"user_id": current_user.id, "filename": filename})
    ok = result.importable or (result.rows and not result.count("error"))
    return render("admin/import.html", "admin/import.html", 200 if ok else 422, form=form, result=result,
                  token=token)


@bp.post("/enterprises/import/<token>")
@organiser_required
def import_confirm(token: str):
    data_path, meta = table_import.stored_upload("units", token, user_id=current_user.id)
    result = units.preview_import(meta["filename"], data_path.read_bytes(), current_app.config["IMPORT_MAX_BYTES"])
    try:
        added, updated = units.commit_import(result)
        units.save(_("导入失败：单位名称、编码或部门与刚保存的数据重复，没有导入任何一行；请重新上传预览。"))
    except QuizError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".import_enterprises"), 303)
    table_import.drop_upload(data_path)
    flash(_("已导入：新增 %(added)s 个单位，更新 %(updated)s 个；未变 %(same)s 行，错误 %(error)s 行未导入。",
            added=added, updated=updated, same=result.count("same"), error=result.count("error")), "info")
    return redirect(url_for(".enterprises", status="all"), 303)


# ---- accounts --------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@organiser_required
def users():
    create = AdminAccountForm()
    reset = ResetPasswordForm()
    active = [(str(e.id), e.name) for e in units.list_units(units.ListFilter())]
    create.enterprise.choices = [("", _("请选择单位")), *active]
    status, message, create_error = 200, None, None
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "create":
                if not create.validate():
                    raise QuizError("", 422)  # the fields show their own messages
                user = units.create_enterprise_admin(create.username.data, create.password.data,
                                                     create.enterprise.data, clock.now())
                units.save(_("保存失败：用户名“%(name)s”已被使用。", name=user.username))
                flash(_("已创建企业管理员“%(name)s”，请把用户名和密码交给该单位。", name=user.username), "info")
                return redirect(url_for(".users"), 303)
            raw_id = request.form.get("user_id", "")
            user = db.session.get(User, number) if (number := parse_id(raw_id)) else None
            if action in ("reset", "disable", "enable") and user is None:
                raise NotFound(_("账号不存在，请刷新页面。"))
            if action in ("disable", "enable"):
                units.set_account_active(user, action == "enable", current_user.id)
                units.save()
                flash(_("已启用账号“%(name)s”。", name=user.username) if action == "enable"
                      else _("已停用账号“%(name)s”。", name=user.username), "info")
                return redirect(url_for(".users"), 303)
            if action == "reset":
                if not reset.validate():
                    raise QuizError(_("重置“%(name)s”的密码失败：%(problems)s", name=user.username,
                                       problems=_("；").join(str(e) for e in reset.password.errors)), 422)
                units.reset_password(user, reset.password.data)
                units.save()
                if user.id == current_user.id:  # the new password ended this session too
                    login_user(user, remember=True)
                flash(_("已重置“%(name)s”的密码。", name=user.username), "info")
                return redirect(url_for(".users"), 303)
            raise QuizError(_("不支持此操作。"), 400)
        except QuizError as error:
            db.session.rollback()
            status = error.status
            if action == "create":
                create_error = error.message or None
            else:
                message = error.message
    return render("admin/users.html", "admin/users.html", status, create=create, reset=reset,
                  accounts=units.list_accounts(), message=message, create_error=create_error)
