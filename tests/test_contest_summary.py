"""One summary of a contest's rules (contests.rules.summary, rendered by contests/_summary.html):
the poster, the sign-up screen and the organiser's detail page say the same thing."""
from __future__ import annotations

import re

from sqlalchemy import select

from quiz.contests.rules import summary
from quiz.extensions import db
from quiz.models import Category

from .conftest import make_contest


def _block(html: str) -> str:
    match = re.search(r'<div class="contest-summary">.*?</div>', html, re.S)
    assert match, html[:2000]
    return match.group(0)


def _two_category_contest():
    first, second = list(db.session.scalars(select(Category).order_by(Category.position)))[:2]
    return make_contest(
        code="SUM001", per_question_seconds=10, minutes=1, pass_score=60, max_attempts=2,
        attempts_per_day=True, leave_limit=3, points=5, description="请在安静的环境中独立作答。",
        categories=list(db.session.scalars(select(Category))),  # the random picker's leftovers
        draw_rules=[{"category_id": first.id, "qtype": "judge", "count": 4, "difficulty": None},
                    {"category_id": second.id, "qtype": "single", "count": 2, "difficulty": None}],
        question_count=6,
    ), first, second


def test_the_three_pages_show_one_summary(app, enterprises, organiser_client, phone):
    contest, first, second = _two_category_contest()
    detail = organiser_client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    poster = organiser_client.get(f"/admin/contests/{contest.id}/poster").get_data(as_text=True)
    signup = phone.get(f"/j/{contest.code}").get_data(as_text=True)
    blocks = {_block(page) for page in (detail, poster, signup)}
    assert len(blocks) == 1, blocks
    text = blocks.pop()
    # The points are there (the detail page once read a renamed column: "每题 分").
    assert "每题 5 分，满分 30 分" in text
    assert "共 6 题：单选题 2 题、判断题 4 题" in text
    # Timed per question: one wording everywhere, never the unused whole-paper limit.
    assert "每题限时 10 秒" in text and "限时 1 分钟" not in text
    assert "60 分及格" in text
    assert "每人每天可答 2 次，排名计最好一次成绩" in text
    assert "离开答题页面超过 3 次将自动交卷" in text
    assert "请在安静的环境中独立作答。" in text
    # Only the two categories the rules draw from, not every category of the contest row.
    categories = re.search(r"题目分类：([^<]*)<", text).group(1)
    assert categories == f"{first.name}、{second.name}"
    for page in (detail, poster, signup):
        assert "限时 1 分钟" not in page and "每题  分" not in page and "每题 分" not in page


def test_a_whole_paper_contest_reads_its_time_limit_and_leave_rule(app, enterprises):
    contest = make_contest(minutes=15, leave_limit=None, points=10, question_count=10)
    found = summary(contest)
    assert found.timing.startswith("限时 15 分钟")
    assert found.points == "每题 10 分，满分 100 分"
    assert found.leave_rule == "离开答题页面的次数会被记录"
    assert found.pass_mark is None
    assert found.attempts == "每人可答 1 次"
    contest.leave_limit = 0
    assert summary(contest).leave_rule == "离开答题页面将自动交卷"


def test_different_points_per_type_are_each_named(app, enterprises):
    contest = make_contest()
    contest.points_single, contest.points_multi, contest.points_judge = 2, 4, 1
    found = summary(contest)
    assert found.points == "单选题每题 2 分；多选题每题 4 分；判断题每题 1 分"
