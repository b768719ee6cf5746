"""Practice (练习): who may practise (the newest campaign's identity mode), the unit list, and
finding 4 — practice grades only a question it served to this participant."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from quiz.training import practice
from quiz.units import rosters
from quiz.extensions import db
from quiz.models import Category, Participant, PracticeAnswer, Question
from quiz.contests.participants import IDENTITY_TAKEN

from .conftest import csrf_token, make_campaign, question_of
from .test_live_identity import add_person
from .test_practice import practice_phone, serve, shown_question_id, wrong_letters


def practice_answers() -> int:
    return db.session.scalar(select(func.count(PracticeAnswer.id)))


def secrets_of(question: Question) -> list[str]:
    """What must not reach a phone that was not served the question."""
    found = [question.explanation]
    if question.basis:
        found.append(question.basis)
    return [text for text in found if text]


# ---------------------------------------------------------------- finding 4


def test_an_invented_identity_cannot_read_answers_by_posting_ids(contest, enterprises, phone, new_phone):
    # A colleague's open contest paper: its questions must stay secret.
    colleague = new_phone()
    attempt_id = colleague.attempt_id(colleague.sign_up(contest.code, enterprise=enterprises[0].id))
    contest_question = question_of(attempt_id, 1).question

    practice_phone(phone, enterprises)  # an invented identity
    targets = [contest_question] + list(db.session.scalars(
        select(Question).where(Question.current.is_(True)).order_by(Question.id).limit(20)))
    for question in targets:
        response = phone.post("/practice/answer", {"question_id": question.id, "choice": list(question.answer)})
        text = response.get_data(as_text=True)
        assert response.status_code == 409, text[:300]
        assert "请先打开题目再作答" in text
        assert "回答正确" not in text and "正确答案" not in text
        for secret in secrets_of(question):
            assert secret not in text
    assert practice_answers() == 0


def test_a_question_served_to_one_identity_is_not_graded_for_another(app, enterprises, phone, new_phone):
    question = db.session.scalars(select(Question).where(Question.current.is_(True))).first()
    practice_phone(phone, enterprises)
    serve(phone, question)
    other = new_phone()
    other.post("/practice/", {"name": "孙七", "identifier": "13700137001", "enterprise": enterprises[0].id,
                              "department": "仓储部"}, htmx=False)
    response = other.post("/practice/answer", {"question_id": question.id, "choice": list(question.answer)})
    assert response.status_code == 409 and practice_answers() == 0


def test_served_questions_are_graded_in_every_mode(contest, enterprises, phone):
    practice_phone(phone, enterprises)
    # By category.
    law = db.session.scalars(select(Category).order_by(Category.position)).first()
    page = phone.get(f"/practice/c/{law.id}").get_data(as_text=True)
    question = db.session.get(Question, shown_question_id(page))
    response = phone.post("/practice/answer", {"question_id": question.id, "choice": wrong_letters(question),
                                               "mode": str(law.id)})
    assert response.status_code == 200 and "回答错误" in response.get_data(as_text=True)
    # The 错题本 serves it again: answered from there.
    page = phone.get("/practice/mistakes/practice").get_data(as_text=True)
    assert shown_question_id(page) == question.id
    response = phone.post("/practice/answer", {"question_id": question.id, "choice": list(question.answer),
                                               "mode": "mistakes"})
    assert response.status_code == 200 and "回答正确" in response.get_data(as_text=True)
    # A practice set.
    other = db.session.scalars(select(Question).where(Question.current.is_(True), Question.id != question.id)).first()
    token = practice.set_token([other.uid])
    page = phone.get(f"/practice/set/{token}").get_data(as_text=True)
    response = phone.post("/practice/answer", {"question_id": shown_question_id(page), "mode": "set", "set": token,
                                               "i": 0, "choice": list(other.answer)})
    assert response.status_code == 200 and "回答正确" in response.get_data(as_text=True)
    # A refused choice (bad letters) shows the question again, and it can still be answered.
    response = phone.post("/practice/answer", {"question_id": other.id, "choice": ["Z"]})
    assert response.status_code == 400
    response = phone.post("/practice/answer", {"question_id": other.id, "choice": list(other.answer)})
    assert response.status_code == 200
    assert practice_answers() == 4


def test_only_the_last_questions_served_are_remembered(app, enterprises, phone):
    """The served list is short (it lives in the session cookie): an old page is refused."""
    practice_phone(phone, enterprises)
    questions = list(db.session.scalars(
        select(Question).where(Question.current.is_(True)).order_by(Question.id).limit(practice.SERVED_MAX + 1)))
    for question in questions:
        serve(phone, question)
    oldest, newest = questions[0], questions[-1]
    assert phone.post("/practice/answer", {"question_id": oldest.id, "choice": list(oldest.answer)}).status_code == 409
    assert phone.post("/practice/answer", {"question_id": newest.id, "choice": list(newest.answer)}).status_code == 200


# ---------------------------------------------------------------- who may practise


def sign_up(phone, enterprise, name, identifier, department="仓储部"):
    return phone.post("/practice/", {"name": name, "identifier": identifier,
                                     "enterprise": enterprise.id if enterprise else "",
                                     "department": department}, htmx=False)


def test_the_unit_list_starts_at_choose_and_is_required(app, enterprises, phone):
    page = phone.get("/practice/").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert options[0] == "请选择单位" and len(options) == len(enterprises) + 1
    response = sign_up(phone, None, "赵六", "13700137000")
    assert response.status_code == 422 and "请选择单位" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0


def test_roster_practice_admits_only_roster_people(app, enterprises, phone):
    make_campaign("2025年“安全生产月”").year = 2025  # an older campaign, open: not the one that counts
    campaign = make_campaign()
    campaign.practice_identity_mode = "roster"
    db.session.commit()
    person = add_person(enterprises[0], "王小明", staff_no="A1001", department="二车间")

    wrong = sign_up(phone, enterprises[0], "李四", "A1001")
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 403 and rosters.NOT_ON_ROSTER in text and "王小明" not in text
    assert 'name="identifier"' in text and "李四" in text  # the form again, with what was typed
    stranger = sign_up(phone, enterprises[0], "赵六", "13700137000")
    assert stranger.status_code == 403 and rosters.NOT_ON_ROSTER in stranger.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0

    assert sign_up(phone, enterprises[0], "王小明", "A1001").status_code == 303
    participant = db.session.scalars(select(Participant)).one()
    assert participant.roster_person_id == person.id and participant.department == "二车间"
    assert "错题本（0 题）" in phone.get("/practice/").get_data(as_text=True)


def test_roster_practice_asks_a_phone_signed_up_off_roster_again(contest, enterprises, phone):
    phone.sign_up(contest.code, name="赵六", identifier="13700137000", enterprise=enterprises[0].id)
    assert "错题本（0 题）" in phone.get("/practice/").get_data(as_text=True)  # 开放: the contest's identity will do
    contest.campaign.practice_identity_mode = "roster"
    db.session.commit()
    page = phone.get("/practice/").get_data(as_text=True)
    assert "开始练习" in page and "错题本（" not in page
    response = phone.get("/practice/mistakes")  # asked to sign up again, from the roster
    assert response.status_code == 302 and response.headers["Location"].endswith("/practice/")


def test_roster_first_practice_admits_others_but_refuses_a_borrowed_identifier(app, enterprises, phone, new_phone):
    campaign = make_campaign()
    campaign.practice_identity_mode = "roster_first"
    db.session.commit()
    add_person(enterprises[0], "王小明", staff_no="A1001")
    assert sign_up(phone, enterprises[0], "赵六", "13700137000").status_code == 303
    participant = db.session.scalars(select(Participant)).one()
    assert participant.roster_person_id is None
    borrowed = sign_up(new_phone(), enterprises[0], "冒名者", "A1001")
    text = borrowed.get_data(as_text=True)
    assert borrowed.status_code == 409 and IDENTITY_TAKEN in text and "王小明" not in text
    assert 'name="identifier"' in text  # in the form, not a bare error page
    assert db.session.scalar(select(func.count(Participant.id))) == 1


def test_the_campaign_settings_edit_the_practice_mode(app, organiser_client):
    campaign = make_campaign()
    db.session.commit()
    path = f"/admin/league/{campaign.id}/settings"
    page = organiser_client.get(path).get_data(as_text=True)
    assert "练习" in page and "名单优先" in page
    data = {"weight_participation": "0.5", "weight_score": "0.5", "practice_identity_mode": "roster_first",
            "csrf_token": csrf_token(organiser_client, path)}
    assert organiser_client.post(path, data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).practice_identity_mode == "roster_first"
    data["practice_identity_mode"] = "everyone"
    assert organiser_client.post(path, data=data).status_code == 422
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).practice_identity_mode == "roster_first"
