"""Rules for setting up a contest, and the URLs printed on its posters."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .attempts import available_question_count
from .codes import new_code
from .errors import QuizError
from .extensions import db
from .models import Campaign, Category, Contest, Enterprise


@dataclass
class ContestDraft:
    campaign_id: int
    title: str
    opens_at: datetime  # naive UTC
    closes_at: datetime
    question_count: int
    time_limit_seconds: int
    points_per_question: int
    category_ids: list[int]
    open_to_all: bool
    enterprise_ids: list[int]


def draft_problems(draft: ContestDraft) -> dict[str, str]:
    """Field name → message, for every rule the draft breaks."""
    problems = {}
    if draft.closes_at <= draft.opens_at:
        problems["closes_at"] = "结束时间必须晚于开始时间。"
    if not draft.category_ids:
        problems["categories"] = "请至少选择一个题目分类。"
    else:
        available = available_question_count(draft.category_ids)
        if available < draft.question_count:
            problems["question_count"] = f"所选分类只有 {available} 道题，不足 {draft.question_count} 题。"
    if not draft.open_to_all and not draft.enterprise_ids:
        problems["enterprises"] = "请至少选择一个参赛单位，或选择“所有单位”。"
    if db.session.get(Campaign, draft.campaign_id) is None:
        problems["campaign"] = "请选择活动。"
    return problems


def create_contest(draft: ContestDraft, now: datetime) -> Contest:
    problems = draft_problems(draft)
    if problems:
        raise QuizError(next(iter(problems.values())))
    categories = list(db.session.scalars(select(Category).where(Category.id.in_(draft.category_ids))))
    enterprises = (
        []
        if draft.open_to_all
        else list(db.session.scalars(select(Enterprise).where(Enterprise.id.in_(draft.enterprise_ids))))
    )
    for _ in range(10):  # a code collision is rare; try another
        contest = Contest(
            campaign_id=draft.campaign_id,
            code=new_code(),
            title=draft.title,
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            question_count=draft.question_count,
            time_limit_seconds=draft.time_limit_seconds,
            points_per_question=draft.points_per_question,
            open_to_all=draft.open_to_all,
            created_at=now,
            categories=categories,
            enterprises=enterprises,
        )
        try:
            with db.session.begin_nested():
                db.session.add(contest)
            return contest
        except IntegrityError:
            continue
    raise QuizError("无法生成参赛码，请重试。", status=503)


def join_url(contest: Contest, enterprise: Enterprise | None = None) -> str:
    """The absolute URL a poster's QR code encodes."""
    path = url_for(
        "participant.join",
        code=contest.code,
        **({"enterprise_code": enterprise.code} if enterprise else {}),
    )
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root.rstrip("/")
    return base + path
