"""A contest's participants list (参赛人员) and the clean-up actions on it.

Who may do what, checked here on the server:
- the list: organisers (every participant), an enterprise admin (its own enterprise's
  participants, in its own internal contests and in the campaign's contests);
- 作废 / 恢复 (void / restore an attempt or a person): organisers only — results reported
  upward are the organiser's to correct;
- 换手机: organisers, and the enterprise admin of the person's enterprise.
Every POST carries the CSRF token (the app's CSRFProtect); the rules are in quiz/voiding.py.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import participant_list, voiding
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import Attempt, Contest, Participant
from ..web import organiser_required, own_enterprise_id, render, staff_required
from .routes import bp


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
