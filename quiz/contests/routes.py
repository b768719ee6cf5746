"""The organiser's contests: create, QR codes, posters, and each contest's participants list."""
from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
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
from ..web import (managed_contest, organiser_required, own_enterprise_id, read_only,
                   render, staff_required, viewed_contest)
from ..i18n import N_
from . import draws, lifecycle, participant_list, progress, voiding
from .forms import CloseTimeForm, ContestForm, StartedContestForm
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
    """Every contest for an organiser; an enterprise admin's own internal contests and the
    campaign contests that admit its enterprise (those read only), counted over its own people.
    Archived contests leave the list (their results stay); ?archived=1 lists them."""
    own = own_enterprise_id()
    now = clock.now()
    archived = request.args.get("archived") == "1"
    query = select(Contest).order_by(Contest.opens_at.desc())
    hidden = select(func.count(Contest.id)).where(Contest.archived_at.is_not(None))
    if own is not None:
        query = query.where(progress.admits(own))
        hidden = hidden.where(progress.admits(own))
    query = query.where(Contest.archived_at.is_not(None) if archived else Contest.archived_at.is_(None))
    contests = list(db.session.scalars(query))
    counts = progress.by_contest([c.id for c in contests], own, now)
    rows = [(c, counts.get(c.id, progress.Counts()).submitted) for c in contests]
    archived_count = 0 if archived else db.session.scalar(hidden)
    return render_template("contests/index.html", rows=rows, now=now, own=own, archived=archived,
                           archived_count=archived_count, status_of=lambda c: lifecycle.status(c, now))


def _fill_choices(form: ContestForm) -> None:
    form.campaign.choices = [
        (c.id, c.name) for c in db.session.scalars(select(Campaign).order_by(*CAMPAIGNS_NEWEST_FIRST))
    ]
    counts = bank.drawable_counts()
    form.categories.choices = [
        (c.id, _("%(name)s（%(n)s 题）", name=c.name, n=counts.get(c.id, 0)))
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
                problems.append(_("%(category)s的抽题数量“%(raw)s”应为 0 到 100 的整数。", category=category.name,
                                  raw=raw[:10]))
                continue
            if int(raw):
                rules.append(draws.Rule(category.id, qtype, int(raw), difficulty))
    return rules, problems


def _uids(text: str) -> list[str]:
    return [token for token in re.split(r"[\s,，、;；]+", text or "") if token][:200]


def _draft(form: ContestForm, rules: list[draws.Rule], enterprise_id: int | None) -> ContestDraft:
    return ContestDraft(
        campaign_id=form.campaign.data,
        title=form.title.data,
        description=form.description.data or "",
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
        enterprise_id=enterprise_id,
    )


PAST_CLOSE = N_("结束时间已经过去：保存后参赛者将无法登记和答题。请修改结束时间，或勾选“仍然保存”。")


def _past_close_warning(form) -> str | None:
    """The in-page confirmation a close time in the past needs (None: nothing to confirm)."""
    closes = form.closes_at.data
    if closes is None or clock.from_local(closes) > clock.now() or request.form.get("confirm_past") == "1":
        return None
    return _(PAST_CLOSE)


def _form_problems(form, draft: ContestDraft, rule_errors: list[str]) -> bool:
    """Put the draft's problems on the form; True when there were any."""
    problems = draft_problems(draft)
    for field, message in problems.items():
        if field in ("rules", "fixed_paper"):
            rule_errors.append(message)
        else:
            getattr(form, field).errors = [*getattr(form, field).errors, message]
    return bool(problems)


def _contest_form_page(form, rule_errors, status, contest=None, warning=None):
    return render_template(
        "contests/new.html", form=form, status=status, rule_errors=rule_errors,
        grid=bank_io.categories(), counts=bank.drawable_counts(by_type=True), values=request.form,
        contest=contest, past_warning=warning,
    ), status


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
    warning = None
    if form.validate_on_submit() and not rule_errors:
        # An enterprise admin's contest is always its own enterprise's internal contest.
        draft = _draft(form, rules, None if current_user.is_organiser else current_user.enterprise_id)
        warning = _past_close_warning(form)
        if not _form_problems(form, draft, rule_errors) and warning is None:
            contest = create_contest(draft, clock.now())
            db.session.commit()
            return redirect(url_for(".detail", contest_id=contest.id), 303)
    return _contest_form_page(form, rule_errors, 422 if request.method == "POST" else 200, warning=warning)


def _local(moment):
    """A stored time as a form's naive local value."""
    return clock.to_local(moment).replace(tzinfo=None)


def _fill_from(form: ContestForm, contest: Contest) -> None:
    """The edit form as the contest stands."""
    form.title.data, form.description.data = contest.title, contest.description
    form.campaign.data = contest.campaign_id
    form.opens_at.data = _local(contest.opens_at)
    form.closes_at.data = _local(contest.closes_at)
    form.question_count.data = contest.question_count
    form.time_limit_minutes.data = max(1, contest.time_limit_seconds // 60)
    form.per_question_seconds.data = contest.per_question_seconds
    for name in ("points_single", "points_multi", "points_judge", "max_attempts", "pass_score", "leave_limit",
                 "identity_mode", "review_mode", "ranking"):
        getattr(form, name).data = getattr(contest, name)
    form.multi_partial.data = "partial" if contest.multi_partial else "all"
    form.attempts_per_day.data = "day" if contest.attempts_per_day else "total"
    form.fixed_paper.data = "\n".join(contest.fixed_question_uids or [])
    form.categories.data = [c.id for c in contest.categories]
    form.open_to_all.data = "all" if contest.open_to_all else "listed"
    form.enterprises.data = [e.id for e in contest.enterprises]


def _rule_values(contest: Contest) -> dict[str, str]:
    """The draw-rule grid's inputs as the contest's rules fill them."""
    values = {}
    for raw in contest.draw_rules or []:
        rule = draws.Rule.from_json(raw)
        values[f"rule-{rule.category_id}-{rule.qtype}"] = str(rule.count)
        if rule.difficulty:
            values[f"rule-{rule.category_id}-difficulty"] = str(rule.difficulty)
    return values


@bp.route("/<int:contest_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(contest_id: int):
    """Before anyone has started: the whole form. After: title, description, close time and
    pass mark (quiz/contests/lifecycle.py says why)."""
    contest = managed_contest(contest_id)
    if lifecycle.has_started(contest):
        return _edit_started(contest)
    form = ContestForm()
    _fill_choices(form)
    if request.method == "GET":
        _fill_from(form, contest)
        return render_template(
            "contests/new.html", form=form, rule_errors=[], grid=bank_io.categories(),
            counts=bank.drawable_counts(by_type=True), values=_rule_values(contest), contest=contest,
            past_warning=_(PAST_CLOSE) if contest.closes_at <= clock.now() else None,
        ), 200
    rules, rule_errors = _rules_from_form(request.form)
    warning = None
    if form.validate_on_submit() and not rule_errors:
        draft = _draft(form, rules, contest.enterprise_id)
        warning = _past_close_warning(form)
        if not _form_problems(form, draft, rule_errors) and warning is None:
            try:
                lifecycle.edit_everything(contest, draft)
            except QuizError as refused:
                db.session.rollback()
                flash(refused.message, "error")
                return redirect(url_for(".edit", contest_id=contest_id), 303)
            db.session.commit()
            flash(_("已保存竞赛设置。"), "info")
            return redirect(url_for(".detail", contest_id=contest.id), 303)
    return _contest_form_page(form, rule_errors, 422, contest=contest, warning=warning)


def _edit_started(contest: Contest):
    form = StartedContestForm()
    if request.method == "GET":
        form.title.data, form.description.data = contest.title, contest.description
        form.closes_at.data = _local(contest.closes_at)
        form.pass_score.data = contest.pass_score
    elif form.validate_on_submit():
        try:
            lifecycle.edit_started(
                contest, form.title.data, form.description.data or "", clock.from_local(form.closes_at.data),
                float(form.pass_score.data) if form.pass_score.data is not None else None, clock.now())
        except QuizError as refused:
            db.session.rollback()
            field = form.pass_score if refused.message == _("及格分不能高于满分。") else form.closes_at
            field.errors = [*field.errors, refused.message]
        else:
            db.session.commit()
            flash(_("已保存竞赛设置。"), "info")
            return redirect(url_for(".detail", contest_id=contest.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("contests/edit_started.html", form=form, contest=contest,
                           max_score=lifecycle.max_score(contest)), status


# --- Correcting a running contest: every action a POST (CSRF), confirmed in the page.


def _act(contest_id: int, action, done: str):
    contest = managed_contest(contest_id)
    try:
        result = action(contest, clock.now())
        db.session.commit()
        flash(done, "info")
        return result
    except QuizError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return None


def _to_detail(contest_id: int):
    return redirect(url_for(".detail", contest_id=contest_id), 303)


@bp.post("/<int:contest_id>/pause")
@staff_required
def pause(contest_id: int):
    _act(contest_id, lifecycle.pause, _("竞赛已暂停：参赛者不能登记和答题，计时已停止。"))
    return _to_detail(contest_id)


@bp.post("/<int:contest_id>/resume")
@staff_required
def resume(contest_id: int):
    _act(contest_id, lifecycle.resume, _("竞赛已恢复：答题中的参赛者的剩余时间已补回暂停的时长。"))
    return _to_detail(contest_id)


@bp.post("/<int:contest_id>/end")
@staff_required
def end_now(contest_id: int):
    _act(contest_id, lifecycle.end_now, _("竞赛已结束：不再接受登记，答题中的试卷将自动交卷。"))
    return _to_detail(contest_id)


@bp.post("/<int:contest_id>/close-time")
@staff_required
def close_time(contest_id: int):
    """延长 (or move) the close time from the detail page."""
    form = CloseTimeForm()
    if not form.validate_on_submit():
        managed_contest(contest_id)
        flash(" ".join(form.closes_at.errors) or _("请填写新的结束时间。"), "error")
        return _to_detail(contest_id)

    def move(contest: Contest, now):
        lifecycle.set_close_time(contest, clock.from_local(form.closes_at.data), now)

    _act(contest_id, move, _("已修改结束时间。"))
    return _to_detail(contest_id)


@bp.post("/<int:contest_id>/copy")
@staff_required
def copy(contest_id: int):
    duplicate = _act(contest_id, lifecycle.copy_contest, _("已复制竞赛（含全部规则）。请修改名称和时间后发布海报。"))
    if duplicate is None:
        return _to_detail(contest_id)
    return redirect(url_for(".edit", contest_id=duplicate.id), 303)


@bp.post("/<int:contest_id>/delete")
@staff_required
def delete(contest_id: int):
    contest = managed_contest(contest_id)
    title = contest.title
    try:
        lifecycle.delete_contest(contest)
    except QuizError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return _to_detail(contest_id)
    db.session.commit()
    flash(_("已删除竞赛“%(title)s”。", title=title), "info")
    return redirect(url_for(".index"), 303)


@bp.post("/<int:contest_id>/archive")
@staff_required
def archive(contest_id: int):
    _act(contest_id, lifecycle.archive, _("竞赛已归档：不再出现在竞赛列表中，成绩和排行榜保留。"))
    return _to_detail(contest_id)


@bp.post("/<int:contest_id>/unarchive")
@staff_required
def unarchive(contest_id: int):
    _act(contest_id, lambda contest, now: lifecycle.unarchive(contest), _("已取消归档。"))
    return _to_detail(contest_id)


def _poster_enterprise(contest: Contest) -> Enterprise | None:
    """The unit of ``?e=<code>`` (None: the general poster). An enterprise admin reading a
    campaign contest gets its own unit's poster, and only that one."""
    code = request.args.get("e")
    if read_only(contest):
        own = db.session.get(Enterprise, current_user.enterprise_id)
        if code and code.upper() != own.code:
            raise QuizError(_("您只能打印本单位的海报和二维码。"), status=403)
        return own
    if not code:
        return None
    enterprise = next((e for e in allowed_enterprises(contest) if e.code == code.upper()), None)
    if enterprise is None:
        raise NotFound(_("该单位不在本次竞赛的参赛范围内。"))
    return enterprise


@bp.get("/<int:contest_id>")
@staff_required
def detail(contest_id: int):
    contest = viewed_contest(contest_id)
    reader = read_only(contest)
    own = own_enterprise_id()
    now = clock.now()
    # A reader (an admin at a campaign contest) sees its own unit's poster only.
    enterprises = [_poster_enterprise(contest)] if reader else allowed_enterprises(contest)
    mine = progress.by_contest([contest.id], own, now).get(contest.id, progress.Counts()) \
        if own is not None else None
    return render_template(
        "contests/detail.html",
        contest=contest,
        reader=reader,
        mine=mine,
        status=lifecycle.status(contest, now),
        started=lifecycle.has_started(contest),
        now=now,
        close_form=CloseTimeForm(closes_at=_local(contest.closes_at)),
        general_url=join_url(contest),
        posters=[(e, join_url(contest, e)) for e in enterprises],
        identity_labels=IDENTITY_LABELS,
        review_labels=REVIEW_LABELS,
    )


@bp.get("/<int:contest_id>/qr.<any(png, svg):fmt>")
@staff_required
def qr_code(contest_id: int, fmt: str):
    contest = viewed_contest(contest_id)
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
    contest = viewed_contest(contest_id)
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
    return viewed_contest(contest_id), own_enterprise_id()


def _attempt(contest: Contest, attempt_id: int, own: int | None) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.contest_id != contest.id:
        raise NotFound(_("找不到这次答题。"))
    if own is not None and attempt.participant.enterprise_id != own:
        raise QuizError(_("这是其他单位的人员，您没有权限操作。"), status=403)
    return attempt


def _participant(contest: Contest, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    took_part = participant is not None and db.session.scalar(
        select(Attempt.id).where(Attempt.contest_id == contest.id, Attempt.participant_id == participant_id)
        .limit(1)) is not None
    if not took_part:
        raise NotFound(_("找不到这个人员。"))
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
    ("attempt", "void"): N_("已作废 %(name)s 的这次答题，它不再计入任何排名、报表和导出。"),
    ("attempt", "restore"): N_("已恢复 %(name)s 的这次答题。"),
    ("person", "void"): N_("已作废人员 %(name)s：此人的全部答题不再计入任何排名、报表和导出。"),
    ("person", "restore"): N_("已恢复人员 %(name)s。"),
}


def _void_or_restore(contest: Contest, what: str, action: str, thing, name: str, void, restore):
    reason = request.form.get("reason", "")  # checked (and tidied) by the rule
    rule = void if action == "void" else restore

    def run() -> str:
        rule(thing, current_user.id, reason)
        return _(DONE[what, action], name=name)

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
    contest, _own = _contest_in_view(contest_id)
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
        return _("已为 %(name)s 换手机：请此人在新手机上重新登记，即可继续这次答题。", name=attempt.participant.name)

    _apply(run)
    return _back(contest)


__all__ = ["participants", "void_attempt", "void_participant", "change_device"]
