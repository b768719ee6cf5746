"""Finding 6: a choice is exactly one known option letter (单选, 判断) or a set of distinct
known letters (多选) — in contests, practice and live rounds alike. Anything else is refused
with a Chinese message and nothing is stored or counted."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from quiz.live import rules as live_rules
from quiz.contests import scoring
from quiz.errors import QuizError
from quiz.extensions import db
from quiz.models import AttemptQuestion, Category, LiveAnswer, PracticeAnswer, Question

from .conftest import make_contest, question_of
from .test_live_pages import answer as live_answer
from .test_live_pages import control, create_round, join

# What a forged form may send instead of one letter per option.
FORGED_SINGLE = [["AB"], ["ABCD"], ["a"], ["Z"], ["A", "A"], ["A", ""], [" A"], ["", ""], ["A", "B"]]
FORGED_MULTI = [["AB"], ["ABCD"], ["a", "b"], ["A", "Z"], ["A", "A"], ["A", "A", "B"], ["A", "", "B"], ["A"]]


@pytest.mark.parametrize("letters", FORGED_SINGLE)
@pytest.mark.parametrize("qtype,count", [("single", 4), ("judge", 2)])
def test_one_letter_questions_take_exactly_one_known_letter(qtype, count, letters):
    with pytest.raises(QuizError) as refused:
        scoring.check_choice(qtype, letters, count)
    assert refused.value.status == 400 and refused.value.message


@pytest.mark.parametrize("letters", FORGED_MULTI)
def test_multi_takes_a_set_of_distinct_known_letters(letters):
    with pytest.raises(QuizError):
        scoring.check_choice("multi", letters, 4)


def test_well_formed_choices_pass_sorted():
    assert scoring.check_choice("single", ["C"], 4) == "C"
    assert scoring.check_choice("judge", ["B"], 2) == "B"
    assert scoring.check_choice("multi", ["D", "A", "B"], 4) == "ABD"
    with pytest.raises(QuizError, match="请先选择答案"):
        scoring.check_choice("single", [], 4)
    with pytest.raises(QuizError, match="所选选项不存在"):
        scoring.check_choice("judge", ["C"], 2)  # 判断 has only A and B


def test_contest_refuses_forged_choices_and_stores_nothing(app, enterprises, phone):
    contest = make_contest(code="FORGE1", question_count=20)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    one_letter = next(p for p in range(1, 21) if question_of(attempt_id, p).question.qtype != "multi")
    multi = next((p for p in range(1, 21) if question_of(attempt_id, p).question.qtype == "multi"), None)
    for letters in (["AB"], ["ABCD"], ["a"], ["Z"], ["A", ""]):
        response = phone.post(f"/a/{attempt_id}/answer", {"position": one_letter, "choice": letters})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, letters
        assert "所选选项不存在" in html or "只能选择一个" in html
    if multi is not None:
        response = phone.post(f"/a/{attempt_id}/answer", {"position": multi, "choice": ["A", "A", "B"]})
        assert response.status_code == 400 and "不能重复" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(
        select(func.count(AttemptQuestion.id)).where(AttemptQuestion.chosen.is_not(None))) == 0
    # The form as a phone sends it still works.
    response = phone.post(f"/a/{attempt_id}/answer", {"position": one_letter, "choice": ["A"]})
    assert response.status_code == 200
    assert question_of(attempt_id, one_letter).chosen is not None


def test_practice_refuses_forged_choices(app, enterprises, phone):
    phone.post("/practice/", {"name": "赵六", "identifier": "13700137000", "enterprise": enterprises[0].id,
                              "department": "仓储部"}, htmx=False)
    served = None
    for category in db.session.scalars(select(Category).order_by(Category.position)):
        page = phone.get(f"/practice/c/{category.id}").get_data(as_text=True)
        found = re.search(r'name="question_id" value="(\d+)"', page)
        question = db.session.get(Question, int(found.group(1))) if found else None
        if question is not None and question.qtype in ("single", "judge"):
            served = (question, category)
            break
    assert served, "no 单选 or 判断 question to practise"
    question, category = served
    for letters in (["AB"], ["ABCD"], ["a"], ["Z"], ["A", "A"], [question.answer, ""]):
        response = phone.post("/practice/answer", {"question_id": question.id, "choice": letters,
                                                   "mode": str(category.id)})
        assert response.status_code == 400, letters
        assert "正确答案" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PracticeAnswer.id))) == 0


def test_a_live_answer_abcd_is_refused_and_on_no_bar(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    phone = join(app, round_, "张三", enterprises[0])
    assert control(organiser_client, round_, "start").status_code == 200
    for letters in ("ABCD", "AB", "a", "Z"):
        response = live_answer(phone, round_, [letters])
        assert response.status_code == 400, letters
        assert "所选选项不存在" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LiveAnswer.id))) == 0
    db.session.refresh(round_)
    bars = live_rules.distribution(round_.id, round_.position, 4)
    assert bars.answered == 0 and set(bars.counts.values()) == {0}
    # One letter, as the buttons send it, is counted on exactly one bar.
    assert live_answer(phone, round_, ["B"]).status_code == 200
    bars = live_rules.distribution(round_.id, round_.position, 4)
    assert bars.counts == {"A": 0, "B": 1, "C": 0, "D": 0}
