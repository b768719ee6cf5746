"""Points for an answer. Scores never go below zero."""
from __future__ import annotations

from flask_babel import gettext as _

from ..errors import QuizError
from ..models import Contest, Question

LETTERS = "ABCDEFGH"


def check_choice(qtype: str, letters: list[str], option_count: int, partial: bool = False) -> str:
    """The letters of one answer, validated and sorted ("ACD"); one rule for contests,
    practice and live rounds.

    Each form value is exactly one known option letter, as the buttons send it: "AB" in one
    value, "a", " A" or an empty value beside real ones is a forged form, and must not be
    stored (a 单选 "AB" would be a second chance; a live "ABCD" would sit on every bar).
    ``partial``: a 多选 with one option is taken as it is (a contest saves every tap, and its
    交卷 screen lists such answers as incomplete).
    """
    if not any(letters):
        raise QuizError(_("请先选择答案。"))
    known = LETTERS[:option_count]
    if any(len(letter) != 1 or letter not in known for letter in letters):
        raise QuizError(_("所选选项不存在，请重新选择。"))
    if len(set(letters)) != len(letters):
        raise QuizError(_("同一选项不能重复选择。"))
    if qtype in ("single", "judge") and len(letters) != 1:
        raise QuizError(_("本题只能选择一个答案。"))
    if qtype == "multi" and len(letters) < 2 and not partial:
        raise QuizError(_("多选题至少选择两个选项。"))
    return "".join(sorted(letters))


def points(question: Question, chosen: str, contest: Contest) -> float:
    """The points one answer earns.

    单选/判断: all or nothing. 多选: all or nothing, or (partial credit) the share of
    the right options chosen — zero as soon as any wrong option is chosen.
    """
    full = contest.points_for(question.qtype)
    if chosen == question.answer:
        return float(full)
    if question.qtype != "multi" or not contest.multi_partial:
        return 0.0
    chosen_set, right = set(chosen), set(question.answer)
    if not chosen_set or chosen_set - right:
        return 0.0
    return round(full * len(chosen_set) / len(right), 2)


def clamp(score: float) -> float:
    return max(0.0, round(float(score), 2))
