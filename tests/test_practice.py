"""Training (练习) and the 错题本, through the test client."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Category, Mistake, PracticeAnswer, Question

from .conftest import question_of, shown_letters_for


def practice_phone(phone, enterprises):
    response = phone.post("/practice/", {
        "name": "赵六", "identifier": "13700137000", "enterprise": enterprises[0].id,
        "department": "仓储部"}, htmx=False)
    assert response.status_code == 303
    return phone


def serve(phone, question: Question) -> str:
    """Open ``question`` on the phone as practice serves it (a one-question practice set):
    practice grades only what it served."""
    from quiz.training import practice

    page = phone.get(f"/practice/set/{practice.set_token([question.uid])}").get_data(as_text=True)
    assert shown_question_id(page) == question.id
    return page


def shown_question_id(html: str) -> int:
    return int(re.search(r'name="question_id" value="(\d+)"', html).group(1))


def wrong_letters(question: Question) -> list[str]:
    if question.qtype == "multi":
        wrong = [c for c in "ABCDEFGH"[: len(question.options)] if c not in question.answer]
        return (wrong + [question.answer[0]])[:2] if len(wrong) < 2 else wrong[:2]
    return ["B" if question.answer == "A" else "A"]


def test_practice_needs_sign_up_then_lists_categories(app, enterprises, phone):
    html = phone.get("/practice/").get_data(as_text=True)
    assert "开始练习" in html and "手机号或工号" in html
    response = phone.get("/practice/mistakes")  # not signed up: the sign-up form, then back
    assert response.status_code == 302 and response.headers["Location"].endswith("/practice/")
    practice_phone(phone, enterprises)
    html = phone.get("/practice/").get_data(as_text=True)
    assert "错题本（0 题）" in html and "安全生产法律法规" in html


def test_practice_gives_immediate_feedback_with_the_article(app, enterprises, phone):
    practice_phone(phone, enterprises)
    law = db.session.scalars(select(Category).order_by(Category.position)).first()
    page = phone.get(f"/practice/c/{law.id}").get_data(as_text=True)
    question = db.session.get(Question, shown_question_id(page))
    # No key, no explanation before answering.
    assert question.explanation not in page and "正确答案" not in page
    response = phone.post("/practice/answer", {
        "question_id": question.id, "choice": list(question.answer), "mode": str(law.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "回答正确" in html
    assert question.explanation in html
    if question.basis:
        from question_bank.laws import article_text
        assert article_text(question.basis)[2].splitlines()[0] in html
    answer = db.session.scalars(select(PracticeAnswer)).one()
    assert answer.is_correct and answer.question_id == question.id
    # "下一题" brings another question of the same category.
    next_url = re.search(r'hx-get="([^"]+after=\d+)"', html).group(1).replace("&amp;", "&")
    nxt = phone.get(next_url, htmx=True).get_data(as_text=True)
    assert shown_question_id(nxt) != question.id


def test_bad_practice_answers_are_refused(app, enterprises, phone):
    practice_phone(phone, enterprises)
    question = db.session.scalars(select(Question).where(Question.qtype == "single")).first()
    serve(phone, question)
    response = phone.post("/practice/answer", {"question_id": question.id, "choice": ["A", "B"]})
    assert response.status_code == 400 and "只能选择一个答案" in response.get_data(as_text=True)
    response = phone.post("/practice/answer", {"question_id": question.id, "choice": ["H"]})
    assert response.status_code == 400 and "所选选项不存在" in response.get_data(as_text=True)
    response = phone.post("/practice/answer", {"question_id": 999999, "choice": ["A"]})
    assert response.status_code == 409 and "请先打开题目" in response.get_data(as_text=True)
    question.active = False
    db.session.commit()
    response = phone.post("/practice/answer", {"question_id": question.id, "choice": ["A"]})
    assert response.status_code == 404 and "已停用" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PracticeAnswer.id))) == 0


def test_wrong_answers_enter_the_book_until_right_twice_in_a_row(contest, enterprises, phone):
    from .test_participant_journey import answer_all

    # A contest answered all wrong: every question goes into the 错题本.
    contest.review_mode = "immediate"  # its answer key shows at once, so the book may hold it
    db.session.commit()
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id, right=False)
    phone.post(f"/a/{attempt_id}/submit")
    assert db.session.scalar(select(func.count(Mistake.id))) == 5
    assert "错题本（5 题）" in phone.get("/practice/").get_data(as_text=True)
    book = phone.get("/practice/mistakes").get_data(as_text=True)
    assert "<h1>错题本</h1>" in book and "共 5 题" in book and book.count('<li class="mistake">') == 5

    page = phone.get("/practice/mistakes/practice").get_data(as_text=True)
    question = db.session.get(Question, shown_question_id(page))
    post = lambda letters: phone.post("/practice/answer", {  # noqa: E731
        "question_id": question.id, "choice": letters, "mode": "mistakes"}).get_data(as_text=True)
    assert "再连续答对 1 次" in post(list(question.answer))
    assert "再连续答对 2 次" in post(wrong_letters(question))  # a wrong answer resets the streak
    post(list(question.answer))
    assert "移出错题本" in post(list(question.answer))
    assert "错题本（4 题）" in phone.get("/practice/").get_data(as_text=True)
    # The book offers another question now, never the cleared one.
    assert shown_question_id(phone.get("/practice/mistakes/practice").get_data(as_text=True)) != question.id


def test_practice_wrong_answer_enters_the_book(app, enterprises, phone):
    practice_phone(phone, enterprises)
    question = db.session.scalars(select(Question).where(Question.qtype == "judge")).first()
    serve(phone, question)
    phone.post("/practice/answer", {"question_id": question.id, "choice": wrong_letters(question)})
    mistake = db.session.scalars(select(Mistake)).one()
    assert mistake.question_uid == question.uid and mistake.wrong_count == 1
    html = phone.get("/practice/mistakes/practice").get_data(as_text=True)
    assert shown_question_id(html) == question.id


def test_unanswered_contest_questions_are_not_mistakes(contest, enterprises, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": shown_letters_for(item, item.question.answer)})
    phone.post(f"/a/{attempt_id}/submit")
    assert db.session.scalar(select(func.count(Mistake.id))) == 0


def test_a_contest_counts_known_mistakes_again_and_reopens_them(app, enterprises):
    """Submitting counts each wrong answer into the book in one statement: a question already
    there (cleared, or on a right streak) is counted again and reopened; a right one is left."""
    from datetime import timedelta

    from quiz.contests import attempts
    from quiz.contests.participants import sign_up

    from .conftest import START, make_contest

    contest = make_contest(question_count=3)
    person = sign_up(enterprises[0], "13800138000", "张三", "一车间", START)
    attempt = attempts.start_or_resume(contest, person, START)
    items = attempts.items(attempt)
    first, second, third = (item.question for item in items)
    db.session.add_all([
        Mistake(participant_id=person.id, question_uid=first.uid, wrong_count=3, right_streak=2,
                last_wrong_at=START - timedelta(days=3), cleared_at=START - timedelta(days=1)),
        Mistake(participant_id=person.id, question_uid=second.uid, wrong_count=1, right_streak=1,
                last_wrong_at=START - timedelta(days=2)),
    ])
    for item, letters in ((items[0], wrong_letters(first)), (items[1], wrong_letters(second)),
                          (items[2], list(third.answer))):
        shown = attempts.to_shown(item, "".join(sorted(letters)))
        attempts.save_answer(attempt, item.position, list(shown), START + timedelta(seconds=5), 2)
    attempts.submit(attempt, START + timedelta(seconds=10))
    db.session.commit()
    db.session.expire_all()
    book = {m.question_uid: m for m in db.session.scalars(select(Mistake))}
    assert set(book) == {first.uid, second.uid}
    done = START + timedelta(seconds=10)
    assert [(book[q.uid].wrong_count, book[q.uid].right_streak, book[q.uid].cleared_at, book[q.uid].last_wrong_at)
            for q in (first, second)] == [(4, 0, None, done), (2, 0, None, done)]


def test_a_visitor_not_signed_up_is_asked_to_sign_up_then_taken_where_they_were_going(app, enterprises, new_phone):
    law = db.session.scalars(select(Category).order_by(Category.position)).first()
    for number, wanted in enumerate(("/practice/mistakes", f"/practice/c/{law.id}")):
        visitor = new_phone()
        response = visitor.get(wanted)
        assert response.status_code == 302 and response.headers["Location"].endswith("/practice/")
        form = visitor.get("/practice/").get_data(as_text=True)
        assert "开始练习" in form and ("登记后即可查看错题本" in form) == (wanted == "/practice/mistakes")
        response = visitor.post("/practice/", {"name": "赵六", "identifier": f"1370013700{number}",
                                               "enterprise": enterprises[0].id, "department": "仓储部"},
                                htmx=False)
        assert response.status_code == 303 and response.headers["Location"].endswith(wanted)
    book = visitor.get("/practice/mistakes").get_data(as_text=True)
    assert "<h1>错题本</h1>" in book and "共 0 题" in book
    # An htmx request (the 下一题 button) leaves the swap for the sign-up page.
    response = new_phone().get("/practice/mistakes/practice", htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/practice/")


def _shown_options(html: str) -> list[tuple[str, str, str]]:
    """(printed letter, submitted value, option text) of the practice question as shown."""
    return re.findall(r'value="([A-H])">\s*<span><b>([A-H])</b> ([^<]+)</span>', html)


def test_practice_shuffles_options_as_contests_do(app, enterprises, phone):
    """The same question served again shows its options in another order (so nobody learns
    "the answer is B"); 正确/错误 keep their order; the feedback speaks in the letters shown."""
    practice_phone(phone, enterprises)
    question = db.session.scalars(select(Question).where(
        Question.qtype == "single", Question.current.is_(True), func.length(Question.answer) == 1)
        .order_by(Question.id)).first()
    orders = set()
    for _ in range(12):
        shown = _shown_options(serve(phone, question))
        assert [printed for _, printed, _ in shown] == list("ABCDEFGH"[: len(question.options)])
        assert sorted(text.strip() for _, _, text in shown) == sorted(question.options)
        orders.add(tuple(text for _, _, text in shown))
    assert len(orders) > 1  # a fixed order twelve times in a row: 1 in 24^11

    page = serve(phone, question)
    shown = _shown_options(page)
    order = re.search(r'name="order" value="([\d,]+)"', page).group(1)
    key_text = question.options["ABCDEFGH".index(question.answer)]
    value, printed = next((v, p) for v, p, text in shown if text.strip() == key_text)
    html = phone.post("/practice/answer", {"question_id": question.id, "choice": [value],
                                           "order": order}).get_data(as_text=True)
    assert "回答正确" in html and f"正确答案：<strong>{printed}</strong>" in html
    # The options of the feedback are listed in the order the phone showed them.
    listed = re.findall(r"<li[^>]*><b>([A-H])</b> ([^<✓✗]+)", html)
    assert [(p, t.strip()) for p, t in listed] == [(p, t.strip()) for _, p, t in shown]

    judge = db.session.scalars(select(Question).where(
        Question.qtype == "judge", Question.current.is_(True))).first()
    for _ in range(3):
        assert [t.strip() for _, _, t in _shown_options(serve(phone, judge))] == ["正确", "错误"]


def test_a_forged_order_only_changes_how_feedback_is_listed(app, enterprises, phone):
    practice_phone(phone, enterprises)
    question = db.session.scalars(select(Question).where(
        Question.qtype == "single", Question.current.is_(True)).order_by(Question.id)).first()
    serve(phone, question)
    for forged in ("9,9,9,9", "x", "0,0,1,2", ""):
        html = phone.post("/practice/answer", {"question_id": question.id, "choice": list(question.answer),
                                               "order": forged}).get_data(as_text=True)
        assert "回答正确" in html
        serve(phone, question)
