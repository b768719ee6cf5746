"""The question bank: categories and versioned questions."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


QUESTION_TYPES = ("single", "multi", "judge")


TYPE_LABELS = {"single": "单选题", "multi": "多选题", "judge": "判断题"}


JUDGE_OPTIONS = ["正确", "错误"]


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
