"""Issue 20, English: the contest pages beyond what the GET walk sees (tests/test_english_pages.py
requests each page once, as a stranger): a phone's whole journey in English — sign-up refusals,
the quiz screen, the 交卷 screen, the result with its explanations, the certificate check — and the
organiser's form errors, flash messages and the participants list with its clean-up actions.
Every page shows no Chinese but stored user and bank data, and the same pages in Chinese are
unchanged."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from quiz.contests import attempts as attempt_rules
from quiz.contests import lifecycle, rules
from quiz.errors import QuizError
from quiz.extensions import db
from quiz.models import Attempt, Contest

from .conftest import START, Phone, make_campaign, make_contest, question_of, shown_letters_for
from .english import data_strings, untranslated
from .test_organiser import contest_form


def english(client) -> None:
    """The language switch, as a person clicks it (a remembered cookie)."""
    assert client.get("/lang/en").status_code == 303


def assert_english(response, *expected: str) -> str:
    html = response.get_data(as_text=True)
    # A stem's negative words are in bold (quiz.web's ``stem``): the stem is one stored text.
    # The page's text is compared with its runs of white space made one space: the data too.
    data = sorted({re.sub(r"\s+", " ", text) for text in data_strings()}, key=len, reverse=True)
    left = untranslated(re.sub(r'</?strong( class="neg")?>', "", html), data)
    assert not left, (response.request.path, left)
    for text in expected:
        assert text in html, (response.request.path, text)
    return html


def test_a_phone_takes_a_contest_in_english(app, enterprises, clock):
    contest = make_contest(question_count=4, pass_score=0, review_mode="immediate", leave_limit=2,
                           max_attempts=2)
    phone = Phone(app)
    english(phone.client)

    assert_english(phone.get(f"/j/{contest.code}"), "Sign up", "Each person may take it 2 time(s)",
                   "Leaving the quiz page more than 2 time(s) submits the paper automatically")
    # Refused sign-ups say why in English, in the fragment htmx swaps in.
    refused = phone.post(f"/j/{contest.code}", {"name": "", "identifier": "12345", "department": ""})
    assert refused.status_code == 422
    assert_english(refused, "Please enter your name.", "Please choose your unit.",
                   "Please enter your department.")
    bad_phone = phone.post(f"/j/{contest.code}", {"name": "李四", "identifier": "19999999999x!",
                                                  "enterprise": str(enterprises[0].id), "department": "一车间"})
    assert_english(bad_phone, "The mobile or staff number is not valid")

    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    # static/quiz.js and unit_search.js take their texts from the page, in its language.
    assert_english(phone.get(f"/a/{attempt_id}"), "Question 1/4", "Resume code", "Time left",
                   "Leaving this page while answering", 'data-nav-failed="The network is unstable.',
                   'data-leaves="You have left the quiz page {count} time(s); {more} more')
    join_page = Phone(app).get(f"/j/{contest.code}", headers={"Accept-Language": "en"})
    assert 'data-found="Choose your unit ({n} found)"' in join_page.get_data(as_text=True)
    item = question_of(attempt_id, 1)
    answered = phone.post(f"/a/{attempt_id}/answer",
                          {"position": 1, "choice": shown_letters_for(item, item.question.answer), "go": 2})
    assert_english(answered, "Question 2/4", ">Submit</a>")
    # The 交卷 screen lists what is missing, and asks before submitting.
    review = assert_english(phone.get(f"/a/{attempt_id}?q=0", htmx=True), "1/4 answered",
                            "3 question(s) not answered", "Submit anyway?", "Confirm submission")
    assert "Question 2</a>, " in review
    # A refusal of a rule, in English: an answer to a question that is not on the paper.
    wrong = phone.post(f"/a/{attempt_id}/answer", {"position": 99, "choice": "A", "go": 0})
    assert_english(wrong, "This question is not on your paper.")

    assert phone.post(f"/a/{attempt_id}/submit").status_code in (204, 303)
    result = assert_english(phone.get(f"/a/{attempt_id}/result"), "<strong>10</strong> / 40 points", "Pass",
                            "No. 1 of 1", "Right answer: ", "Explanation: ", "Not answered",
                            "Try again (1 attempt(s) left)", "Certificate no.")
    assert result.count("Explanation: ") == 4
    attempt = db.session.get(Attempt, attempt_id)
    # The certificate check page in English (the certificate itself stays Chinese).
    verified = assert_english(phone.get(f"/cert/{attempt.certificate_no}"), "Certificate check",
                              "This certificate is genuine and valid.", "June 16, 2026")
    assert "10 points (out of 40), pass" in verified
    assert_english(phone.get("/cert/NO-SUCH"), "No such certificate.")

    # The same pages in Chinese are as they were.
    page = Phone(app).get(f"/j/{contest.code}").get_data(as_text=True)
    assert "参赛登记" in page and "每人可答 2 次" in page and "Sign up" not in page
    assert phone.client.get("/lang/zh").status_code == 303
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "<strong>10</strong> / 40 分" in result and result.count("解析：") == 4


def test_a_paused_contest_and_a_timed_question_in_english(app, enterprises, clock):
    contest = make_contest(question_count=3, per_question_seconds=30)
    phone = Phone(app)
    english(phone.client)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    assert_english(phone.get(f"/a/{attempt_id}"), "Timed per question: 30 seconds each", "Submit this answer")
    stranger = Phone(app)
    english(stranger.client)
    assert_english(stranger.get(f"/j/{contest.code}"), "30 seconds per question, answered in order")
    lifecycle.pause(db.session.get(Contest, contest.id), clock.now())
    db.session.commit()
    assert_english(phone.get(f"/a/{attempt_id}"), "The contest is paused and the clock has stopped.")
    assert_english(stranger.get(f"/j/{contest.code}"), "The contest is paused: signing up and answering")


def test_the_organiser_works_in_english(app, enterprises, organiser_client, clock):
    make_campaign()
    db.session.commit()
    english(organiser_client)
    # Form errors of the new-contest form: WTForms' own and the rules'.
    for overrides, message in (({"title": ""}, "Please enter the contest name."),
                               ({"closes_at": "2026-05-01T08:00"}, "The close time must be after the start time."),
                               ({"question_count": "5000"}, "The number of questions should be between 1 and 100."),
                               ({"categories": []}, "Choose at least one category"),
                               ({"open_to_all": "listed"}, "Choose at least one unit")):
        response = organiser_client.post("/admin/contests/new", data=contest_form(organiser_client, **overrides))
        assert response.status_code == 422
        assert_english(response, message)
    created = organiser_client.post("/admin/contests/new", data=contest_form(organiser_client))
    assert created.status_code == 303
    assert_english(organiser_client.get(created.headers["Location"]), "Contest code",
                   "QR codes and posters", "Right answers and explanations")

    # A running contest with someone in it: the actions, their flashes and the participants list.
    running = make_contest(code="RUN001", title="运行中的竞赛", question_count=3)
    phone = Phone(app)
    attempt_id = phone.attempt_id(phone.sign_up(running.code, enterprise=enterprises[0].id))
    detail = f"/admin/contests/{running.id}"
    assert_english(organiser_client.get(detail), "Running", "Pause", "End now", "Copy", "Extend")
    token = {"csrf_token": organiser_client.get(detail).get_data(as_text=True).split('name="csrf_token" value="')[1]
             .split('"')[0]}
    for action, flash in (("pause", "Contest paused"), ("resume", "Contest resumed")):
        response = organiser_client.post(f"{detail}/{action}", data=token, follow_redirects=True)
        assert_english(response, flash)
    refused = organiser_client.post(f"{detail}/delete", data=token, follow_redirects=True)
    assert_english(refused, "People have taken part in this contest, so it cannot be deleted.")
    edit = assert_english(organiser_client.get(f"{detail}/edit"), "Someone has already started",
                          "Times are in Beijing time.", "Save changes")
    assert "Contest name" in edit and "Pass mark (leave empty for none)" in edit

    people = f"/admin/contests/{running.id}/participants"
    assert_english(organiser_client.get(people), "1 attempts", "Not submitted", "Change phone", "Void attempt",
                   "Off roster", "Nothing logged yet.")
    voided = organiser_client.post(f"{people}/attempts/{attempt_id}/void", data={**token, "reason": "重复参赛"},
                                   follow_redirects=True)
    assert_english(voided, "is voided: it no longer counts", "Restore attempt", "Void attempt")
    no_reason = organiser_client.post(f"{people}/attempts/{attempt_id}/restore", data=token, follow_redirects=True)
    assert_english(no_reason, "is restored")

    # The poster and its rules in English; the organiser's Chinese pages stay Chinese.
    assert_english(organiser_client.get(f"/admin/contests/{running.id}/poster"), "Contest code", "Scan")
    assert organiser_client.get("/lang/zh").status_code == 303
    assert "暂停" in organiser_client.get(detail).get_data(as_text=True)


def test_rule_refusals_keep_their_chinese_ids(app, enterprises, clock):
    """Outside a request (the CLI, a test calling a rule) the messages are the Chinese ids."""
    contest = make_contest(opens_in=timedelta(hours=1))
    with pytest.raises(QuizError) as refused:
        attempt_rules.require_open(contest, START)
    assert refused.value.message == "本次竞赛尚未开始，请在开始时间之后再来。"
    summary = rules.summary(contest)
    assert summary.questions.startswith("共 5 题") and summary.attempts == "每人可答 1 次"
    assert lifecycle.status(contest, START) == "未开始"
