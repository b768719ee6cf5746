"""Correcting a contest once it is set up: edit, pause and resume, extend or end now, copy,
delete or archive.

Before anyone has started (no attempt at all) everything may change, as when it was created.
After that only what does not change the paper or the scoring of attempts already made: the
title, the description, the close time (extend, shorten to a later moment, or end now), and
the pass mark — shown on the pages and applied to attempts submitted from then on; results
already submitted keep their 合格 and certificates. A paused contest refuses sign-ups, answers
and submissions (attempts.require_running) and its open attempts' clocks stand still; on
resuming, every open attempt's start, deadline and per-question deadlines move later by the
paused time, so it is charged to nobody.

Plain functions of the session's rows and ``now`` (naive UTC); they raise QuizError with the
message the organiser reads, flush but never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..i18n import N_
from ..codes import new_code
from ..errors import QuizError
from ..extensions import db
from ..models import Attempt, AttemptQuestion, Category, Contest, ContestQuestionUse, Enterprise
from .rules import ContestDraft, draft_problems

COPY_SUFFIX = N_("（副本）")


def has_started(contest: Contest) -> bool:
    """Whether anyone has started an attempt (from then on the paper and scoring are fixed)."""
    return bool(db.session.scalar(select(exists().where(Attempt.contest_id == contest.id))))


def status(contest: Contest, now: datetime) -> str:
    """未开始 / 进行中 / 已暂停 / 已结束, with 已归档 first."""
    if contest.archived_at is not None:
        return N_("已归档")
    if now < contest.opens_at:
        return N_("未开始")
    if now >= contest.closes_at:
        return N_("已结束")
    return N_("已暂停") if contest.paused_at is not None else N_("进行中")


def _refuse(message: str, status_code: int = 409):
    raise QuizError(message, status=status_code)


def edit_everything(contest: Contest, draft: ContestDraft) -> None:
    """Before anyone has started: the contest becomes ``draft`` (its code, unit and creation stay)."""
    if has_started(contest):
        _refuse(_("已有人开始答题，试卷和计分不能再修改；只能修改名称、说明、结束时间和及格分。"))
    problems = draft_problems(draft)
    if problems:
        raise QuizError(next(iter(problems.values())), status=422)

    contest.campaign_id = draft.campaign_id
    contest.title, contest.description = draft.title, draft.description
    contest.opens_at, contest.closes_at = draft.opens_at, draft.closes_at
    contest.question_count = draft.paper_size
    contest.time_limit_seconds = draft.time_limit_seconds
    contest.per_question_seconds = draft.per_question_seconds
    contest.draw_rules = [rule.to_json() for rule in draft.rules] or None
    contest.fixed_question_uids = list(draft.fixed_uids) or None
    for name in ("points_single", "points_multi", "points_judge", "multi_partial", "max_attempts",
                 "attempts_per_day", "pass_score", "ranking", "leave_limit", "identity_mode", "review_mode"):
        setattr(contest, name, getattr(draft, name))
    contest.categories = list(db.session.scalars(select(Category).where(Category.id.in_(draft.category_ids))))
    internal = contest.enterprise_id is not None
    contest.open_to_all = draft.open_to_all and not internal
    contest.enterprises = [] if draft.open_to_all or internal else list(
        db.session.scalars(select(Enterprise).where(Enterprise.id.in_(draft.enterprise_ids))))
    contest.paused_at = None
    db.session.flush()


def max_score(contest: Contest) -> int:
    """The highest score a paper of this contest can reach (the pass mark's bound)."""
    return contest.question_count * max(contest.points_single, contest.points_multi, contest.points_judge)


def edit_started(contest: Contest, title: str, description: str, closes_at: datetime,
                 pass_score: float | None, now: datetime) -> None:
    """After someone has started: the fields that leave the paper and the scoring alone."""
    if pass_score is not None and pass_score > max_score(contest):
        raise QuizError(_("及格分不能高于满分。"), status=422)
    contest.title = title
    contest.description = description
    contest.pass_score = pass_score
    if closes_at != contest.closes_at:
        set_close_time(contest, closes_at, now)
    db.session.flush()


def _open_attempts(contest: Contest) -> list[Attempt]:
    return list(db.session.scalars(
        select(Attempt).where(Attempt.contest_id == contest.id, Attempt.submitted_at.is_(None))))


def _time_allowed(contest: Contest, attempt: Attempt) -> timedelta:
    """An attempt's whole time, as start_or_resume gave it (before the close time capped it)."""
    if contest.per_question_seconds:
        count = db.session.scalar(select(func.count()).where(AttemptQuestion.attempt_id == attempt.id))
        return timedelta(seconds=contest.per_question_seconds * count)
    return timedelta(seconds=contest.time_limit_seconds)


def set_close_time(contest: Contest, closes_at: datetime, now: datetime) -> None:
    """A new close time: later (extend) or earlier, never before now once anyone has started
    (that is 立即结束). Open attempts get the time the new close leaves them: a deadline the old
    close cut short grows back up to the attempt's own limit, one past the new close is cut."""
    if closes_at <= contest.opens_at:
        raise QuizError(_("结束时间必须晚于开始时间。"), status=422)
    if closes_at <= now and now >= contest.opens_at and has_started(contest):
        raise QuizError(_("新的结束时间已经过去；要马上结束竞赛，请用“立即结束”。"), status=422)
    contest.closes_at = closes_at
    for attempt in _open_attempts(contest):
        attempt.deadline = min(attempt.started_at + _time_allowed(contest, attempt), closes_at)
    db.session.flush()


def end_now(contest: Contest, now: datetime) -> None:
    """Close the contest at once: sign-ups stop, and open attempts end now (the sweep submits
    them once the answer grace has passed, as with any deadline)."""
    if now <= contest.opens_at:
        _refuse(_("竞赛尚未开始，不需要结束：可以修改时间，或直接删除。"))
    if now >= contest.closes_at:
        _refuse(_("竞赛已经结束。"))
    contest.closes_at = now
    contest.paused_at = None
    for attempt in _open_attempts(contest):
        attempt.deadline = min(attempt.deadline, now)
    db.session.flush()


def pause(contest: Contest, now: datetime) -> None:
    if contest.paused_at is not None:
        _refuse(_("竞赛已经暂停。"))
    if not contest.opens_at <= now < contest.closes_at:
        _refuse(_("只有进行中的竞赛可以暂停。"))
    contest.paused_at = now
    db.session.flush()


def resume(contest: Contest, now: datetime) -> timedelta:
    """Resume a paused contest; every open attempt gets the paused time back. Returns it."""
    if contest.paused_at is None:
        _refuse(_("竞赛没有暂停。"))
    paused = max(timedelta(0), now - contest.paused_at)
    contest.paused_at = None
    open_attempts = _open_attempts(contest)
    for attempt in open_attempts:
        attempt.started_at += paused  # the time used never includes the pause either
        attempt.deadline += paused
    if open_attempts:
        items = db.session.scalars(select(AttemptQuestion).where(
            AttemptQuestion.attempt_id.in_([a.id for a in open_attempts]),
            AttemptQuestion.deadline.is_not(None)))
        for item in items:
            item.deadline += paused
            if item.shown_at is not None:
                item.shown_at += paused
    db.session.flush()
    return paused


def copy_contest(contest: Contest, now: datetime) -> Contest:
    """A new contest with the same rules, units and times (to be edited), a new code, nobody in it."""
    suffix = _(COPY_SUFFIX)
    rules = {name: getattr(contest, name) for name in (
        "campaign_id", "description", "opens_at", "closes_at", "question_count", "time_limit_seconds",
        "per_question_seconds", "draw_rules", "fixed_question_uids", "points_single", "points_multi",
        "points_judge", "multi_partial", "max_attempts", "attempts_per_day", "pass_score", "ranking",
        "leave_limit", "open_to_all", "enterprise_id", "identity_mode", "review_mode")}
    for _try in range(10):  # a code collision is rare; try another
        duplicate = Contest(
            **rules, code=new_code(), title=contest.title[:120 - len(suffix)] + suffix, created_at=now,
            categories=list(contest.categories), enterprises=list(contest.enterprises),
        )
        try:
            with db.session.begin_nested():
                db.session.add(duplicate)
            return duplicate
        except IntegrityError:
            continue
    raise QuizError(_("无法生成参赛码，请重试。"), status=503)


def delete_contest(contest: Contest) -> None:
    """Only a contest nobody has started; otherwise it is archived instead (see ``archive``)."""
    if has_started(contest):
        _refuse(_("已有人参加这个竞赛，不能删除；可以归档：它不再出现在竞赛列表中，成绩保留。"))
    db.session.execute(sql_delete(ContestQuestionUse).where(ContestQuestionUse.contest_id == contest.id))
    contest.categories = []
    contest.enterprises = []
    db.session.flush()
    db.session.delete(contest)
    db.session.flush()


def archive(contest: Contest, now: datetime) -> None:
    if contest.archived_at is not None:
        _refuse(_("竞赛已经归档。"))
    if now < contest.closes_at and contest.opens_at <= now and has_started(contest):
        _refuse(_("竞赛还在进行中，请先结束再归档。"))
    contest.archived_at = now
    db.session.flush()


def unarchive(contest: Contest) -> None:
    if contest.archived_at is None:
        _refuse(_("竞赛没有归档。"))
    contest.archived_at = None
    db.session.flush()
