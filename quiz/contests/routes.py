"""The organiser's contests: create, QR codes, posters."""
from __future__ import annotations

import re

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy import func, select

from .. import bank, bank_io, clock, draws, qr
from ..contest_rules import ContestDraft, create_contest, default_identity_mode, draft_problems, join_url
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import (
    CAMPAIGNS_NEWEST_FIRST, IDENTITY_LABELS, REVIEW_LABELS, Attempt, Campaign, Category, Contest, Enterprise,
)
from ..participants import allowed_enterprises
from ..slogans import slogan_for
from flask_login import current_user

from ..web import may_manage, staff_required
from .forms import ContestForm

bp = Blueprint("contests", __name__, url_prefix="/admin/contests", template_folder="templates")


@bp.get("/")
@staff_required
def index():
    submitted = (
        select(Attempt.contest_id, func.count(Attempt.id).label("submitted"))
        .where(Attempt.submitted_at.is_not(None))
        .group_by(Attempt.contest_id)
        .subquery()
    )
    query = (
        select(Contest, func.coalesce(submitted.c.submitted, 0))
        .outerjoin(submitted, submitted.c.contest_id == Contest.id)
        .order_by(Contest.opens_at.desc())
    )
    if not current_user.is_organiser:  # an enterprise admin: its own internal contests only
        query = query.where(Contest.enterprise_id == current_user.enterprise_id)
    rows = db.session.execute(query).all()
    return render_template("contests/index.html", rows=rows, now=clock.now())


def _fill_choices(form: ContestForm) -> None:
    form.campaign.choices = [
        (c.id, c.name) for c in db.session.scalars(select(Campaign).order_by(*CAMPAIGNS_NEWEST_FIRST))
    ]
    counts = bank.drawable_counts()
    form.categories.choices = [
        (c.id, f"{c.name}（{counts.get(c.id, 0)} 题）")
        for c in db.session.scalars(select(Category).order_by(Category.position))
    ]
    form.enterprises.choices = [
        (e.id, e.name)
        for e in db.session.scalars(
            select(Enterprise).where(Enterprise.active.is_(True)).order_by(Enterprise.name)
        )
    ]


RULE_TYPES = ("single", "multi", "judge")


def _rules_from_form(form_data) -> tuple[list[draws.Rule], list[str]]:
    """The category × type grid of the form: rule-<category>-<type> counts, rule-<category>-difficulty."""
    rules, problems = [], []
    for category in bank_io.categories():
        difficulty_raw = form_data.get(f"rule-{category.id}-difficulty", "")
        difficulty = int(difficulty_raw) if difficulty_raw in ("1", "2", "3") else None
        for qtype in RULE_TYPES:
            raw = form_data.get(f"rule-{category.id}-{qtype}", "").strip()
            if not raw:
                continue
            if not raw.isdigit() or int(raw) > 100:
                problems.append(f"{category.name}的抽题数量“{raw[:10]}”应为 0 到 100 的整数。")
                continue
            if int(raw):
                rules.append(draws.Rule(category.id, qtype, int(raw), difficulty))
    return rules, problems


def _uids(text: str) -> list[str]:
    return [token for token in re.split(r"[\s,，、;；]+", text or "") if token][:200]


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = ContestForm()
    _fill_choices(form)
    if request.method == "GET":
        form.categories.data = [value for value, _ in form.categories.choices]
        # Every unit it admits by default (all, or the admin's own) keeps a roster: 名单.
        form.identity_mode.data = default_identity_mode(
            None if current_user.is_organiser else [current_user.enterprise_id])
    rules, rule_errors = _rules_from_form(request.form)
    if form.validate_on_submit() and not rule_errors:
        draft = ContestDraft(
            campaign_id=form.campaign.data,
            title=form.title.data,
            opens_at=clock.from_local(form.opens_at.data),
            closes_at=clock.from_local(form.closes_at.data),
            question_count=form.question_count.data,
            time_limit_seconds=form.time_limit_minutes.data * 60,
            category_ids=form.categories.data or [],
            open_to_all=form.open_to_all.data == "all",
            enterprise_ids=form.enterprises.data or [],
            rules=rules,
            fixed_uids=_uids(form.fixed_paper.data),
            per_question_seconds=form.per_question_seconds.data,
            points_single=form.points_single.data,
            points_multi=form.points_multi.data,
            points_judge=form.points_judge.data,
            multi_partial=form.multi_partial.data == "partial",
            max_attempts=form.max_attempts.data,
            attempts_per_day=form.attempts_per_day.data == "day",
            pass_score=float(form.pass_score.data) if form.pass_score.data is not None else None,
            ranking=form.ranking.data,
            leave_limit=form.leave_limit.data,
            identity_mode=form.identity_mode.data,
            review_mode=form.review_mode.data,
            # An enterprise admin's contest is always its own enterprise's internal contest.
            enterprise_id=None if current_user.is_organiser else current_user.enterprise_id,
        )
        problems = draft_problems(draft)
        for field, message in problems.items():
            if field in ("rules", "fixed_paper"):
                rule_errors.append(message)
            else:
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        if not problems:
            contest = create_contest(draft, clock.now())
            db.session.commit()
            return redirect(url_for(".detail", contest_id=contest.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "contests/new.html", form=form, status=status, rule_errors=rule_errors,
        grid=bank_io.categories(), counts=bank.drawable_counts(by_type=True), values=request.form,
    ), status


def managed_contest(contest_id: int) -> Contest:
    """The contest, if this user may manage it (403 for another enterprise's contest)."""
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise NotFound("找不到这个竞赛。")
    if not may_manage(contest):
        raise QuizError("这是其他单位的竞赛，您没有权限管理。", status=403)
    return contest


def _poster_enterprise(contest: Contest) -> Enterprise | None:
    code = request.args.get("e")
    if not code:
        return None
    enterprise = next((e for e in allowed_enterprises(contest) if e.code == code.upper()), None)
    if enterprise is None:
        raise NotFound("该单位不在本次竞赛的参赛范围内。")
    return enterprise


@bp.get("/<int:contest_id>")
@staff_required
def detail(contest_id: int):
    contest = managed_contest(contest_id)
    enterprises = allowed_enterprises(contest)
    return render_template(
        "contests/detail.html",
        contest=contest,
        general_url=join_url(contest),
        posters=[(e, join_url(contest, e)) for e in enterprises],
        identity_labels=IDENTITY_LABELS,
        review_labels=REVIEW_LABELS,
    )


@bp.get("/<int:contest_id>/qr.<any(png, svg):fmt>")
@staff_required
def qr_code(contest_id: int, fmt: str):
    contest = managed_contest(contest_id)
    enterprise = _poster_enterprise(contest)
    url = join_url(contest, enterprise)
    name = f"{contest.code}-{enterprise.code}" if enterprise else contest.code
    if fmt == "png":
        body, mimetype = qr.png(url), "image/png"
    else:
        body, mimetype = qr.svg(url), "image/svg+xml"
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="qr-{name}.{fmt}"'},
    )


@bp.get("/<int:contest_id>/poster")
@staff_required
def poster(contest_id: int):
    contest = managed_contest(contest_id)
    enterprise = _poster_enterprise(contest)
    return render_template(
        "contests/poster.html",
        contest=contest,
        enterprise=enterprise,
        url=join_url(contest, enterprise),
        slogan=slogan_for(contest.id),
    )


from . import participants  # noqa: E402,F401 — the participants list's routes, on this blueprint
