"""The participant's journey through the Flask test client, as a phone sends it."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion, Participant

from .conftest import make_contest, question_of, shown_letters_for


def answer_all(phone, attempt_id, right=True, skip=()):
    """Answer every question through the quiz form; right or wrong on purpose."""
    count = db.session.scalar(
        select(func.count(AttemptQuestion.id)).where(AttemptQuestion.attempt_id == attempt_id)
    )
    for position in range(1, count + 1):
        if position in skip:
            continue
        item = question_of(attempt_id, position)
        answer = item.question.answer
        if not right:  # a wrong answer of the right shape
            answer = "B" if answer == "A" else "A"
            if item.question.qtype == "multi":
                answer = "".join(sorted(set("ABC") - set(item.question.answer))) or "AB"
                if len(answer) < 2 or answer == item.question.answer:
                    answer = "AB" if item.question.answer != "AB" else "AC"
        response = phone.post(
            f"/a/{attempt_id}/answer",
            {"position": position, "choice": shown_letters_for(item, answer), "go": position + 1},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    return count


def test_full_journey_from_join_link_to_leaderboard(contest, enterprises, phone):
    contest.review_mode = "immediate"  # right answers on the result page at once
    db.session.commit()
    # Screen 1: the join link shows the contest and the sign-up form.
    page = phone.get(f"/j/{contest.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "测试竞赛" in html and "参赛登记" in html
    for label in ("姓名", "手机号或工号", "单位", "部门"):
        assert label in html
    assert all(e.name in html for e in enterprises)

    # Sign up → straight to the first question (screen 2).
    response = phone.sign_up(contest.code, enterprise=enterprises[0].id)
    assert response.status_code == 204
    attempt_id = phone.attempt_id(response)
    first = phone.get(f"/a/{attempt_id}")
    html = first.get_data(as_text=True)
    assert "第 1/5 题" in html and 'id="countdown"' in html and 'data-seconds-left="600"' in html

    participant = db.session.scalars(select(Participant)).one()
    assert (participant.name, participant.identifier, participant.department) == (
        "张三", "13800138000", "安全环保部")
    assert participant.enterprise_id == enterprises[0].id

    # One question per screen through htmx: the answer returns the next question's fragment.
    item = question_of(attempt_id, 1)
    response = phone.post(
        f"/a/{attempt_id}/answer",
        {"position": 1, "choice": shown_letters_for(item, item.question.answer), "go": 2},
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and "第 2/5 题" in fragment
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"].endswith(f"/a/{attempt_id}?q=2")
    # The number row: question 1 answered, question 2 shown, read with the answer's one statement.
    assert f'hx-get="/a/{attempt_id}?q=1" class="done">1</a>' in fragment
    assert f'hx-get="/a/{attempt_id}?q=2" class="here">2</a>' in fragment
    assert f'hx-get="/a/{attempt_id}?q=3" class="">3</a>' in fragment
    assert f'hx-get="/a/{attempt_id}?q=0" class="review-link">交卷</a>' in fragment
    # htmx sends the CSRF token as a header; the page without script carries it in the form.
    assert 'name="csrf_token"' not in fragment and 'name="csrf_token"' in first.get_data(as_text=True)
    db.session.expire_all()
    assert question_of(attempt_id, 1).is_correct is True

    answer_all(phone, attempt_id, right=True)
    review = phone.get(f"/a/{attempt_id}?q=0", htmx=True).get_data(as_text=True)
    assert "全部 5 题均已作答" in review

    response = phone.post(f"/a/{attempt_id}/submit")
    assert response.headers["HX-Redirect"].endswith(f"/a/{attempt_id}/result")
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "<strong>50</strong> / 50 分" in result
    assert "第 1 名（共 1 人）" in result
    assert result.count("正确答案：") == 5 and result.count("解析：") == 5
    assert "依据：《" in result or not any(
        question_of(attempt_id, p).question.basis for p in range(1, 6))

    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.score == 50 and attempt.correct_count == 5 and attempt.time_used_ms == 0

    board = phone.get(f"/j/{contest.code}/board").get_data(as_text=True)
    assert "张三" in board and 'class="mine"' in board
    assert "示范化工有限公司" in board and "25.0%" in board  # 1 of 4 staff took part


def test_enterprise_poster_fixes_the_unit(contest, enterprises, phone):
    html = phone.get(f"/j/{contest.code}/{enterprises[1].code}").get_data(as_text=True)
    assert '<p class="fixed">安达物流股份有限公司</p>' in html
    assert "示范化工有限公司" not in html
    # Even a forged enterprise field cannot move the sign-up to another unit.
    response = phone.sign_up(contest.code, enterprise=enterprises[0].id, poster=enterprises[1].code)
    assert response.status_code == 204
    assert db.session.scalars(select(Participant)).one().enterprise_id == enterprises[1].id


def test_same_phone_returns_to_the_same_question(contest, enterprises, phone, clock):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    phone.post(f"/a/{attempt_id}/answer",
               {"position": 1, "choice": shown_letters_for(item, item.question.answer), "go": 2})
    clock.advance(minutes=3)  # the phone was locked; time kept running on the server
    again = phone.get(f"/j/{contest.code}")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/a/{attempt_id}")
    html = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert "第 2/5 题" in html and 'data-seconds-left="420"' in html


def test_same_identity_on_another_phone_is_the_same_person(contest, enterprises, new_phone, clock):
    first, second = new_phone(), new_phone()
    attempt_id = first.attempt_id(first.sign_up(contest.code, enterprise=enterprises[0].id))
    clock.advance(seconds=90)
    # Full-width digits and spaces, as phone keyboards produce them.
    response = second.sign_up(contest.code, identifier="１３８ ００１３ ８０００",
                              name="张三", enterprise=enterprises[0].id, department="仓储部")
    assert response.status_code == 409 and "续答码" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 1
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    # With the 续答码 from the first phone the attempt moves here, its clock still running.
    code = db.session.get(Attempt, attempt_id).resume_code
    assert second.attempt_id(second.post(f"/j/{contest.code}/resume", {"resume_code": code})) == attempt_id
    html = second.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert 'data-seconds-left="510"' in html
    # The same phone number in another enterprise is another person.
    third = new_phone()
    other = third.attempt_id(third.sign_up(contest.code, enterprise=enterprises[1].id))
    assert other != attempt_id


def test_answer_after_deadline_is_refused_and_attempt_closed(contest, enterprises, phone, clock):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    choice = shown_letters_for(item, item.question.answer)
    clock.advance(minutes=10, seconds=2)  # deadline + the 2 s grace: still accepted
    assert phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": choice}).status_code == 200
    clock.advance(seconds=1)
    late = question_of(attempt_id, 2)
    response = phone.post(f"/a/{attempt_id}/answer",
                          {"position": 2, "choice": shown_letters_for(late, late.question.answer)})
    assert response.status_code == 409
    assert "答题时间已到" in response.get_data(as_text=True)
    db.session.expire_all()
    assert question_of(attempt_id, 2).chosen is None
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.submitted_at is not None and attempt.score == 10
    assert attempt.time_used_ms == 600_000  # counted up to the deadline, not to the late request


def test_expired_attempt_is_closed_by_the_next_visit(contest, enterprises, phone, clock):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    clock.advance(hours=2)
    response = phone.get(f"/a/{attempt_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    assert "<strong>0</strong> / 50 分" in phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)


def test_expired_attempts_are_ranked_when_anyone_reads_the_board(contest, enterprises, new_phone, clock):
    phone = new_phone()
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    clock.advance(hours=1)
    board = new_phone().get(f"/j/{contest.code}/board").get_data(as_text=True)
    assert "张三" in board and '<td class="num score">50</td>' in board


def test_second_submit_is_refused_and_changes_nothing(contest, enterprises, phone, clock):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    clock.advance(seconds=30)
    assert phone.post(f"/a/{attempt_id}/submit").status_code == 204
    clock.advance(seconds=30)
    response = phone.post(f"/a/{attempt_id}/submit")
    assert response.status_code == 409 and "不能重复提交" in response.get_data(as_text=True)
    # Changing an answer after submission is refused too.
    item = question_of(attempt_id, 1)
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": ["A", "B"]})
    assert response.status_code == 409 and "试卷已提交" in response.get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.time_used_ms == 30_000 and attempt.score == 50
    assert question_of(attempt_id, 1).chosen == item.question.answer


def test_answer_to_a_question_not_in_the_quiz_is_refused(contest, enterprises, new_phone):
    phone, other = new_phone(), new_phone()
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 99, "choice": "A"})
    assert response.status_code == 404 and "该题不在您的试卷中" in response.get_data(as_text=True)
    # An option letter that the question does not have.
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": "H"})
    assert response.status_code == 400 and "所选选项不存在" in response.get_data(as_text=True)
    # Somebody else's attempt.
    other.sign_up(contest.code, identifier="13900139000", enterprise=enterprises[0].id)
    response = other.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": "A"})
    assert response.status_code == 403 and "这不是您的答卷" in response.get_data(as_text=True)
    assert other.get(f"/a/{attempt_id}/result").status_code == 403
    db.session.expire_all()
    assert db.session.scalar(
        select(func.count(AttemptQuestion.id)).where(AttemptQuestion.chosen.is_not(None))) == 0


def test_single_choice_takes_one_answer_and_multi_one_or_more(app, enterprises, phone):
    from quiz.models import Category

    judge_only = make_contest(code="JUDGE1", question_count=1)
    item_type = None
    attempt_id = phone.attempt_id(phone.sign_up(judge_only.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    item_type = item.question.qtype
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": ["A", "B"]})
    if item_type == "multi":
        assert response.status_code == 200
        # One option of a 多选 is kept as it is (交卷 lists it as incomplete): nothing ticked is lost.
        response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": ["A"]})
        assert response.status_code == 200 and len(question_of(attempt_id, 1).chosen) == 1
    else:
        assert response.status_code == 400 and "只能选择一个" in response.get_data(as_text=True)
    assert Category  # the bank's categories are loaded for every test


def test_missing_fields_get_clear_messages_and_store_nothing(contest, enterprises, phone):
    response = phone.post(f"/j/{contest.code}", {"name": "", "identifier": "", "department": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("请填写姓名", "请填写手机号或工号", "请选择单位", "请填写部门"):
        assert message in html
    response = phone.sign_up(contest.code, identifier="工号#12", enterprise=enterprises[0].id)
    assert response.status_code == 422 and "格式不正确" in response.get_data(as_text=True)
    response = phone.sign_up(contest.code, identifier="23800138000", enterprise=enterprises[0].id)
    assert "手机号格式不正确" in response.get_data(as_text=True)
    response = phone.sign_up(contest.code, enterprise=999999)
    assert response.status_code == 422 and "请选择单位" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_a_refused_sign_up_shows_the_form_again_as_typed(contest, enterprises, phone):
    response = phone.sign_up(contest.code, name='<b>"王五"</b>', identifier="23800138000",
                             enterprise=enterprises[1].id, department="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="&lt;b&gt;&#34;王五&#34;&lt;/b&gt;"' in html and "<b>" not in html  # kept, escaped
    assert re.search(r'<input id="identifier"[^>]*value="23800138000"[^>]*aria-invalid="true">', html)
    assert not re.search(r'<input id="name"[^>]*aria-invalid', html)
    assert f'<option value="{enterprises[1].id}" selected>' in html  # the unit chosen stays chosen
    assert html.count(" selected>") == 1
    assert "手机号格式不正确" in html and "请填写部门" in html


def test_join_links_for_unknown_closed_and_upcoming_contests(app, enterprises, phone, clock):
    response = phone.get("/j/NOSUCH")
    assert response.status_code == 404 and "找不到这个竞赛" in response.get_data(as_text=True)
    closed = make_contest(code="CLOSED", opens_in=-__import__("datetime").timedelta(days=3))
    response = phone.get(f"/j/{closed.code}")
    assert response.status_code == 410 and "竞赛已经结束" in response.get_data(as_text=True)
    response = phone.sign_up(closed.code, enterprise=enterprises[0].id)
    assert response.status_code == 410 and "竞赛已经结束" in response.get_data(as_text=True)
    upcoming = make_contest(code="LATER1", opens_in=__import__("datetime").timedelta(hours=2))
    html = phone.get(f"/j/{upcoming.code}").get_data(as_text=True)
    assert "竞赛尚未开始" in html and "参赛登记" not in html
    response = phone.sign_up(upcoming.code, enterprise=enterprises[0].id)
    assert response.status_code == 403 and "尚未开始" in response.get_data(as_text=True)
    response = phone.get(f"/j/{upcoming.code}/ZZZZ")
    assert response.status_code == 404 and "不在本次竞赛的参赛范围内" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0


def test_typed_code_from_the_start_page(contest, phone):
    response = phone.get("/join?code= test01 ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/j/TEST01")


def test_listed_enterprises_only(app, enterprises, phone):
    listed = make_contest(code="LISTED", enterprises=[enterprises[1]])
    html = phone.get(f"/j/{listed.code}").get_data(as_text=True)
    assert "安达物流股份有限公司" in html and "示范化工有限公司" not in html
    response = phone.sign_up(listed.code, enterprise=enterprises[0].id)
    assert response.status_code == 422
    assert phone.get(f"/j/{listed.code}/{enterprises[0].code}").status_code == 404


def test_name_with_html_is_shown_escaped(contest, enterprises, phone):
    name = '<script>x()</script>'
    attempt_id = phone.attempt_id(
        phone.sign_up(contest.code, name=name, enterprise=enterprises[0].id,
                      department='<b onmouseover="x">车间</b>'))
    phone.post(f"/a/{attempt_id}/submit")
    for path in (f"/a/{attempt_id}/result", f"/j/{contest.code}/board"):
        html = phone.get(path).get_data(as_text=True)
        assert "<script>x()</script>" not in html
        assert "&lt;script&gt;x()&lt;/script&gt;" in html
    board = phone.get(f"/j/{contest.code}/board").get_data(as_text=True)
    assert '<b onmouseover' not in board and "&lt;b onmouseover=" in board


def test_csrf_is_required_for_every_post(contest, enterprises, app):
    client = app.test_client()
    response = client.post(f"/j/{contest.code}", data={
        "name": "张三", "identifier": "13800138000", "enterprise": enterprises[0].id,
        "department": "部"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0


def _render_question(phone, attempt_id, position):
    html = phone.get(f"/a/{attempt_id}?q={position}").get_data(as_text=True)
    # The CSRF token is per session and the countdown moves; neither depends on the key.
    return re.sub(r'[A-Za-z0-9._-]{40,}', "TOKEN", html)


def test_question_page_never_contains_the_answer(contest, enterprises, phone):
    """The page of an unanswered question is the same whatever the answer key is."""
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    for position in range(1, 6):
        item = question_of(attempt_id, position)
        question = item.question
        before = _render_question(phone, attempt_id, position)
        assert question.explanation not in before
        assert "正确答案" not in before and "解析" not in before
        original = question.answer
        question.answer = "B" if original != "B" else "A"
        if question.qtype == "multi":
            question.answer = "AB" if original != "AB" else "BC"
        db.session.commit()
        after = _render_question(phone, attempt_id, position)
        assert before == after, f"question {position} page depends on its answer key"
        # Same for the htmx fragment that the answer endpoint returns.
        fragment = phone.post(f"/a/{attempt_id}/answer",
                              {"position": position, "go": position}).get_data(as_text=True)
        assert question.explanation not in fragment
        question.answer = original
        db.session.commit()
    # And the result is not readable before submission.
    response = phone.get(f"/a/{attempt_id}/result")
    assert response.status_code == 302


def test_options_are_shuffled_per_attempt_but_graded_by_content(app, enterprises, new_phone):
    contest = make_contest(code="SHUFFL", question_count=20)
    orders = set()
    for i in range(4):
        phone = new_phone()
        attempt_id = phone.attempt_id(
            phone.sign_up(contest.code, identifier=f"1380013800{i}", enterprise=enterprises[0].id))
        answer_all(phone, attempt_id, right=(i % 2 == 0))
        phone.post(f"/a/{attempt_id}/submit")
        attempt = db.session.get(Attempt, attempt_id)
        db.session.refresh(attempt)
        assert attempt.score == (200 if i % 2 == 0 else 0)
        orders.update(tuple(question_of(attempt_id, p).option_order) for p in range(1, 21))
    assert len(orders) > 3  # options are really shuffled


def test_known_phone_joins_another_contest_in_one_tap(contest, enterprises, phone):
    first = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    second_contest = make_contest(code="SECOND", title="第二场")
    html = phone.get(f"/j/{second_contest.code}").get_data(as_text=True)
    assert "欢迎回来，<strong>张三</strong>" in html and "参赛登记" not in html
    response = phone.post(f"/j/{second_contest.code}", {"continue": "1"})
    second = phone.attempt_id(response)
    assert second != first
    assert db.session.get(Attempt, second).participant_id == db.session.get(Attempt, first).participant_id
    # "不是我": the phone forgets the person and shows the sign-up form again.
    response = phone.post(f"/j/{second_contest.code}/forget", htmx=False)
    assert response.status_code == 303
    assert "参赛登记" in phone.get(f"/j/{second_contest.code}").get_data(as_text=True)
