"""The participant's quiz screen through the test client: every tap saved at once
(POST /a/<id>/save, idempotent), a partial 多选 kept until 交卷, the leave warnings, and why
the result page says the paper was submitted for the participant."""
from __future__ import annotations


from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Attempt, Question

from .conftest import make_contest, question_of, shown_letters_for


def paper_of(*qtypes: str) -> list[str]:
    """Question uids of the built-in bank, one of each type asked for, in that order."""
    uids, used = [], set()
    for qtype in qtypes:
        uid = db.session.scalars(
            select(Question.uid).where(Question.qtype == qtype, Question.current.is_(True),
                                       Question.uid.not_in(used or {""})).order_by(Question.uid)
        ).first()
        uids.append(uid)
        used.add(uid)
    return uids


def start(phone, enterprises, **rules) -> int:
    uids = rules.pop("uids", None) or paper_of("single", "multi", "judge")
    contest = make_contest(question_count=len(uids), fixed_question_uids=uids, **rules)
    return phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))


def wrong_letter(item) -> str:
    shown_right = shown_letters_for(item, item.question.answer)
    return next(letter for letter in "ABCD"[:len(item.option_order)] if letter not in shown_right)


def test_a_tap_is_saved_at_once_and_saving_again_changes_nothing(app, enterprises, phone):
    attempt_id = start(phone, enterprises)
    item = question_of(attempt_id, 1)
    right = shown_letters_for(item, item.question.answer)
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": right})
    assert response.status_code == 204 and response.data == b""
    first = question_of(attempt_id, 1)
    assert (first.chosen, first.is_correct, first.points) == (item.question.answer, True, 10)
    answered_at = first.answered_at
    # The page retries a save it got no answer to: the same state stores the same answer.
    assert phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": right}).status_code == 204
    again = question_of(attempt_id, 1)
    assert (again.chosen, again.is_correct, again.points, again.answered_at) == (
        item.question.answer, True, 10, answered_at)
    # Another tap replaces it.
    assert phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": wrong_letter(item)}).status_code == 204
    changed = question_of(attempt_id, 1)
    assert changed.chosen != item.question.answer and changed.is_correct is False and changed.points == 0
    # Moving on with 上一题/下一题 shows the saved choice; nothing else was touched.
    page = phone.get(f"/a/{attempt_id}?q=1").get_data(as_text=True)
    assert f'value="{wrong_letter(item)}" checked' in page
    assert question_of(attempt_id, 2).chosen is None


def test_a_partial_multi_is_kept_and_listed_at_the_submit_screen(app, enterprises, phone):
    attempt_id = start(phone, enterprises)
    multi = question_of(attempt_id, 2)
    one = shown_letters_for(multi, multi.question.answer)[:1]
    assert phone.post(f"/a/{attempt_id}/save", {"position": 2, "choice": one}).status_code == 204
    assert len(question_of(attempt_id, 2).chosen) == 1
    # 下一题 with the one option ticked keeps it as well (it used to be refused).
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": one, "go": 3})
    assert response.status_code == 200 and "第 3/3 题" in response.get_data(as_text=True)
    review = phone.get(f"/a/{attempt_id}?q=0").get_data(as_text=True)
    assert "多选题只选了一项" in review and f'?q=2">第 2 题</a>' in review
    assert "还有 2 题未作答" in review and "确定交卷吗" in review
    assert "hx-confirm" not in review  # asked in the page, not with the browser's confirm()
    # Every box unticked: the question is unanswered again.
    assert phone.post(f"/a/{attempt_id}/save", {"position": 2}).status_code == 204
    assert question_of(attempt_id, 2).chosen is None
    assert "还有 3 题未作答" in phone.get(f"/a/{attempt_id}?q=0").get_data(as_text=True)


def test_a_partial_multi_scores_as_its_rules_say(app, enterprises, phone):
    attempt_id = start(phone, enterprises, multi_partial=True)
    multi = question_of(attempt_id, 2)
    right = shown_letters_for(multi, multi.question.answer)
    phone.post(f"/a/{attempt_id}/save", {"position": 2, "choice": right[:1]})
    assert question_of(attempt_id, 2).points == round(10 / len(right), 2)
    phone.post(f"/a/{attempt_id}/submit")
    assert db.session.get(Attempt, attempt_id).score == round(10 / len(right), 2)


def test_the_save_refuses_what_it_must(app, enterprises, phone, new_phone, clock):
    attempt_id = start(phone, enterprises)
    # Without the CSRF token.
    assert phone.client.post(f"/a/{attempt_id}/save", data={"position": 1, "choice": "A"}).status_code == 400
    # A question not on the paper, a forged letter, two letters for a 单选.
    response = phone.post(f"/a/{attempt_id}/save", {"position": 9, "choice": "A"})
    assert response.status_code == 404 and "该题不在您的试卷中" in response.get_data(as_text=True)
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": "H"})
    assert response.status_code == 400 and "所选选项不存在" in response.get_data(as_text=True)
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": ["A", "B"]})
    assert response.status_code == 400 and "只能选择一个" in response.get_data(as_text=True)
    # Another phone.
    other = new_phone()
    other.sign_up(other_code := db.session.get(Attempt, attempt_id).contest.code, identifier="13900139000",
                  enterprise=enterprises[0].id)
    assert other_code
    response = other.post(f"/a/{attempt_id}/save", {"position": 1, "choice": "A"})
    assert response.status_code == 403
    assert question_of(attempt_id, 1).chosen is None
    # After 交卷.
    phone.post(f"/a/{attempt_id}/submit")
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": "A"})
    assert response.status_code == 409 and "已提交" in response.get_data(as_text=True)
    assert question_of(attempt_id, 1).chosen is None


def test_a_save_after_the_time_is_up_submits_and_says_why(app, enterprises, phone, clock):
    attempt_id = start(phone, enterprises, minutes=1)
    clock.advance(70)
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": "A"})
    # Closed by this save, or just before it by the once-a-minute sweep: either way a 409 (the
    # page reloads and shows the result) and the reason stored.
    assert response.status_code == 409
    assert any(text in response.get_data(as_text=True) for text in ("答题时间已到", "试卷已提交"))
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.submitted_at is not None and attempt.end_reason == "time"
    assert question_of(attempt_id, 1).chosen is None
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "时间到，已自动交卷" in result


def test_per_question_timing_takes_no_taps(app, enterprises, phone):
    attempt_id = start(phone, enterprises, per_question_seconds=30)
    page = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert "data-save-url" not in page  # each question is answered with 提交本题, once
    response = phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": "A"})
    assert response.status_code == 409 and "提交本题" in response.get_data(as_text=True)
    assert question_of(attempt_id, 1).chosen is None


def test_the_quiz_page_offers_the_save_and_marks_the_grid(app, enterprises, phone):
    attempt_id = start(phone, enterprises)
    page = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert f'data-save-url="/a/{attempt_id}/save"' in page
    assert 'data-q="1"' in page and 'id="dots"' in page
    assert "dots-toggle" not in page  # three questions: the whole grid fits


def test_the_grid_of_a_long_paper_folds(app, enterprises, phone):
    contest = make_contest(code="LONG30", question_count=30)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    page = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert 'class="dots-bar folded"' in page and 'aria-expanded="false"' in page


def test_each_leave_is_answered_with_what_remains(app, enterprises, phone):
    attempt_id = start(phone, enterprises, leave_limit=2)
    page = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert "超过 2 次将自动交卷" in page
    response = phone.post(f"/a/{attempt_id}/leave")
    assert response.status_code == 204
    assert (response.headers["X-Leave-Count"], response.headers["X-Leaves-To-Submit"]) == ("1", "2")
    response = phone.post(f"/a/{attempt_id}/leave")
    assert (response.headers["X-Leave-Count"], response.headers["X-Leaves-To-Submit"]) == ("2", "1")
    page = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert "您已离开答题页面 2 次，再离开 1 次将自动交卷。" in page
    response = phone.post(f"/a/{attempt_id}/leave")
    assert response.headers["HX-Redirect"].endswith(f"/a/{attempt_id}/result")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.end_reason == "leave"
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "离开答题页面的次数超过了本竞赛的限制（2 次），系统已自动交卷" in result


def test_without_a_limit_leaves_are_only_counted(app, enterprises, phone):
    attempt_id = start(phone, enterprises)
    response = phone.post(f"/a/{attempt_id}/leave")
    assert response.status_code == 204 and "X-Leaves-To-Submit" not in response.headers
    assert "将自动交卷" not in phone.get(f"/a/{attempt_id}").get_data(as_text=True)


def test_the_result_says_why_it_was_submitted(app, enterprises, phone, new_phone, clock):
    # 交卷 by the participant: no reason shown.
    attempt_id = start(phone, enterprises)
    phone.post(f"/a/{attempt_id}/submit")
    assert db.session.get(Attempt, attempt_id).end_reason is None
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "自动交卷" not in result
    # Time ran out and the phone came back to the quiz page.
    late = new_phone()
    contest = make_contest(code="LATE01", question_count=2, minutes=1)
    late_id = late.attempt_id(late.sign_up(contest.code, identifier="13900139001", enterprise=enterprises[0].id))
    clock.advance(120)
    response = late.get(f"/a/{late_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/a/{late_id}/result")
    assert db.session.get(Attempt, late_id).end_reason == "time"
    assert "时间到，已自动交卷" in late.get(f"/a/{late_id}/result").get_data(as_text=True)


def test_the_sweep_marks_abandoned_attempts_as_timed_out(app, enterprises, phone, clock):
    from quiz.contests import attempts

    attempt_id = start(phone, enterprises, minutes=1)
    clock.advance(300)
    assert attempts.close_expired(None, clock.now(), 2) == 1
    db.session.commit()
    assert db.session.get(Attempt, attempt_id).end_reason == "time"


def test_taps_count_against_the_answer_limit(app, enterprises, phone, limit_clock):
    from quiz.config import Config

    app.config["RATELIMIT_ANSWER_PER_ATTEMPT"] = Config.RATELIMIT_ANSWER_PER_ATTEMPT
    attempt_id = start(phone, enterprises)
    multi = question_of(attempt_id, 2)
    # A 多选 ticked box by box and moved on from: well within the limit.
    for count in range(1, len(multi.option_order) + 1):
        assert phone.post(f"/a/{attempt_id}/save", {"position": 2, "choice": list("ABCD"[:count])}).status_code == 204
    assert phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": ["A", "B"], "go": 3}).status_code == 200
    for _ in range(10 - len(multi.option_order) - 1):
        assert phone.post(f"/a/{attempt_id}/save", {"position": 1, "choice": ["A"]}).status_code == 204
    # A script is not a person: the page waits as told and sends the same state again.
    refused = phone.post(f"/a/{attempt_id}/save", {"position": 3, "choice": ["A"]})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    limit_clock.advance(1.01)
    assert phone.post(f"/a/{attempt_id}/save", {"position": 3, "choice": ["A"]}).status_code == 204
