"""Login for organisers and enterprise admins (participants have no password)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from . import accounts
from .. import limits
from ..extensions import db
from .forms import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/admin", template_folder="templates")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: a login link must not bounce people to another host.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")  # the dashboard (工作台)


@bp.route("/login", methods=["GET", "POST"])
@limits.login_per_address
@limits.login_per_user
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            if user.active and not user.login_token:  # an account from before login tokens
                user.new_login_token()
                db.session.commit()
            if login_user(user, remember=True):
                return redirect(_safe_next(request.args.get("next")), 303)
            error = _("该账号已停用，请联系组织者。")
        else:
            error = _("用户名或密码不正确。")
    status = 401 if error else (422 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    current_user.new_login_token()  # every session and remember-me cookie of it ends
    db.session.commit()
    logout_user()
    return redirect(url_for("index"), 303)
