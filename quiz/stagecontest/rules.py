"""The on-stage team contest's rules: plain functions taking ``now`` (the server's clock).

Segments run in any order, one question on stage at a time:

* 必答 (``required``): the named team answers; right adds ``points_required``, wrong 0.
* 抢答 (``buzz``): the question is shown with the buzzers locked; ``unlock`` opens them.
  Each press is stamped with the time the server received it. A press before the unlock
  is a foul (``foul_penalty`` off at once) and that team does not press again on the
  question. The order is by receive time and is shown only ``buzz_window_ms`` after the
  first valid press (docs/stage-contest.md). The host judges the first; wrong
  (``buzz_wrong_penalty`` off) or passed, the next buzzer answers.
* 风险题 (``risk``): the team chose a stake of 10/20/30 before the question is shown;
  right adds it, wrong subtracts it.
* 观众题: a live round of quiz/live linked to the contest, scored apart.

A score is one aggregate: the points of every judgement plus the adjustments. A judge's
correction changes a judgement's points (or adjusts a team) and is logged.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from flask_babel import gettext as _

from ..errors import Conflict, NotFound, QuizError
from ..extensions import db
from ..models import (
    RISK_STAKES, SEGMENT_LABELS, Enterprise, LiveRound, Question, StageContest, StageCorrection, StageItem,
    StageJudgement, StagePress, StageTeam,
)

MAX_TEAMS = 30
MAX_WINDOW_MS = 5000
_MEMBER_SPLIT = re.compile(r"[、,，;；\s]+")


def _code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


def bump(contest: StageContest, *, press: bool = False) -> None:
    """One more version (in SQL, so two presses at once both count); one more phase too,
    unless the change is a press."""
    contest.version = StageContest.version + 1
    if not press:
        contest.phase = StageContest.phase + 1
    db.session.flush()


# ---------------------------------------------------------------- setting up


def create_contest(host_id: int, title: str, now: datetime, *, enterprise_id: int | None = None,
                   points_required: int = 10, points_buzz: int = 10, buzz_wrong_penalty: int = 0,
                   foul_penalty: int = 5, buzz_window_ms: int = 300) -> StageContest:
    title = (title or "").strip()
    if not title:
        raise QuizError(_("请填写名称。"))
    if not 0 <= buzz_window_ms <= MAX_WINDOW_MS:
        raise QuizError(_("抢答揭晓窗口应在 0 到 %(max)s 毫秒之间。", max=MAX_WINDOW_MS))
    if min(points_required, points_buzz, buzz_wrong_penalty, foul_penalty) < 0:
        raise QuizError(_("分值和扣分不能为负数。"))
    contest = StageContest(
        title=title[:120], host_id=host_id, enterprise_id=enterprise_id, points_required=points_required,
        points_buzz=points_buzz, buzz_wrong_penalty=buzz_wrong_penalty, foul_penalty=foul_penalty,
        buzz_window_ms=buzz_window_ms, version=1, created_at=now)
    db.session.add(contest)
    db.session.flush()
    return contest


def members_of(text: str) -> list[str]:
    return [name for name in _MEMBER_SPLIT.split(text or "") if name]


def teams(contest: StageContest) -> list[StageTeam]:
    return list(db.session.scalars(select(StageTeam).where(StageTeam.contest_id == contest.id)
                                   .order_by(StageTeam.position)))


def add_team(contest: StageContest, name: str, unit: str = "", members: str = "",
             enterprise_id: int | None = None) -> StageTeam:
    name = (name or "").strip()
    if not name:
        raise QuizError(_("请填写队名。"))
    people = members_of(members)
    if people and not 2 <= len(people) <= 4:
        raise QuizError(_("每队 2 至 4 名队员（用顿号或逗号分隔）。"))
    existing = teams(contest)
    if len(existing) >= MAX_TEAMS:
        raise QuizError(_("最多 %(n)s 支代表队。", n=MAX_TEAMS))
    if any(t.name == name for t in existing):
        raise Conflict(_("已有名为“%(name)s”的代表队。", name=name))
    team = StageTeam(contest_id=contest.id, position=len(existing) + 1, name=name[:60], unit=(unit or "").strip()[:120],
                     members="、".join(people)[:200], enterprise_id=enterprise_id, takeover_code=_code())
    db.session.add(team)
    bump(contest)
    return team


def teams_from_enterprises(contest: StageContest, enterprises: list[Enterprise]) -> list[StageTeam]:
    """One team per enterprise not yet in the contest, named after it."""
    taken = {t.name for t in teams(contest)} | {t.enterprise_id for t in teams(contest)}
    return [add_team(contest, e.name, e.name, enterprise_id=e.id) for e in enterprises
            if e.name not in taken and e.id not in taken]


def team_of(contest: StageContest, team_id: int) -> StageTeam:
    team = db.session.get(StageTeam, team_id)
    if team is None or team.contest_id != contest.id:
        raise NotFound(_("找不到这支代表队。"))
    return team


# ---------------------------------------------------------------- buzzer phones


def bind_buzzer(contest: StageContest, team: StageTeam, device: str | None, code: str = "") -> str:
    """The phone's device token as the team's buzzer. The first phone binds; another phone
    only with the team's takeover code (or after the host released the buzzer)."""
    if team.device and team.device == device:
        return device
    if team.device and not (code and secrets.compare_digest(code.strip(), team.takeover_code)):
        raise Conflict(_("该队已有一部抢答手机。如需换手机，请输入主持人给出的接管码，或请主持人在控制台解除绑定。"),
                       status=409)
    token = secrets.token_hex(16)
    team.device = token
    team.takeover_code = _code()  # a code works once
    bump(contest)
    return token


def release_buzzer(contest: StageContest, team: StageTeam) -> None:
    team.device = None
    bump(contest)


# ---------------------------------------------------------------- questions on stage


def current_item(contest: StageContest) -> StageItem | None:
    if contest.current_item_id is None:
        return None
    return db.session.get(StageItem, contest.current_item_id)


def _open(contest: StageContest) -> StageItem:
    item = current_item(contest)
    if item is None or item.closed_at is not None:
        raise Conflict(_("现在没有进行中的题目。"))
    return item


def ask(contest: StageContest, segment: str, question: Question, now: datetime, *,
        team: StageTeam | None = None, stake: int | None = None) -> StageItem:
    """Put a question on stage. 必答 and 风险题 name their team; 风险题 its stake, chosen
    before the question is seen (it cannot change once the question is shown)."""
    if contest.ended_at is not None:
        raise Conflict(_("本场比赛已结束。"))
    if (item := current_item(contest)) is not None and item.closed_at is None:
        raise Conflict(_("请先结束当前题目，再出下一题。"))
    if segment not in ("required", "buzz", "risk"):
        raise QuizError(_("未知的环节。"))
    if segment in ("required", "risk") and team is None:
        raise QuizError(_("%(segment)s请选择作答的代表队。", segment=_(SEGMENT_LABELS[segment])))
    if segment == "buzz":
        team = None
    if segment == "risk":
        if stake not in RISK_STAKES:
            raise QuizError(_("风险题请先选择分值：10、20 或 30 分。"))
        points = stake
    else:
        stake = None
        points = contest.points_required if segment == "required" else contest.points_buzz
    seq = (db.session.scalar(select(func.max(StageItem.seq)).where(StageItem.contest_id == contest.id)) or 0) + 1
    item = StageItem(contest_id=contest.id, seq=seq, segment=segment, question_id=question.id,
                     team_id=team.id if team else None, stake=stake, points=points, shown_at=now)
    db.session.add(item)
    db.session.flush()
    contest.current_item_id = item.id
    bump(contest)
    return item


def unlock(contest: StageContest, now: datetime) -> StageItem:
    item = _open(contest)
    if item.segment != "buzz":
        raise QuizError(_("只有抢答题需要解锁抢答器。"))
    if item.unlocked_at is not None:
        raise Conflict(_("抢答器已经解锁。"))
    item.unlocked_at = now
    bump(contest)
    return item


def press(contest: StageContest, team: StageTeam, received_at: datetime) -> StagePress:
    """A press, stamped with the time the server received it. Before the unlock it is a
    foul: the penalty is taken off at once and the team is out of this question."""
    item = current_item(contest)
    if item is None or item.closed_at is not None or item.segment != "buzz":
        raise Conflict(_("现在不是抢答时间。"))
    if db.session.scalar(select(StagePress.id).where(StagePress.item_id == item.id, StagePress.team_id == team.id)):
        raise Conflict(_("本题已经按过抢答器。"))
    foul = item.unlocked_at is None or received_at < item.unlocked_at
    found = StagePress(item_id=item.id, team_id=team.id, received_at=received_at, foul=foul)
    db.session.add(found)
    if foul:
        db.session.add(StageJudgement(contest_id=contest.id, item_id=item.id, team_id=team.id, kind="foul",
                                      correct=False, points=-contest.foul_penalty, judged_at=received_at))
    bump(contest, press=True)
    return found


def buzz_order(item: StageItem) -> list[StagePress]:
    """Valid presses by the time the server received them (then by arrival in the table)."""
    return list(db.session.scalars(select(StagePress).where(StagePress.item_id == item.id,
                                                            StagePress.foul.is_(False))
                                   .order_by(StagePress.received_at, StagePress.id)))


def fouls(item: StageItem) -> list[StagePress]:
    return list(db.session.scalars(select(StagePress).where(StagePress.item_id == item.id, StagePress.foul.is_(True))
                                   .order_by(StagePress.received_at, StagePress.id)))


def order_visible_at(contest: StageContest, order: list[StagePress]) -> datetime | None:
    """When the order may be shown: ``buzz_window_ms`` after the first valid press (which is
    never before the unlock). None: nobody pressed yet."""
    if not order:
        return None
    return order[0].received_at + timedelta(milliseconds=contest.buzz_window_ms)


def order_visible(contest: StageContest, order: list[StagePress], now: datetime) -> bool:
    visible_at = order_visible_at(contest, order)
    return visible_at is not None and now >= visible_at


def _judged(item: StageItem) -> dict[int, StageJudgement]:
    return {j.team_id: j for j in db.session.scalars(select(StageJudgement).where(
        StageJudgement.item_id == item.id, StageJudgement.kind.in_(("answer", "pass"))))}


def answering_team_id(contest: StageContest, item: StageItem, now: datetime) -> int | None:
    """Who answers now: 必答/风险题 the named team until judged; 抢答 the first buzzer, in
    receive order, not judged or passed yet, once the order is shown."""
    if item.closed_at is not None:
        return None
    judged = _judged(item)
    if item.segment != "buzz":
        return None if item.team_id in judged else item.team_id
    order = buzz_order(item)
    if not order_visible(contest, order, now):
        return None
    return next((p.team_id for p in order if p.team_id not in judged), None)


def close(contest: StageContest, now: datetime) -> StageItem:
    item = _open(contest)
    item.closed_at = now
    bump(contest)
    return item


def judge(contest: StageContest, team_id: int, correct: bool, user_id: int, now: datetime) -> StageJudgement:
    """The host's ✓/✗ for the team that answers now. Right closes the question; wrong on a
    必答/风险题 too; wrong on a 抢答 passes it to the next buzzer."""
    item = _open(contest)
    if answering_team_id(contest, item, now) != team_id:
        raise Conflict(_("现在不是这支代表队作答。") if item.segment != "buzz" or buzz_order(item)
                       else _("还没有代表队抢答。"))
    if correct:
        points = item.points
    elif item.segment == "risk":
        points = -item.points
    elif item.segment == "buzz":
        points = -contest.buzz_wrong_penalty
    else:
        points = 0
    judgement = StageJudgement(contest_id=contest.id, item_id=item.id, team_id=team_id, kind="answer",
                               correct=correct, points=points, judged_by=user_id, judged_at=now)
    db.session.add(judgement)
    if correct or item.segment != "buzz":
        item.closed_at = now
    bump(contest)
    return judgement


def pass_on(contest: StageContest, user_id: int, now: datetime) -> StageJudgement:
    """抢答: the answering team gives up (no points either way); the next buzzer answers."""
    item = _open(contest)
    if item.segment != "buzz":
        raise QuizError(_("只有抢答题可以交给下一位抢答者。"))
    team_id = answering_team_id(contest, item, now)
    if team_id is None:
        raise Conflict(_("没有正在作答的代表队。"))
    judgement = StageJudgement(contest_id=contest.id, item_id=item.id, team_id=team_id, kind="pass",
                               correct=False, points=0, judged_by=user_id, judged_at=now)
    db.session.add(judgement)
    bump(contest)
    return judgement


# ---------------------------------------------------------------- scores and corrections


@dataclass(frozen=True)
class TeamScore:
    rank: int
    team_id: int
    name: str
    unit: str
    score: int


def _points_per_team(contest_id: int):
    judged = (select(StageJudgement.team_id.label("team_id"), StageJudgement.points.label("points"))
              .where(StageJudgement.contest_id == contest_id))
    adjusted = (select(StageCorrection.team_id.label("team_id"), StageCorrection.delta.label("points"))
                .where(StageCorrection.contest_id == contest_id, StageCorrection.judgement_id.is_(None)))
    both = judged.union_all(adjusted).subquery()
    return (select(both.c.team_id, func.sum(both.c.points).label("score")).group_by(both.c.team_id).subquery())


def team_scores(contest: StageContest) -> list[TeamScore]:
    """Every team's score, one aggregate; equal scores share a rank (table order after)."""
    points = _points_per_team(contest.id)
    score = func.coalesce(points.c.score, 0)
    rows = db.session.execute(
        select(func.rank().over(order_by=score.desc()), StageTeam.id, StageTeam.name, StageTeam.unit, score)
        .outerjoin(points, points.c.team_id == StageTeam.id)
        .where(StageTeam.contest_id == contest.id)
        .order_by(score.desc(), StageTeam.position)).all()
    return [TeamScore(int(rank), team_id, name, unit, int(value)) for rank, team_id, name, unit, value in rows]


def team_score(contest: StageContest, team_id: int) -> int:
    return next((s.score for s in team_scores(contest) if s.team_id == team_id), 0)


def correct_judgement(contest: StageContest, judgement_id: int, correct: bool, points: int, user_id: int,
                      reason: str, now: datetime) -> StageCorrection:
    """A judge changes a judgement (right/wrong, points) at any time; logged with the team's
    score before and after."""
    judgement = db.session.get(StageJudgement, judgement_id)
    if judgement is None or judgement.contest_id != contest.id:
        raise NotFound(_("找不到这条判定。"))
    before = team_score(contest, judgement.team_id)
    delta = points - judgement.points
    judgement.correct = correct
    judgement.points = points
    db.session.flush()
    entry = StageCorrection(contest_id=contest.id, team_id=judgement.team_id, judgement_id=judgement.id, delta=delta,
                            score_before=before, score_after=before + delta, reason=(reason or "").strip()[:200],
                            by_id=user_id, at=now)
    db.session.add(entry)
    bump(contest)
    return entry


def adjust(contest: StageContest, team_id: int, delta: int, user_id: int, reason: str, now: datetime) -> StageCorrection:
    """A judge adds to or takes from a team's score (e.g. a ruling after the question)."""
    team = team_of(contest, team_id)
    if delta == 0:
        raise QuizError(_("调整分数不能为 0。"))
    if not (reason or "").strip():
        raise QuizError(_("请填写更正原因。"))
    before = team_score(contest, team.id)
    entry = StageCorrection(contest_id=contest.id, team_id=team.id, judgement_id=None, delta=delta,
                            score_before=before, score_after=before + delta, reason=reason.strip()[:200],
                            by_id=user_id, at=now)
    db.session.add(entry)
    bump(contest)
    return entry


def corrections(contest: StageContest) -> list[StageCorrection]:
    return list(db.session.scalars(select(StageCorrection).where(StageCorrection.contest_id == contest.id)
                                   .order_by(StageCorrection.at, StageCorrection.id)))


def judgements(contest: StageContest) -> list[StageJudgement]:
    return list(db.session.scalars(select(StageJudgement).where(StageJudgement.contest_id == contest.id)
                                   .order_by(StageJudgement.judged_at, StageJudgement.id)))


# ---------------------------------------------------------------- the audience, the end


def link_audience(contest: StageContest, round_: LiveRound) -> None:
    contest.audience_round_id = round_.id
    bump(contest)


def end(contest: StageContest, now: datetime) -> None:
    if (item := current_item(contest)) is not None and item.closed_at is None:
        item.closed_at = now
    contest.ended_at = now
    bump(contest)


def buzzer_state(contest: StageContest, team: StageTeam, now: datetime) -> dict:
    """What a team's buzzer phone shows; never the question, never the answer.

    idle (no 抢答 on stage) · locked (shown, not unlocked: a press is a foul) · open ·
    pressed (rank once the order is shown) · foul."""
    item = current_item(contest)
    if contest.ended_at is not None or item is None or item.closed_at is not None or item.segment != "buzz":
        return dict(state="idle", seq=item.seq if item else 0, rank=None, until=None)
    mine = db.session.scalar(select(StagePress).where(StagePress.item_id == item.id, StagePress.team_id == team.id))
    if mine is not None and mine.foul:
        return dict(state="foul", seq=item.seq, rank=None, until=None)
    if mine is not None:
        order = buzz_order(item)
        visible_at = order_visible_at(contest, order)
        rank = next(i for i, p in enumerate(order, start=1) if p.id == mine.id) if now >= visible_at else None
        return dict(state="pressed", seq=item.seq, rank=rank, until=None if rank else visible_at)
    return dict(state="open" if item.unlocked_at is not None else "locked", seq=item.seq, rank=None, until=None)


