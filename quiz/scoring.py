"""Points for an answer. Scores never go below zero."""
from __future__ import annotations

from .models import Contest, Question


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
