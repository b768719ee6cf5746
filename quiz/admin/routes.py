"""The organiser's units (企业/单位) and their headcounts."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..codes import new_code
from ..extensions import db
from ..models import Enterprise
from ..web import organiser_required
from .forms import EnterpriseForm

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/enterprises", methods=["GET", "POST"])
@organiser_required
def enterprises():
    form = EnterpriseForm()
    if form.validate_on_submit():
        exists = db.session.scalar(select(Enterprise.id).where(Enterprise.name == form.name.data))
        if exists:
            form.name.errors = [*form.name.errors, "已有同名单位。"]
        else:
            enterprise = Enterprise(
                name=form.name.data,
                code=new_code(4),
                headcount=form.headcount.data,
                region=form.region.data or "",
                industry=form.industry.data or "",
            )
            try:
                db.session.add(enterprise)
                db.session.commit()
                return redirect(url_for(".enterprises"), 303)
            except IntegrityError:  # a concurrent add of the same name or code
                db.session.rollback()
                form.name.errors = [*form.name.errors, "保存失败：单位名称或编码重复，请重试。"]
    rows = db.session.scalars(select(Enterprise).order_by(Enterprise.name)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("admin/enterprises.html", form=form, rows=rows), status
