"""Rules for setting up a contest, and the URLs printed on its posters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from . import draws
from ..codes import new_code
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import Campaign, Category, Contest, Enterprise, RosterPerson
from ..web import public_url


@dataclass
class ContestDraft:
    campaign_id: int
    title: str
    opens_at: datetime  # naive UTC
    closes_at: datetime
    question_count: int  # random mode only; rules and fixed papers count themselves
    time_limit_seconds: int
    category_ids: list[int]
    open_to_all: bool
    enterprise_ids: list[int]
    rules: list[draws.Rule] = field(default_factory=list)
    fixed_uids: list[str] = field(default_factory=list)
    per_question_seconds: int | None = None
    points_single: int = 10
    points_multi: int = 10
    points_judge: int = 10
    multi_partial: bool = False
    max_attempts: int = 1
    attempts_per_day: bool = False
    pass_score: float | None = None
    ranking: str = "best"
    leave_limit: int | None = None
    enterprise_id: int | None = None  # an enterprise's own internal contest
    identity_mode: str = "open"  # models.IDENTITY_MODES
    review_mode: str = "after_close"  # models.REVIEW_MODES

    @property
    def paper_size(self) -> int:
        if self.fixed_uids:
            return len(self.fixed_uids)
        if self.rules:
            return sum(rule.count for rule in self.rules)
        return self.question_count

    def max_score_bound(self) -> int:
        """The highest score any drawn paper can reach (for checking the pass mark)."""
        return self.paper_size * max(self.points_single, self.points_multi, self.points_judge)


def draft_problems(draft: ContestDraft) -> dict[str, str]:
    """Field name → message, for every rule the draft breaks."""
    problems = {}
    if draft.closes_at <= draft.opens_at:
        problems["closes_at"] = "结束时间必须晚于开始时间。"
    if draft.fixed_uids:
        _questions, missing = draws.fixed_paper(draft.fixed_uids)
        if missing:
            problems["fixed_paper"] = f"这些编号不在题库中或已停用：{'、'.join(missing[:10])}"
        elif len(set(draft.fixed_uids)) != len(draft.fixed_uids):
            problems["fixed_paper"] = "固定试卷中有重复的题目编号。"
    elif draft.rules:
        found = draws.rule_problems(draft.rules)
        if found:
            problems["rules"] = " ".join(found)
    elif not draft.category_ids:
        problems["categories"] = "请至少选择一个题目分类，或按分类和题型设置抽题数量。"
    else:
        available = draws.pool_size(draft.category_ids)
        if available < draft.question_count:
            problems["question_count"] = f"所选分类只有 {available} 道题，不足 {draft.question_count} 题。"
    if draft.paper_size > 200:
        problems["question_count"] = "一份试卷最多 200 题。"
    if not draft.open_to_all and not draft.enterprise_ids and draft.enterprise_id is None:
        problems["enterprises"] = "请至少选择一个参赛单位，或选择“所有单位”。"
    if draft.pass_score is not None and draft.pass_score > draft.max_score_bound():
        problems["pass_score"] = "及格分不能高于满分。"
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
        if draft.open_to_all or draft.enterprise_id
        else list(db.session.scalars(select(Enterprise).where(Enterprise.id.in_(draft.enterprise_ids))))
    )
    for _ in range(10):  # a code collision is rare; try another
        contest = Contest(
            campaign_id=draft.campaign_id,
            code=new_code(),
            title=draft.title,
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            question_count=draft.paper_size,
            time_limit_seconds=draft.time_limit_seconds,
            per_question_seconds=draft.per_question_seconds,
            draw_rules=[rule.to_json() for rule in draft.rules] or None,
            fixed_question_uids=list(draft.fixed_uids) or None,
            points_single=draft.points_single,
            points_multi=draft.points_multi,
            points_judge=draft.points_judge,
            multi_partial=draft.multi_partial,
            max_attempts=draft.max_attempts,
            attempts_per_day=draft.attempts_per_day,
            pass_score=draft.pass_score,
            ranking=draft.ranking,
            leave_limit=draft.leave_limit,
            open_to_all=draft.open_to_all and draft.enterprise_id is None,
            enterprise_id=draft.enterprise_id,
            identity_mode=draft.identity_mode,
            review_mode=draft.review_mode,
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


def default_identity_mode(enterprise_ids: list[int] | None) -> str:
    """A new contest's identity mode: 名单 when every enterprise it admits (``None``: every
    active one) has a roster, else 开放."""
    has_roster = exists().where(RosterPerson.enterprise_id == Enterprise.id, RosterPerson.active.is_(True))
    query = select(func.count(Enterprise.id), func.count(Enterprise.id).filter(has_roster)).where(
        Enterprise.active.is_(True))
    if enterprise_ids is not None:
        query = query.where(Enterprise.id.in_(enterprise_ids))
    admitted, with_roster = db.session.execute(query).one()
    return "roster" if admitted and admitted == with_roster else "open"


def join_url(contest: Contest, enterprise: Enterprise | None = None) -> str:
    """The absolute URL a poster's QR code encodes."""
    return public_url(url_for(
        "participant.join",
        code=contest.code,
        **({"enterprise_code": enterprise.code} if enterprise else {}),
    ))


def get_contest(code: str) -> Contest:
    """The contest a poster's code names (any case), or a 404 saying to check the code."""
    contest = db.session.scalar(select(Contest).where(Contest.code == code.upper()))
    if contest is None:
        raise NotFound("找不到这个竞赛，请检查二维码或链接是否正确。")
    return contest
