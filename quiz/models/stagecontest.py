"""The on-stage team contest (现场赛): teams at tables with a buzzer phone each, a host who
runs segments (必答, 抢答, 风险题, 观众题) in any order, every press and judgement kept."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    from .bank import Question

SEGMENTS = ("required", "buzz", "risk", "audience")
SEGMENT_LABELS = {"required": "必答题", "buzz": "抢答题", "risk": "风险题", "audience": "观众题"}
RISK_STAKES = (10, 20, 30)


class StageContest(db.Model):
    """One contest on a stage. ``version`` grows on every change (a press included), so the
    stage and the console can tell what is new; ``phase`` on every change but a press."""

    __tablename__ = "stage_contest"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    host_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    points_required: Mapped[int] = mapped_column(Integer, default=10)  # 必答: right adds
    points_buzz: Mapped[int] = mapped_column(Integer, default=10)  # 抢答: right adds
    buzz_wrong_penalty: Mapped[int] = mapped_column(Integer, default=0)  # 抢答: wrong subtracts
    foul_penalty: Mapped[int] = mapped_column(Integer, default=5)  # a press before the unlock
    buzz_window_ms: Mapped[int] = mapped_column(Integer, default=300)
    # The audience part (观众题): a live round of quiz/live, scored apart from the teams.
    audience_round_id: Mapped[int | None] = mapped_column(ForeignKey("live_round.id", ondelete="SET NULL"))
    current_item_id: Mapped[int | None] = mapped_column(Integer)  # the stage question on stage, if any
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Grows on every change but a press: what the buzzer phones watch. A press changes only
    # the pressing phone's screen (its own response), so 20 buzzers do not all redraw on
    # every press while the next presses are being timestamped.
    phase: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("buzz_window_ms between 0 and 5000", name="buzz_window_ms"),
        CheckConstraint("points_required >= 0 and points_buzz >= 0 and buzz_wrong_penalty >= 0 "
                        "and foul_penalty >= 0", name="points"),
    )


class StageTeam(db.Model):
    """A team (代表队) at a table. Its captain's phone is the team's buzzer: ``device`` is the
    random token that phone keeps in its signed cookie; one phone per team."""

    __tablename__ = "stage_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("stage_contest.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(120), default="")
    members: Mapped[str] = mapped_column(String(200), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    device: Mapped[str | None] = mapped_column(String(32))
    # Typed on a second phone to take the buzzer over (shown on the host's console only).
    takeover_code: Mapped[str] = mapped_column(String(6))

    __table_args__ = (UniqueConstraint("contest_id", "position"), UniqueConstraint("contest_id", "name"))


class StageItem(db.Model):
    """One question asked on stage, in a segment. 必答 and 风险题 name the team that answers
    (and 风险题 the stake it chose before seeing the question); 抢答 has an unlock time."""

    __tablename__ = "stage_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("stage_contest.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(10))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("stage_team.id"))
    stake: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)  # what a right answer adds
    shown_at: Mapped[datetime] = mapped_column(DateTime)
    unlocked_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    question: Mapped[Question] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("contest_id", "seq"),
        CheckConstraint("segment in ('required', 'buzz', 'risk')", name="segment"),
        CheckConstraint("stake is null or stake in (10, 20, 30)", name="stake"),
    )


class StagePress(db.Model):
    """A buzzer press, timestamped when the server received it. One per team and question:
    a team that pressed before the unlock (a foul) does not press again on that question."""

    __tablename__ = "stage_press"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stage_item.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("stage_team.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    foul: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("item_id", "team_id"), Index("ix_stage_press_item_received", "item_id", "received_at"))


class StageJudgement(db.Model):
    """What the host decided (or the rules did, for a foul): ``points`` as now counted."""

    __tablename__ = "stage_judgement"
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("stage_contest.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stage_item.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("stage_team.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # answer | pass | foul
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer)
    judged_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    judged_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("item_id", "team_id", "kind"),
        CheckConstraint("kind in ('answer', 'pass', 'foul')", name="kind"),
    )


class StageCorrection(db.Model):
    """A judge's correction, logged: of a judgement (its points before and after), or an
    adjustment of a team's score (``judgement_id`` empty, ``delta`` counted)."""

    __tablename__ = "stage_correction"
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("stage_contest.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("stage_team.id", ondelete="CASCADE"))
    judgement_id: Mapped[int | None] = mapped_column(ForeignKey("stage_judgement.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column(Integer)
    score_before: Mapped[int] = mapped_column(Integer)
    score_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
