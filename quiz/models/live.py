"""Live rounds (现场答题): rounds, their questions, players and answers."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import false as sa_false
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:  # relationships name these; SQLAlchemy finds them in its registry
    from .bank import Question
    from .people import Enterprise


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
    # speed: 500–1000 per right answer, faster more; count: 100 per right answer (partial
    # credit and streak bonus if chosen); accuracy: 100 per fully right answer, nothing else.
    scoring: Mapped[str] = mapped_column(String(10), default="speed")  # speed | count | accuracy
    streak_bonus: Mapped[bool] = mapped_column(Boolean, default=False)
    multi_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    # Some halls want the question only on the projector, the phones showing buttons alone.
    question_on_phone: Mapped[bool] = mapped_column(Boolean, default=True)
    identity_mode: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    # An online round (直播答题) answered by viewers of a live stream that runs this many seconds
    # behind the stage: phones get each question that much after the host opens it on the stage.
    stream_delay_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(12), default="lobby")
    position: Mapped[int] = mapped_column(Integer, default=0)  # current question, 0 in the lobby
    # When the phones' question opens (the stage's opening plus the stream delay): the answer
    # window and the response times count from here.
    question_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    question_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    # While paused, the deadline is cleared and the time that was left is kept here.
    paused_remaining_ms: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The presenter's settings, changed from the host's console: no new joins; the stage lists
    # units with their counts instead of names (a large hall); a tick and a chime on the stage.
    lobby_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    hide_names: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    sound: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("state in ('lobby', 'question', 'reveal', 'leaderboard', 'final')", name="state"),
        CheckConstraint("scoring in ('speed', 'count', 'accuracy')", name="scoring"),
        CheckConstraint("stream_delay_seconds between 0 and 60", name="stream_delay_seconds"),
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
