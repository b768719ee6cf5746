"""Issue 20, English: what the page walk (tests/test_english_pages.py) cannot see of the core,
the login, the dashboard and practice — refusals, form messages, POST results, the 429 texts,
filters and the CLI — reads in English when asked for, and stays Chinese otherwise."""
from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField

from quiz import clock, limits
from quiz.extensions import db
from quiz.forms import Form
from quiz.models import Question, User

from .conftest import Phone, csrf_token, make_organiser
from .english import data_strings, untranslated
from .test_practice import practice_phone, shown_question_id, wrong_letters

EN = {"Accept-Language": "en"}


def english_only(body) -> None:
    left = untranslated(body, data_strings())
    assert not left, left


def test_login_refusals_and_form_messages_in_english(app, client, limit_clock):
    make_organiser()
    db.session.commit()
    page = client.get("/admin/login", headers=EN).get_data(as_text=True)
    assert "Organiser login" in page and "User name" in page and "Password" in page
    token = csrf_token(client, "/admin/login")
    empty = client.post("/admin/login", data={"csrf_token": token}, headers=EN)
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "Please enter your user name." in html and "Please enter your password." in html
    english_only(html)
    app.config["RATELIMIT_LOGIN_PER_USER"] = "1 per minute"
    wrong = client.post("/admin/login", data={"csrf_token": token, "username": "organiser", "password": "nope"},
                        headers=EN)
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.get_data(as_text=True)
    locked = client.post("/admin/login", data={"csrf_token": token, "username": "organiser", "password": "nope"},
                         headers=EN)
    html = locked.get_data(as_text=True)
    assert locked.status_code == 429 and re.search(r"Too many login attempts\. Please try again in \d+ seconds\.", html)
    english_only(html)
    # Chinese stays the default, word for word.
    chinese = client.post("/admin/login", data={"csrf_token": token, "username": "other", "password": "nope"})
    assert chinese.status_code == 401 and "用户名或密码不正确。" in chinese.get_data(as_text=True)


def test_a_staff_page_asks_for_login_in_english(app, client):
    response = client.get("/admin/", headers=EN, follow_redirects=True)
    assert "Please log in first." in response.get_data(as_text=True)
    assert "请先登录。" in client.get("/admin/", follow_redirects=True).get_data(as_text=True)


def test_error_pages_in_english(app, client):
    for path, status, text in (("/no/such/page", 404, "This page does not exist"),
                               ("/practice/set/forged", 404, "This practice link is not valid"),
                               ("/practice/c/999999", 302, None)):
        response = client.get(path, headers=EN)
        assert response.status_code == status
        if text:
            html = response.get_data(as_text=True)
            assert text in html and "Back to the home page" in html
            english_only(html)
    expired = client.post("/practice/", data={"name": "x"}, headers=EN)
    assert expired.status_code == 400 and "This page has expired" in expired.get_data(as_text=True)
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)


def test_practice_in_english_from_sign_up_to_the_mistake_book(app, enterprises):
    phone = Phone(app)
    phone.get("/lang/en")  # the switch: remembered for every page after
    refused = phone.post("/practice/", {"name": "", "identifier": "12", "enterprise": ""}, htmx=False)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Please enter your name." in html and "Choose your unit" in html
    assert "Mobile or staff number" in html
    english_only(html)
    practice_phone(phone, enterprises)
    home = phone.get("/practice/").get_data(as_text=True)
    assert "Mistake book (0 questions)" in home
    english_only(home)

    from quiz.training import practice

    question = db.session.scalars(select(Question).where(Question.qtype == "judge")).first()
    page = phone.get(f"/practice/set/{practice.set_token([question.uid])}").get_data(as_text=True)
    assert shown_question_id(page) == question.id and "Practice set · question 1 of 1" in page
    assert "True/false" in page and "Submit answer" in page
    english_only(page)
    feedback = phone.post("/practice/answer", {
        "question_id": question.id, "choice": wrong_letters(question), "mode": "set",
        "set": practice.set_token([question.uid]), "i": 0}).get_data(as_text=True)
    assert "Wrong" in feedback and "Correct answer: <strong>" in feedback and "Your answer: " in feedback
    assert "Finish this set" in feedback and "answer it right 2 more time(s) in a row" in feedback
    english_only(feedback)
    done = phone.get(f"/practice/set/{practice.set_token([question.uid])}?i=1").get_data(as_text=True)
    assert "Practice set finished" in done
    english_only(done)
    book = phone.get("/practice/mistakes").get_data(as_text=True)
    assert "1 questions" in book and "Wrong 1 time(s)" in book
    english_only(book)
    # A question not served is refused in English.
    refused = phone.post("/practice/answer", {"question_id": 999999, "choice": ["A"]})
    assert refused.status_code == 409 and "Please open the question before answering" in refused.get_data(as_text=True)


def test_dashboard_live_states_in_english(app, organiser_client):
    from quiz.live import rules as live_rules

    organiser = db.session.scalar(select(User).where(User.username == "organiser"))
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True)).limit(2)))
    live_rules.create_round(organiser.id, "全区现场赛", questions, clock.now())
    db.session.commit()
    html = organiser_client.get("/admin/", headers=EN).get_data(as_text=True)
    assert "Waiting to start" in html and "No contest is open now." in html
    english_only(html)
    assert "等待开始" in organiser_client.get("/admin/").get_data(as_text=True)


def test_filters_limits_and_wtforms_follow_the_language(app):
    class Numbers(Form):
        n = IntegerField("n")

    for headers, minutes, seconds, wait, invalid in (
            (EN, "2 min 05 s", "30 seconds", "5 minutes", "Not a valid integer value."),
            ({}, "2分05秒", "30 秒", "5 分钟", None)):
        with app.app_context(), app.test_request_context("/", headers=headers):  # a g of its own
            assert app.jinja_env.filters["duration"](125_000) == minutes
            assert limits.retry_phrase(30) == seconds and limits.retry_phrase(300) == wait
            form = Numbers(MultiDict({"n": "x"}), meta={"csrf": False})
            assert not form.validate()
            error = form.errors["n"][0]
            assert error == invalid if invalid else re.search(r"[\u4e00-\u9fff]", error)
            for zone, english, chinese in (("Asia/Shanghai", "Beijing time", "北京时间"),
                                           ("Asia/Tokyo", "local time (UTC+09:00)", "当地时间（UTC+09:00）")):
                app.config["TIMEZONE"] = zone
                assert clock.zone_label() == (english if headers else chinese)


def test_the_cli_prints_chinese_and_english(app):
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0 and "已自动交卷 0 份。" in result.output and "Submitted 0 attempts" in result.output


def test_the_language_switch_leaves_a_page_its_own_variables(app, contest, enterprises, phone):
    """base.html's switch goes back by the Referer, without a template variable of its own:
    one named ``here`` once replaced the quiz screen's, which then posted to "/a/1?q=3/save"
    after a reload."""
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    html = phone.get(f"/a/{attempt_id}?q=2").get_data(as_text=True)
    assert f'data-leave-url="/a/{attempt_id}/leave"' in html and "?q=2/" not in html
    assert 'href="/lang/en"' in html
