"""The domain, as SQLAlchemy 2 typed models.

Rules that say "one per" are unique constraints here, not checks in code:
one participant per (enterprise, phone/工号), one attempt number per
(contest, participant), one row per (attempt, question).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

QUESTION_TYPES = ("single", "multi", "judge")
TYPE_LABELS = {"single": "单选题", "multi": "多选题", "judge": "判断题"}

# Ids and positions are INTEGER columns (PostgreSQL's 32-bit integer): a number from a URL or
# a form beyond this is no row, and must not reach the driver (SQLite raises OverflowError).
ID_MAX = 2**31 - 1


def parse_id(raw) -> int | None:
    """An id typed into a form or query string, or None when it cannot be one (not digits,
    or beyond ID_MAX): the caller answers "not found" as for any other missing row."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= ID_MAX else None
JUDGE_OPTIONS = ["正确", "错误"]

# Who may take part in a contest, live round or a campaign's practice (身份核验):
# open — anyone, as typed; roster — only people on their enterprise's roster (花名册), name and
# 工号 or phone matching one row; roster_first — roster people matched, others admitted but
# marked 名单外 and not counted toward the participation rate.
IDENTITY_MODES = ("open", "roster", "roster_first")
IDENTITY_LABELS = {"open": "开放", "roster": "名单", "roster_first": "名单优先"}
# When a participant may see the right answers, 解析 and 依据 of a submitted attempt.
REVIEW_MODES = ("immediate", "after_close", "never")
REVIEW_LABELS = {"immediate": "交卷后立即显示", "after_close": "竞赛结束后显示", "never": "不显示"}


class User(UserMixin, db.Model):
    """Someone who logs in: an organiser (安委办) or an enterprise admin."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="organiser")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # A disabled account cannot log in, and its open sessions end (see web.load_user).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Flask-Login's alternative id: part of every session and remember cookie, and replaced on
    # logout, password change or reset and disabling, so that every earlier cookie ends.
    login_token: Mapped[str] = mapped_column(String(32), default="", server_default="")

    __table_args__ = (CheckConstraint("role in ('organiser', 'enterprise_admin')", name="role"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in an inactive user
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.new_login_token()  # a changed or reset password ends every earlier session

    def new_login_token(self) -> None:
        """End every session and remember-me cookie of this account (they carry the token)."""
        self.login_token = secrets.token_hex(16)

    def get_id(self) -> str:  # Flask-Login's alternative id; web.load_user checks both parts
        return f"{self.id}:{self.login_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    def may_read_attempt_of(self, participant: "Participant") -> bool:
        return self.is_organiser or (
            self.enterprise_id is not None and participant.enterprise_id == self.enterprise_id
        )


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

    __table_args__ = (
        CheckConstraint("weight_participation >= 0 AND weight_score >= 0 "
                        "AND weight_participation + weight_score > 0", name="weights"),
        CheckConstraint("practice_identity_mode in ('open', 'roster', 'roster_first')",
                        name="practice_identity_mode"),
    )


# Pickers and "the current campaign" list campaigns newest first.
CAMPAIGNS_NEWEST_FIRST = (Campaign.year.desc(), Campaign.id.desc())


class Enterprise(db.Model):
    """A participating unit (企业/单位) with its headcount (应参与人数)."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Short code in the enterprise's own poster URL: /j/<contest>/<code>
    code: Mapped[str] = mapped_column(String(16), unique=True)
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    region: Mapped[str] = mapped_column(String(60), default="")
    industry: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("headcount >= 0", name="headcount"),)


class Department(db.Model):
    """A 部门/车间 of an enterprise, with its own 应参与人数 when the enterprise gives one."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    headcount: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "name"),
        CheckConstraint("headcount >= 0", name="headcount"),
    )


class RosterPerson(db.Model):
    """One person on an enterprise's staff roster (花名册): 姓名, 工号 and/or 手机号, 部门.

    Retired people (``active`` False) stay, so that their results keep their name; they no
    longer count toward the enterprise's 应参与人数 and cannot sign up in 名单 mode.
    """

    __tablename__ = "roster_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    name: Mapped[str] = mapped_column(String(40))
    staff_no: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(11))
    department: Mapped[str] = mapped_column(String(60), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        # One person per 工号 and per phone in an enterprise (NULLs do not collide).
        UniqueConstraint("enterprise_id", "staff_no"),
        UniqueConstraint("enterprise_id", "phone"),
        Index("ix_roster_person_enterprise_active", "enterprise_id", "active"),
        CheckConstraint("staff_no IS NOT NULL OR phone IS NOT NULL", name="identifier"),
    )


class Category(db.Model):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class QuestionLabels:
    """The label of a question's type (qtype): the Question row and the answer path's
    QuestionFacts share it."""

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.qtype]


class Question(QuestionLabels, db.Model):
    """One version of a bank question. ``answer`` holds option letters (A = options[0]).

    A question that has been answered is never changed in place: an edit adds a
    new version row (same ``uid``, ``version`` + 1, ``current``) and attempts keep
    pointing at the version they asked. Nothing is deleted; ``active`` False retires.
    """

    __tablename__ = "question"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable id across versions (e.g. "law-001" from the bank file, "imp-…" for imports).
    uid: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    qtype: Mapped[str] = mapped_column(String(10))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str | None] = mapped_column(String(120))
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(60), default="builtin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Not joined by default: an answer loads its question on every request. Lists that
    # show category names load them with joinedload (see bank.search).
    category: Mapped[Category] = relationship()

    __table_args__ = (
        UniqueConstraint("uid", "version"),
        CheckConstraint("qtype in ('single', 'multi', 'judge')", name="qtype"),
        CheckConstraint("difficulty between 1 and 3", name="difficulty"),
    )

    @property
    def answer_label(self) -> str:
        """"B", "ACD", or 正确/错误 for a 判断题."""
        if self.qtype == "judge":
            return JUDGE_OPTIONS["AB".index(self.answer)]
        return self.answer

    @property
    def basis_label(self) -> str:
        """"安全生产法 第五条" → "《安全生产法》第五条"."""
        if not self.basis:
            return ""
        law, _, article = self.basis.partition(" ")
        return f"《{law.strip('《》')}》{article.strip()}"


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
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
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
        # Covering index for the item statistics (quiz/item_stats.py): the answers of the
        # counted attempts are read without touching the table.
        Index("ix_attempt_question_scores", "attempt_id", "question_id", "is_correct", "points"),
    )


class ContestQuestionUse(db.Model):
    """How many papers of a contest have drawn a question; the draw prefers the least used.

    Counted as papers are drawn (quiz/draws.py), so a sign-up reads one row per question of
    the pool instead of counting every answer row of the contest.
    """

    __tablename__ = "contest_question_use"
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class PracticeAnswer(db.Model):
    """An answer given in training (练习): no clock, no ranking, feeds the 错题本."""

    __tablename__ = "practice_answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    chosen: Mapped[str] = mapped_column(String(10))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime)


class Mistake(db.Model):
    """A question in a participant's 错题本, until answered right twice in a row."""

    __tablename__ = "mistake"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    question_uid: Mapped[str] = mapped_column(String(40))
    wrong_count: Mapped[int] = mapped_column(Integer, default=0)
    right_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_wrong_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("participant_id", "question_uid"),)


LIVE_STATES = ("lobby", "question", "reveal", "leaderboard", "final")


class LiveRound(db.Model):
    """A live "我问你答" round on a projector: everyone answers the same question at once.

    The state machine lives here, not in a process: lobby → question → reveal →
    leaderboard → question … → final. ``version`` grows by one on every change of
    state, so any process (and any reconnecting phone) can tell what is new.
    """

    __tablename__ = "live_round"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # the 6 digits typed on phones
    title: Mapped[str] = mapped_column(String(120))
    host_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # An enterprise's own round (its admin hosts it, its staff join); None: open to every unit.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    question_seconds: Mapped[int] = mapped_column(Integer, default=20)
    scoring: Mapped[str] = mapped_column(String(10), default="speed")  # speed | count
    streak_bonus: Mapped[bool] = mapped_column(Boolean, default=False)
    multi_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    # Some halls want the question only on the projector, the phones showing buttons alone.
    question_on_phone: Mapped[bool] = mapped_column(Boolean, default=True)
    identity_mode: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    state: Mapped[str] = mapped_column(String(12), default="lobby")
    position: Mapped[int] = mapped_column(Integer, default=0)  # current question, 0 in the lobby
    question_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    question_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    # While paused, the deadline is cleared and the time that was left is kept here.
    paused_remaining_ms: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("state in ('lobby', 'question', 'reveal', 'leaderboard', 'final')", name="state"),
        CheckConstraint("scoring in ('speed', 'count')", name="scoring"),
        CheckConstraint("question_seconds between 10 and 60", name="question_seconds"),
        CheckConstraint("identity_mode in ('open', 'roster', 'roster_first')", name="identity_mode"),
    )

    @property
    def paused(self) -> bool:
        return self.paused_remaining_ms is not None


class LiveQuestion(db.Model):
    """A question of a live round, in the order it is asked. Options keep the bank order,
    so the letters on the projector and on every phone are the same."""

    __tablename__ = "live_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("live_round.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("round_id", "position"),)


class LivePlayer(db.Model):
    """A phone in the hall. Its identity is a random token in a signed cookie, not a connection."""

    __tablename__ = "live_player"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("live_round.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    department: Mapped[str] = mapped_column(String(60), default="")
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rounds with a roster identity mode: the 工号/phone typed and the roster row it matched.
    identifier: Mapped[str] = mapped_column(String(32), default="", server_default="")
    roster_person_id: Mapped[int | None] = mapped_column(ForeignKey("roster_person.id"))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    # One roster person joins a round once (a second phone with their identity is refused).
    __table_args__ = (UniqueConstraint("round_id", "roster_person_id"),)


class LiveAnswer(db.Model):
    """One player's answer to one question of a round: one row, ever (the unique constraint)."""

    __tablename__ = "live_answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("live_round.id", ondelete="CASCADE"))
    player_id: Mapped[int] = mapped_column(ForeignKey("live_player.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    chosen: Mapped[str] = mapped_column(String(10))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[int] = mapped_column(Integer)
    # Points for speed and correctness, given when the answer arrives; the streak bonus is
    # added at the reveal, when the run of right answers before it is known.
    points: Mapped[int] = mapped_column(Integer, default=0)
    bonus: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("player_id", "position"),
        Index("ix_live_answer_round_position", "round_id", "position"),
        CheckConstraint("points >= 0 and bonus >= 0", name="points"),
    )


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
