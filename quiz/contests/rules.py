"""Rules for setting up a contest, and the URLs printed on its posters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from . import draws
from ..codes import new_code
from ..errors import NotFound, QuizError
from ..extensions import db
from ..models import Campaign, Category, Contest, Enterprise, Question, RosterPerson
from ..models.bank import TYPE_LABELS
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
    description: str = ""

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
        problems["closes_at"] = _("结束时间必须晚于开始时间。")
    if draft.fixed_uids:
        _questions, missing = draws.fixed_paper(draft.fixed_uids)
        if missing:
            problems["fixed_paper"] = _("这些编号不在题库中或已停用：%(uids)s", uids=_("、").join(missing[:10]))
        elif len(set(draft.fixed_uids)) != len(draft.fixed_uids):
            problems["fixed_paper"] = _("固定试卷中有重复的题目编号。")
    elif draft.rules:
        found = draws.rule_problems(draft.rules)
        if found:
            problems["rules"] = " ".join(found)
    elif not draft.category_ids:
        problems["categories"] = _("请至少选择一个题目分类，或按分类和题型设置抽题数量。")
    else:
        available = draws.pool_size(draft.category_ids)
        if available < draft.question_count:
            problems["question_count"] = _("所选分类只有 %(n)s 道题，不足 %(count)s 题。", n=available,
                                           count=draft.question_count)
    if draft.paper_size > 200:
        problems["question_count"] = _("一份试卷最多 200 题。")
    if not draft.open_to_all and not draft.enterprise_ids and draft.enterprise_id is None:
        problems["enterprises"] = _("请至少选择一个参赛单位，或选择“所有单位”。")
    if draft.pass_score is not None and draft.pass_score > draft.max_score_bound():
        problems["pass_score"] = _("及格分不能高于满分。")
    if db.session.get(Campaign, draft.campaign_id) is None:
        problems["campaign"] = _("请选择活动。")
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
    for _try in range(10):  # a code collision is rare; try another
        contest = Contest(
            campaign_id=draft.campaign_id,
            code=new_code(),
            title=draft.title,
            description=draft.description,
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
    raise QuizError(_("无法生成参赛码，请重试。"), status=503)


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
        raise NotFound(_("找不到这个竞赛，请检查二维码或链接是否正确。"))
    return contest


# ---- One summary of a contest's rules: the poster, the sign-up and the detail page show it.


@dataclass(frozen=True)
class ContestSummary:
    """What a participant is told about a contest, as plain sentences (the partial
    contests/_summary.html renders them; nothing else words these rules)."""

    description: str
    questions: str  # 共 10 题：单选题 4 题、判断题 6 题
    categories: list[str]  # the categories the paper is drawn from
    points: str  # 每题 10 分，满分 100 分 / 单选题每题 10 分、…
    timing: str  # 限时 10 分钟 / 每题限时 10 秒（共 30 题，答完一题进入下一题，不能返回）
    pass_mark: str | None  # 60 分及格
    attempts: str  # 每人可答 1 次 / 每天可答 2 次，排名计最好一次成绩
    leave_rule: str  # 离开答题页面超过 3 次将自动交卷
    multi_rule: str | None  # 多选题全部选对才得分 (only when 多选题 may be drawn)
    window: tuple  # (opens_at, closes_at), naive UTC: the template formats them

    @property
    def sentences(self) -> list[str]:
        return [s for s in (self.questions, self.points, self.timing, self.pass_mark, self.attempts,
                            self.leave_rule, self.multi_rule) if s]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not rest:
        return _("%(n)s 分钟", n=minutes)
    return _("%(m)s 分 %(s)s 秒", m=minutes, s=rest) if minutes else _("%(n)s 秒", n=rest)


def summary(contest: Contest) -> ContestSummary:
    """The contest's rules as participants read them, from its own columns (and, for draw
    rules and fixed papers, the categories and question types they name)."""
    count = contest.question_count
    by_type: dict[str, int] = {}
    category_ids: list[int] = []
    if contest.fixed_question_uids:
        rows = db.session.execute(
            select(Question.qtype, Question.category_id).where(
                Question.uid.in_(contest.fixed_question_uids), Question.current.is_(True))
        ).all()
        for qtype, category_id in rows:
            by_type[qtype] = by_type.get(qtype, 0) + 1
            category_ids.append(category_id)
    elif contest.draw_rules:
        for raw in contest.draw_rules:
            rule = draws.Rule.from_json(raw)
            by_type[rule.qtype] = by_type.get(rule.qtype, 0) + rule.count
            category_ids.append(rule.category_id)
    if category_ids:
        categories = list(db.session.scalars(
            select(Category.name).where(Category.id.in_(set(category_ids))).order_by(Category.position)))
    else:  # a random paper: from the contest's categories
        categories = [c.name for c in sorted(contest.categories, key=lambda c: c.position)]

    if by_type:
        questions = _("共 %(n)s 题：", n=count) + _("、").join(
            _("%(kind)s %(n)s 题", kind=_(TYPE_LABELS[t]), n=by_type[t])
            for t in ("single", "multi", "judge") if by_type.get(t))
    else:
        questions = _("共 %(n)s 题，从所选分类中随机抽取", n=count)
    types = [t for t in ("single", "multi", "judge") if by_type.get(t)] or ["single", "multi", "judge"]
    if len({contest.points_for(t) for t in types}) == 1:
        each = contest.points_for(types[0])
        points = _("每题 %(n)s 分，满分 %(total)s 分", n=each, total=count * each)
    else:
        points = _("；").join(_("%(kind)s每题 %(n)s 分", kind=_(TYPE_LABELS[t]), n=contest.points_for(t))
                              for t in types)
        if by_type:
            points += _("，满分 %(total)s 分", total=sum(by_type[t] * contest.points_for(t) for t in types))

    if contest.per_question_seconds:
        timing = _("每题限时 %(n)s 秒，按顺序作答，答完或超时进入下一题，不能返回修改",
                   n=contest.per_question_seconds)
    else:
        timing = _("限时 %(time)s，交卷前可返回修改答案", time=_minutes(contest.time_limit_seconds))
    pass_mark = _("%(n)s 分及格", n=_number(contest.pass_score)) if contest.pass_score is not None else None
    if contest.attempts_per_day:
        attempts = _("每人每天可答 %(n)s 次", n=contest.max_attempts)
    else:
        attempts = _("每人可答 %(n)s 次", n=contest.max_attempts)
    if contest.max_attempts > 1:
        attempts += (_("，排名计最好一次成绩") if contest.ranking == "best" else _("，排名计最近一次成绩"))
    if contest.leave_limit is None:
        leave_rule = _("离开答题页面的次数会被记录")
    elif contest.leave_limit == 0:
        leave_rule = _("离开答题页面将自动交卷")
    else:
        leave_rule = _("离开答题页面超过 %(n)s 次将自动交卷", n=contest.leave_limit)
    multi_rule = None
    if by_type.get("multi") if by_type else _may_draw_multi(contest):
        multi_rule = (_("多选题少选按比例得分，错选不得分") if contest.multi_partial
                      else _("多选题全部选对才得分"))
    return ContestSummary(
        description=contest.description or "", questions=questions, categories=categories,
        points=points, timing=timing, pass_mark=pass_mark, attempts=attempts, leave_rule=leave_rule,
        multi_rule=multi_rule, window=(contest.opens_at, contest.closes_at),
    )


def _may_draw_multi(contest: Contest) -> bool:
    """A random paper: whether its categories hold any 多选题 at all."""
    ids = [c.id for c in contest.categories]
    return bool(ids) and db.session.scalar(
        select(func.count(Question.id)).where(
            Question.category_id.in_(ids), Question.qtype == "multi", *draws.drawable())
    ) > 0
