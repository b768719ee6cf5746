"""Practice answers and the 错题本."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


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
