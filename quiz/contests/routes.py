"""The organiser's contests: create, QR codes, posters, and each contest's participants list."""
from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import clock, qr
from ..bank import files as bank_io
from ..bank import queries as bank
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import (
    CAMPAIGNS_NEWEST_FIRST, IDENTITY_LABELS, REVIEW_LABELS, Attempt, Campaign, Category, Contest, Enterprise,
    Participant,
)
from ..web import managed_contest, organiser_required, own_enterprise_id, render, staff_required
from . import draws, participant_list, voiding
from .forms import ContestForm
from .participants import allowed_enterprises
from .rules import ContestDraft, create_contest, default_identity_mode, draft_problems, join_url, summary
from .slogans import slogan_for

bp = Blueprint("contests", __name__, url_prefix="/admin/contests", template_folder="templates")


@bp.app_template_global("contest_summary")
def contest_summary(contest: Contest):
    """contests/_summary.html's data (the poster, the sign-up and the detail page include it)."""
    return summary(contest)


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


# --- A contest's participants list (参赛人员) and the clean-up actions on it.
# Who may do what, checked here on the server:
# - the list: organisers (every participant), an enterprise admin (its own enterprise's
# participants, in its own internal contests and in the campaign's contests);
# - 作废 / 恢复 (void / restore an attempt or a person): organisers only — results reported
# upward are the organiser's to correct;
# - 换手机: organisers, and the enterprise admin of the person's enterprise.
# Every POST carries the CSRF token (the app's CSRFProtect); the rules are in voiding.py.


def _contest_in_view(contest_id: int) -> tuple[Contest, int | None]:
    """The contest and the enterprise whose people this user sees (None: everyone)."""
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise NotFound("找不到这个竞赛。")
    own = own_enterprise_id()
    if own is not None and contest.enterprise_id not in (None, own):
        raise QuizError("这是其他单位的竞赛，您没有权限查看。", status=403)
    return contest, own


def _attempt(contest: Contest, attempt_id: int, own: int | None) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.contest_id != contest.id:
        raise NotFound("找不到这次答题。")
    if own is not None and attempt.participant.enterprise_id != own:
        raise QuizError("这是其他单位的人员，您没有权限操作。", status=403)
    return attempt


def _participant(contest: Contest, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    took_part = participant is not None and db.session.scalar(
        select(Attempt.id).where(Attempt.contest_id == contest.id, Attempt.participant_id == participant_id)
        .limit(1)) is not None
    if not took_part:
        raise NotFound("找不到这个人员。")
    return participant


def _back(contest: Contest):
    filters = participant_list.Filters.from_args(request.args)
    return redirect(url_for("contests.participants", contest_id=contest.id, **filters.query_args()), 303)


def _apply(action) -> None:
    """Run one rule; its refusal becomes a message on the list, nothing is stored."""
    try:
        message = action()
        db.session.commit()
        flash(message, "info")
    except QuizError as error:
        db.session.rollback()
        flash(error.message, "error")


@bp.get("/<int:contest_id>/participants")
@staff_required
def participants(contest_id: int):
    contest, own = _contest_in_view(contest_id)
    filters = participant_list.Filters.from_args(request.args)
    rows, total = participant_list.rows(contest, own, filters)
    shared_min, fast_seconds = participant_list.settings()
    return render(
        "contests/participants.html", "contests/_participants.html",
        contest=contest, rows=rows, total=total, filters=filters, flags=participant_list.FLAGS,
        page_size=participant_list.PAGE_SIZE, shared_min=shared_min, fast_seconds=fast_seconds,
        audit=participant_list.audit(contest, own), may_void=current_user.is_organiser,
        max_reason=voiding.REASON_MAX,
    )


DONE = {
    ("attempt", "void"): "已作废 {name} 的这次答题，它不再计入任何排名、报表和导出。",
    ("attempt", "restore"): "已恢复 {name} 的这次答题。",
    ("person", "void"): "已作废人员 {name}：此人的全部答题不再计入任何排名、报表和导出。",
    ("person", "restore"): "已恢复人员 {name}。",
}


def _void_or_restore(contest: Contest, what: str, action: str, thing, name: str, void, restore):
    reason = request.form.get("reason", "")  # checked (and tidied) by the rule
    rule = void if action == "void" else restore

    def run() -> str:
        rule(thing, current_user.id, reason)
        return DONE[what, action].format(name=name)

    _apply(run)
    return _back(contest)


@bp.post("/<int:contest_id>/participants/attempts/<int:attempt_id>/<any(void, restore):action>")
@organiser_required
def void_attempt(contest_id: int, attempt_id: int, action: str):
    contest, own = _contest_in_view(contest_id)
    attempt = _attempt(contest, attempt_id, own)
    return _void_or_restore(contest, "attempt", action, attempt, attempt.participant.name,
                            voiding.void_attempt, voiding.restore_attempt)


@bp.post("/<int:contest_id>/participants/people/<int:participant_id>/<any(void, restore):action>")
@organiser_required
def void_participant(contest_id: int, participant_id: int, action: str):
    contest, _ = _contest_in_view(contest_id)
    participant = _participant(contest, participant_id)
    return _void_or_restore(contest, "person", action, participant, participant.name,
                            voiding.void_participant, voiding.restore_participant)


@bp.post("/<int:contest_id>/participants/attempts/<int:attempt_id>/change-device")
@staff_required
def change_device(contest_id: int, attempt_id: int):
    contest, own = _contest_in_view(contest_id)
    attempt = _attempt(contest, attempt_id, own)

    def run() -> str:
        voiding.change_device(attempt, current_user.id)
        return f"已为 {attempt.participant.name} 换手机：请此人在新手机上重新登记，即可继续这次答题。"

    _apply(run)
    return _back(contest)


__all__ = ["participants", "void_attempt", "void_participant", "change_device"]
