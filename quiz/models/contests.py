"""Campaigns, contests, participants, attempts and their papers; the voiding audit."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import LargeBinary, JSON, Boolean, CheckConstraint, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:  # relationships name these; SQLAlchemy finds them in its registry
    from .bank import Category, Question
    from .people import Enterprise


# Who may take part in a contest, live round or a campaign's practice (身份核验):
# open — anyone, as typed; roster — only people on their enterprise's roster (花名册), name and
# 工号 or phone matching one row; roster_first — roster people matched, others admitted but
# marked 名单外 and not counted toward the participation rate.
IDENTITY_MODES = ("open", "roster", "roster_first")


IDENTITY_LABELS = {"open": "开放", "roster": "名单", "roster_first": "名单优先"}


# When a participant may see the right answers, 解析 and 依据 of a submitted attempt.
REVIEW_MODES = ("immediate", "after_close", "never")


REVIEW_LABELS = {"immediate": "交卷后立即显示", "after_close": "竞赛结束后显示", "never": "不显示"}


class Campaign(db.Model):
    """One year's 安全生产月 activity of an organiser, e.g. 2026年“安全生产月”."""

    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    theme: Mapped[str] = mapped_column(String(120), default="")
    year: Mapped[int] = mapped_column(Integer)
    # Weights of the enterprise league's composite index (综合指数), set per campaign:
    # index = 100 × (w_p × participation rate (capped at 100%) + w_s × average score %)
    #         ÷ (w_p + w_s). Documented default: 0.5 and 0.5.
    weight_participation: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    weight_score: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    # Who may practise (练习) while this is the current campaign: one of IDENTITY_MODES.
    practice_identity_mode: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    # Certificates: the issuing body (主办单位) printed on them, and its seal (a PNG, kept in the
    # database so that a backup of the database is a backup of everything).
    certificate_issuer: Mapped[str] = mapped_column(String(80), default="", server_default="")
    certificate_seal: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint("weight_participation >= 0 AND weight_score >= 0 "
                        "AND weight_participation + weight_score > 0", name="weights"),
        CheckConstraint("practice_identity_mode in ('open', 'roster', 'roster_first')",
                        name="practice_identity_mode"),
    )


# Pickers and "the current campaign" list campaigns newest first.
CAMPAIGNS_NEWEST_FIRST = (Campaign.year.desc(), Campaign.id.desc())


contest_category = Table(
    "contest_category",
    db.metadata,
    Column("contest_id", ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id"), primary_key=True),
)


contest_enterprise = Table(
    "contest_enterprise",
    db.metadata,
    Column("contest_id", ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True),
    Column("enterprise_id", ForeignKey("enterprise.id"), primary_key=True),
)


class ContestPoints:
    """Points per question type (points_single, points_multi, points_judge): the Contest row
    and the answer path's ContestRules share it."""

    def points_for(self, qtype: str) -> int:
        return {"single": self.points_single, "multi": self.points_multi,
                "judge": self.points_judge}[qtype]


class Contest(ContestPoints, db.Model):
    """A timed knowledge contest.

    The paper is drawn per attempt: ``draw_rules`` (category × type × count, optional
    difficulty), else ``question_count`` at random from ``categories``; or a fixed paper
    (``fixed_question_uids``). Time is per attempt, or per question when
    ``per_question_seconds`` is set.
    """

    __tablename__ = "contest"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    # Short public code in the join URL: /j/<code>
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    # 竞赛说明 shown to participants (sign-up, poster), editable after the contest has started.
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    # Paused since (phones see 竞赛已暂停; on resuming, open attempts get the paused time back),
    # and archived (a started contest is archived instead of deleted).
    paused_at: Mapped[datetime | None] = mapped_column(DateTime)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    question_count: Mapped[int] = mapped_column(Integer)
    time_limit_seconds: Mapped[int] = mapped_column(Integer)
    per_question_seconds: Mapped[int | None] = mapped_column(Integer)
    draw_rules: Mapped[list[dict] | None] = mapped_column(JSON)
    fixed_question_uids: Mapped[list[str] | None] = mapped_column(JSON)
    points_single: Mapped[int] = mapped_column(Integer, default=10)
    points_multi: Mapped[int] = mapped_column(Integer, default=10)
    points_judge: Mapped[int] = mapped_column(Integer, default=10)
    # 多选: False all-or-nothing; True right ÷ all right, zero if any wrong option is chosen.
    multi_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    attempts_per_day: Mapped[bool] = mapped_column(Boolean, default=False)  # N per day, not in all
    pass_score: Mapped[float | None] = mapped_column(Float)
    ranking: Mapped[str] = mapped_column(String(10), default="best")  # best | latest attempt
    # Leaving the page more often than this submits the attempt (None: only counted).
    leave_limit: Mapped[int | None] = mapped_column(Integer)
    # True: every active enterprise may take part; False: only those in contest_enterprise.
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=True)
    # An enterprise's own internal contest (created by its admin); None for campaign contests.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Who may sign up (IDENTITY_MODES) and when right answers are shown (REVIEW_MODES).
    identity_mode: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    review_mode: Mapped[str] = mapped_column(String(12), default="after_close", server_default="after_close")

    campaign: Mapped[Campaign] = relationship()
    # Loaded only where needed (drawing, eligibility): every answer loads its contest.
    categories: Mapped[list[Category]] = relationship(secondary=contest_category)
    enterprises: Mapped[list[Enterprise]] = relationship(
        secondary=contest_enterprise
    )

    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("question_count > 0", name="question_count"),
        CheckConstraint("time_limit_seconds > 0", name="time_limit"),
        CheckConstraint("max_attempts > 0", name="max_attempts"),
        CheckConstraint("ranking in ('best', 'latest')", name="ranking"),
        CheckConstraint("identity_mode in ('open', 'roster', 'roster_first')", name="identity_mode"),
        CheckConstraint("review_mode in ('immediate', 'after_close', 'never')", name="review_mode"),
    )


class Participant(db.Model):
    """A 参赛者. Identity is the enterprise plus phone number or 工号, not a cookie."""

    __tablename__ = "participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The roster row this person was matched to at sign-up; None: 名单外 (or no roster).
    roster_person_id: Mapped[int | None] = mapped_column(ForeignKey("roster_person.id"))
    # Voided by an organiser (with a reason in audit_entry): every attempt leaves the tables.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("enterprise_id", "identifier"),
        UniqueConstraint("roster_person_id"),  # one participant per roster person
    )


class Attempt(db.Model):
    """One participant's run at a contest. The deadline is fixed when it starts."""

    __tablename__ = "attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[float] = mapped_column(Float, default=0)
    max_score: Mapped[float] = mapped_column(Float, default=0)
    correct_count: Mapped[int] = mapped_column(Integer, default=0)
    # Milliseconds from start to submission, capped at the deadline; the first tie-break.
    time_used_ms: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Times the page was left (Page Visibility API), counted here so a page script cannot reset it.
    leave_count: Mapped[int] = mapped_column(Integer, default=0)
    # Why the attempt was submitted for the participant: 'leave' (left the page more often than
    # the contest allows), 'time' (its time ran out); None: the participant's own 交卷.
    end_reason: Mapped[str | None] = mapped_column(String(12))
    certificate_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The participant's 部门 when the attempt started: people move between departments, and
    # an attempt counts for the department its taker was in at the time.
    department: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # The phone (a random token in its session) that owns the attempt: only it may answer,
    # read the result or the certificate. Moving to another phone takes ``resume_code``
    # (续答码, six digits) or an enterprise admin's 换手机 (which clears ``device``).
    device: Mapped[str | None] = mapped_column(String(32))
    resume_code: Mapped[str | None] = mapped_column(String(6))
    # The address the attempt was started from (the organiser's "many sign-ups from one address").
    client_address: Mapped[str] = mapped_column(String(45), default="", server_default="")
    # Voided by an organiser (reason in audit_entry): left out of every table, report and export.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)

    contest: Mapped[Contest] = relationship(lazy="joined")
    participant: Mapped[Participant] = relationship()  # not needed to save an answer

    __table_args__ = (
        UniqueConstraint("contest_id", "participant_id", "number"),
        Index("ix_attempt_contest_submitted", "contest_id", "submitted_at"),
        Index("ix_attempt_submitted", "submitted_at"),
        CheckConstraint("score >= 0", name="score"),
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class AttemptQuestion(db.Model):
    """A drawn question inside an attempt, and the answer given to it.

    ``option_order`` is the per-attempt shuffle: shown option i is
    ``question.options[option_order[i]]``. ``chosen`` holds original letters.
    """

    __tablename__ = "attempt_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    option_order: Mapped[list[int]] = mapped_column(JSON)
    chosen: Mapped[str | None] = mapped_column(String(10))
    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    points: Mapped[float] = mapped_column(Float, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Per-question timing: set when the question is first shown.
    shown_at: Mapped[datetime | None] = mapped_column(DateTime)
    deadline: Mapped[datetime | None] = mapped_column(DateTime)

    question: Mapped[Question] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "question_id"),
        # Covering index for the item statistics (quiz/reports/item_stats.py): the answers of the
        # counted attempts are read without touching the table.
        Index("ix_attempt_question_scores", "attempt_id", "question_id", "is_correct", "points"),
    )


class ContestQuestionUse(db.Model):
    """How many papers of a contest have drawn a question; the draw prefers the least used.

    Counted as papers are drawn (quiz/contests/draws.py), so a sign-up reads one row per question of
    the pool instead of counting every answer row of the contest.
    """

    __tablename__ = "contest_question_use"
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(db.Model):
    """Who changed a result or an identity, when and why: voiding and restoring attempts and
    participants, 换手机. Kept forever; never shown to participants."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # void_attempt | restore_attempt | void_participant | restore_participant | change_device
    action: Mapped[str] = mapped_column(String(30))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
