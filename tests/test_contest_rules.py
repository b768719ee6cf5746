"""Contest rules through the test client and the rule functions: draws, timing, attempts,
scoring, ranking, leaving the page, races and bad input."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from quiz.contests import attempts, draws, scoring, standings
from quiz.errors import Conflict
from quiz.extensions import db
from quiz.models import (
    Attempt, AttemptQuestion, Category, Contest, ContestQuestionUse, Enterprise, Participant, Question,
)
from quiz.contests.participants import sign_up

from .conftest import START, make_contest, question_of, run_at_once, shown_letters_for


def categories():
    return db.session.scalars(select(Category).order_by(Category.position)).all()


def person(enterprise, number="13800138000"):
    return sign_up(enterprise, number, "张三", "一车间", START)


def wrong_for(question: Question) -> str:
    if question.qtype == "multi":
        wrong = [c for c in "ABCDEFGH"[: len(question.options)] if c not in question.answer]
        return "".join(sorted((wrong + list(question.answer))[:2]))
    return "B" if question.answer == "A" else "A"


# ---- draws -------------------------------------------------------------------

def test_draw_rules_by_category_type_and_difficulty(app, enterprises):
    law, fire = categories()[:2]
    rules = [draws.Rule(law.id, "single", 3), draws.Rule(law.id, "judge", 2),
             draws.Rule(fire.id, "multi", 2, difficulty=2)]
    contest = make_contest(question_count=7, draw_rules=[r.to_json() for r in rules])
    attempt = attempts.start_or_resume(contest, person(enterprises[0]), START, random.Random(5))
    paper = [i.question for i in attempts.items(attempt)]
    assert [(q.category_id, q.qtype) for q in paper] == [
        (law.id, "single")] * 3 + [(fire.id, "multi")] * 2 + [(law.id, "judge")] * 2
    assert all(q.difficulty == 2 for q in paper[3:5])
    assert len({q.id for q in paper}) == 7
    assert attempt.max_score == 70


def test_least_used_questions_are_drawn_first(app, enterprises):
    law = categories()[0]
    singles = db.session.scalars(select(Question.id).where(
        Question.category_id == law.id, Question.qtype == "single")).all()
    half = len(singles) // 2
    contest = make_contest(question_count=half, draw_rules=[draws.Rule(law.id, "single", half).to_json()])
    first = attempts.start_or_resume(contest, person(enterprises[0], "13800000001"), START, random.Random(1))
    second = attempts.start_or_resume(contest, person(enterprises[0], "13800000002"), START, random.Random(1))
    a = {i.question_id for i in attempts.items(first)}
    b = {i.question_id for i in attempts.items(second)}
    assert not a & b  # the second attempt took the unused half


def papers_by_question(contest_id: int) -> dict[int, int]:
    """How many papers of the contest hold each question, counted from the papers themselves."""
    return dict(db.session.execute(
        select(AttemptQuestion.question_id, func.count())
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.contest_id == contest_id)
        .group_by(AttemptQuestion.question_id)
    ).all())


def test_use_counts_follow_the_papers_and_keep_the_pool_even(app, enterprises):
    """The stored use counts are exactly the papers' questions, and least-used-first keeps
    the pool within one use of even over many papers."""
    from quiz.models import ContestQuestionUse

    law = categories()[0]
    singles = db.session.scalars(select(Question.id).where(
        Question.category_id == law.id, Question.qtype == "single")).all()
    n = len(singles) // 2
    contest = make_contest(question_count=n, draw_rules=[draws.Rule(law.id, "single", n).to_json()])
    other = make_contest(code="OTHER1", question_count=n, draw_rules=[draws.Rule(law.id, "single", n).to_json()])
    for i in range(7):
        attempts.start_or_resume(contest, person(enterprises[i % 3], f"1380000010{i}"), START, random.Random(i))
    attempts.start_or_resume(other, person(enterprises[0], "13800000199"), START, random.Random(9))
    db.session.commit()
    stored = dict(db.session.execute(
        select(ContestQuestionUse.question_id, ContestQuestionUse.uses)
        .where(ContestQuestionUse.contest_id == contest.id)).all())
    assert stored == papers_by_question(contest.id)
    assert sum(stored.values()) == 7 * n
    uses = [stored.get(qid, 0) for qid in singles]  # the whole pool, unused ones too
    assert max(uses) - min(uses) <= 1
    assert sum(db.session.scalars(select(ContestQuestionUse.uses).where(
        ContestQuestionUse.contest_id == other.id))) == n  # each contest counts its own papers


def test_many_sign_ups_at_once_draw_and_count_every_paper(app, enterprises):
    """16 people start at the same moment from a small pool, so their papers share questions
    and their use-count upserts touch the same rows: nobody fails (no deadlock on PostgreSQL,
    no lost update), and the counts are exactly the papers."""
    law = categories()[0]
    contest = make_contest(question_count=4, draw_rules=[draws.Rule(law.id, "single", 4).to_json()])
    db.session.commit()

    def job(i):
        def run(ready):
            contest_row = db.session.get(Contest, contest.id)
            unit = db.session.get(Enterprise, enterprises[i % 3].id)
            ready()
            someone = sign_up(unit, f"1390000{i:04d}", "张三", "一车间", START)
            attempt = attempts.start_or_resume(contest_row, someone, START, random.Random(i))
            db.session.commit()
            return attempt.id
        return run

    results = run_at_once(app, [job(i) for i in range(16)])
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 16
    stored = dict(db.session.execute(
        select(ContestQuestionUse.question_id, ContestQuestionUse.uses)
        .where(ContestQuestionUse.contest_id == contest.id)).all())
    assert stored == papers_by_question(contest.id) and sum(stored.values()) == 16 * 4


def test_one_identity_signing_up_on_several_phones_at_once_is_one_person_with_one_attempt(
        app, contest, enterprises):
    """The participant is created by one statement that does nothing on a conflict (no
    savepoint): whoever finds the row there reads it, and its attempt, instead of failing."""
    def job(i):
        def run(ready):
            contest_row = db.session.get(Contest, contest.id)
            unit = db.session.get(Enterprise, enterprises[0].id)
            ready()
            attempt = attempts.sign_up_and_start(contest_row, unit, "13900000001", "张三", f"车间{i}", START,
                                                 random.Random(i))
            db.session.commit()
            return attempt.participant_id, attempt.id
        return run

    results = run_at_once(app, [job(i) for i in range(6)])
    assert all(isinstance(r, tuple) for r in results), results
    assert len(set(results)) == 1  # one person, one attempt
    assert db.session.scalar(select(func.count(Participant.id))) == 1
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert db.session.scalar(select(func.count(AttemptQuestion.id))) == contest.question_count


def test_a_sign_up_draws_its_paper_before_its_first_write(contest, enterprises, phone):
    """On SQLite the first write takes the database's write lock until the commit, and every
    answer in the hall waits for it: the draw (the sign-up's reads of the bank) comes first."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    writes = [i for i, s in enumerate(statements) if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    draw = [i for i, s in enumerate(statements) if "FROM question" in s]
    assert writes and draw and max(draw) < min(writes), statements
    assert len(attempts.items(db.session.get(Attempt, attempt_id))) == 5


def test_fixed_paper_keeps_its_order(app, enterprises):
    uids = ["fire-003", "law-001", "aid-002"]
    contest = make_contest(question_count=3, fixed_question_uids=uids)
    attempt = attempts.start_or_resume(contest, person(enterprises[0]), START)
    assert [i.question.uid for i in attempts.items(attempt)] == uids


def test_contest_form_rules_grid_and_fixed_paper(app, enterprises, organiser_client):
    from .test_organiser import contest_form
    from .conftest import make_campaign

    make_campaign()
    db.session.commit()
    law = categories()[0]
    form = contest_form(organiser_client, **{f"rule-{law.id}-single": "2", f"rule-{law.id}-judge": "60",
                                             "pass_score": "20", "max_attempts": "3",
                                             "attempts_per_day": "day", "multi_partial": "partial"})
    response = organiser_client.post("/admin/contests/new", data=form)
    assert response.status_code == 422 and "判断题只有" in response.get_data(as_text=True)
    form[f"rule-{law.id}-judge"] = "1"
    form[f"rule-{law.id}-difficulty"] = "1"
    response = organiser_client.post("/admin/contests/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    contest = db.session.scalars(select(Contest)).one()
    assert contest.draw_rules == [
        {"category_id": law.id, "qtype": "single", "count": 2, "difficulty": 1},
        {"category_id": law.id, "qtype": "judge", "count": 1, "difficulty": 1}]
    assert (contest.question_count, contest.pass_score, contest.max_attempts) == (3, 20, 3)
    assert contest.attempts_per_day and contest.multi_partial
    bad = contest_form(organiser_client, fixed_paper="law-001, nosuch-999", title="固定卷")
    response = organiser_client.post("/admin/contests/new", data=bad)
    assert response.status_code == 422 and "nosuch-999" in response.get_data(as_text=True)
    bad = contest_form(organiser_client, **{f"rule-{law.id}-single": "abc"})
    assert "应为 0 到 100 的整数" in organiser_client.post("/admin/contests/new", data=bad).get_data(as_text=True)


# ---- scoring -------------------------------------------------------------------

def test_points_per_type_and_partial_credit():
    from types import SimpleNamespace as NS

    contest = NS(points_for=lambda t: {"single": 2, "multi": 6, "judge": 1}[t], multi_partial=True)
    multi = NS(qtype="multi", answer="ABC")
    assert scoring.points(multi, "ABC", contest) == 6
    assert scoring.points(multi, "AB", contest) == 4
    assert scoring.points(multi, "ABD", contest) == 0  # a wrong option chosen: nothing
    contest.multi_partial = False
    assert scoring.points(multi, "AB", contest) == 0
    assert scoring.points(NS(qtype="judge", answer="A"), "A", contest) == 1
    assert scoring.clamp(-3) == 0


def test_pass_mark_and_certificate_number(app, enterprises, phone):
    from .test_participant_journey import answer_all

    contest = make_contest(question_count=5, pass_score=30)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    phone.post(f"/a/{attempt_id}/submit")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.passed and attempt.certificate_no.startswith("SQ") and len(attempt.certificate_no) == 12
    html = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "合格" in html and attempt.certificate_no in html
    assert "本单位" in html and "第 1 名（共 1 人）" in html
    verify = phone.get(f"/cert/{attempt.certificate_no}").get_data(as_text=True)
    assert "真实有效" in verify and "张三" in verify and "13800138000" not in verify
    assert phone.get("/cert/SQNOSUCHCERT").status_code == 404


def test_failed_attempt_has_no_certificate(app, enterprises, phone):
    from .test_participant_journey import answer_all

    contest = make_contest(question_count=5, pass_score=30)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id, right=False)
    phone.post(f"/a/{attempt_id}/submit")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.passed is False and attempt.certificate_no is None
    assert "未合格" in phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert phone.get(f"/a/{attempt_id}/certificate.png").status_code == 404


# ---- attempts --------------------------------------------------------------------

def test_attempts_allowed_in_all(app, enterprises, phone, clock):
    contest = make_contest(question_count=3, max_attempts=2)
    first = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    phone.post(f"/a/{first}/submit")
    assert "再答一次（还可答 1 次）" in phone.get(f"/a/{first}/result").get_data(as_text=True)
    second = phone.attempt_id(phone.post(f"/a/{first}/again"))
    assert second != first and db.session.get(Attempt, second).number == 2
    phone.post(f"/a/{second}/submit")
    assert "再答一次" not in phone.get(f"/a/{second}/result").get_data(as_text=True)
    response = phone.post(f"/a/{second}/again")
    assert response.status_code == 409 and "次数已用完" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_attempts_per_day(app, enterprises, phone, clock):
    contest = make_contest(question_count=3, max_attempts=1, attempts_per_day=True, lasts=timedelta(days=5))
    first = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    phone.post(f"/a/{first}/submit")
    response = phone.post(f"/a/{first}/again")
    assert response.status_code == 409 and "明天再来" in response.get_data(as_text=True)
    clock.advance(days=1)
    second = phone.attempt_id(phone.post(f"/a/{first}/again"))
    assert second != first


def test_ranking_counts_best_or_latest(app, enterprises):
    for ranking, expected in (("best", 30.0), ("latest", 10.0)):
        contest = make_contest(code=f"RANK{ranking[:2].upper()}", question_count=3, max_attempts=2, ranking=ranking)
        someone = person(enterprises[0], "13800000009" if ranking == "best" else "13800000008")
        for right_answers, offset in ((3, 10), (1, 20)):
            attempt = attempts.start_or_resume(contest, someone, START + timedelta(seconds=offset), new=True)
            for item in attempts.items(attempt)[:right_answers]:
                attempts.save_answer(attempt, item.position, list(attempts.to_shown(item, item.question.answer)),
                                     START + timedelta(seconds=offset), 2)
            attempts.submit(attempt, START + timedelta(seconds=offset + 5))
        db.session.commit()
        rows = standings.individuals(contest)
        assert [r.score for r in rows] == [expected]
        assert standings.enterprises(contest)[0].attempts == 2


# ---- per-question timing ------------------------------------------------------------

def test_per_question_time_is_owned_by_the_server(app, enterprises, phone, clock):
    contest = make_contest(question_count=3, per_question_seconds=20)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    html = phone.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert "第 1/3 题" in html and 'data-seconds-left="20"' in html and "上一题" not in html
    clock.advance(seconds=8)
    html = phone.get(f"/a/{attempt_id}").get_data(as_text=True)  # a reload: same question, time running
    assert "第 1/3 题" in html and 'data-seconds-left="12"' in html
    # The next question cannot be answered before it is shown.
    second = question_of(attempt_id, 2)
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": shown_letters_for(second, second.question.answer)})
    assert response.status_code == 409 and "请按顺序作答" in response.get_data(as_text=True)
    clock.advance(seconds=15)  # question 1's 20 s (+2 s grace) are over
    first = question_of(attempt_id, 1)
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": shown_letters_for(first, first.question.answer)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "本题时间已到" in html and "第 2/3 题" in html
    assert question_of(attempt_id, 1).chosen is None
    second = question_of(attempt_id, 2)
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": shown_letters_for(second, second.question.answer)})
    assert "第 3/3 题" in response.get_data(as_text=True)
    # Answered questions cannot be changed afterwards.
    response = phone.post(f"/a/{attempt_id}/answer", {"position": 2, "choice": shown_letters_for(second, wrong_for(second.question))})
    assert response.status_code == 409 and "不能修改" in response.get_data(as_text=True)
    assert question_of(attempt_id, 2).is_correct


# ---- leaving the page ------------------------------------------------------------------

def test_leaving_the_page_is_counted_on_the_server_and_limited(app, enterprises, phone):
    contest = make_contest(question_count=3, leave_limit=2)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    for _ in range(2):
        assert phone.post(f"/a/{attempt_id}/leave").status_code == 204
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.leave_count == 2 and attempt.submitted_at is None
    response = phone.post(f"/a/{attempt_id}/leave")
    assert response.headers["HX-Redirect"].endswith(f"/a/{attempt_id}/result")
    db.session.refresh(attempt)
    assert attempt.leave_count == 3 and attempt.submitted_at is not None


# ---- races and bad input ------------------------------------------------------------------

def test_two_submits_at_the_same_moment(app, enterprises):
    contest = make_contest(question_count=3)
    attempt = attempts.start_or_resume(contest, person(enterprises[0]), START)
    db.session.commit()
    # Two requests loaded the attempt before either submitted; the first one wins.
    attempts.submit(attempt, START + timedelta(seconds=30))
    db.session.commit()
    set_committed_value(attempt, "submitted_at", None)  # what the second request still believes
    with pytest.raises(Conflict):
        attempts.submit(attempt, START + timedelta(seconds=31))
    db.session.rollback()
    fresh = db.session.get(Attempt, attempt.id)
    assert fresh.time_used_ms == 30_000


def test_an_answer_racing_a_submission_changes_nothing(app, enterprises):
    contest = make_contest(question_count=3)
    attempt = attempts.start_or_resume(contest, person(enterprises[0]), START)
    item = attempts.items(attempt)[0]
    attempts.submit(attempt, START + timedelta(seconds=5))
    db.session.commit()
    set_committed_value(attempt, "submitted_at", None)  # read before the submit landed
    with pytest.raises(Conflict):
        attempts.save_answer(attempt, 1, list(attempts.to_shown(item, item.question.answer)),
                             START + timedelta(seconds=6), 2)
    db.session.rollback()
    assert db.session.get(AttemptQuestion, item.id).chosen is None


def test_only_the_phone_holding_an_identity_answers(app, enterprises, new_phone):
    contest = make_contest(question_count=3)
    first, second = new_phone(), new_phone()
    attempt_id = first.attempt_id(first.sign_up(contest.code, enterprise=enterprises[0].id))
    assert second.sign_up(contest.code, enterprise=enterprises[0].id).status_code == 409  # 续答码 screen
    one, two = question_of(attempt_id, 1), question_of(attempt_id, 2)
    answered = first.post(f"/a/{attempt_id}/answer",
                          {"position": 1, "choice": shown_letters_for(one, one.question.answer)})
    borrowed = second.post(f"/a/{attempt_id}/answer",
                           {"position": 2, "choice": shown_letters_for(two, two.question.answer)})
    assert (answered.status_code, borrowed.status_code) == (200, 403)
    assert question_of(attempt_id, 1).is_correct and question_of(attempt_id, 2).chosen is None


def test_oversized_and_malformed_fields(app, enterprises, phone):
    contest = make_contest(question_count=3)
    response = phone.sign_up(contest.code, name="名" * 5000, enterprise=enterprises[0].id)
    assert response.status_code == 422 and "姓名不能超过 20 个字" in response.get_data(as_text=True)
    response = phone.sign_up(contest.code, identifier="1" * 500, enterprise=enterprises[0].id)
    assert response.status_code == 422
    response = phone.sign_up(contest.code, enterprise="abc")
    assert response.status_code == 422
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    for data in ({"position": "abc", "choice": "A"}, {"position": 1, "choice": "AAAAAAAAAAAA"},
                 {"position": 1, "choice": ["A"] * 50}, {"position": 1, "choice": "Z"},
                 {"position": 1, "choice": "<script>"}):
        response = phone.post(f"/a/{attempt_id}/answer", data)
        assert response.status_code in (400, 404), data
        assert "<script>" not in response.get_data(as_text=True)
    huge = "9" * 30  # beyond any database integer
    for data in ({"position": huge, "choice": "A"}, {"position": 1, "go": huge}, {"position": -1, "choice": "A"}):
        response = phone.post(f"/a/{attempt_id}/answer", data)
        assert response.status_code in (200, 400, 404), data
    assert db.session.scalar(select(func.count(AttemptQuestion.id)).where(AttemptQuestion.chosen.is_not(None))) == 0
    assert phone.get(f"/a/{attempt_id}?q={huge}").status_code == 200
    assert phone.get("/a/99999999").status_code == 404
    assert phone.get(f"/a/{huge}").status_code == 404
    assert phone.get(f"/a/{huge}/result").status_code == 404
    assert phone.get("/j/" + "X" * 3000).status_code == 404


# ---- an enterprise's own internal contest ---------------------------------------------------

def admin_client(app, enterprise, username):
    from quiz.models import User

    from .conftest import START, csrf_token

    user = User(username=username, role="enterprise_admin", enterprise_id=enterprise.id, created_at=START)
    user.set_password("admin pass 123")
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    client.post("/admin/login", data={"username": username, "password": "admin pass 123",
                                      "csrf_token": csrf_token(client, "/admin/login")})
    return client


def test_enterprise_admin_runs_an_internal_contest(app, enterprises, new_phone):
    from .conftest import make_campaign
    from .test_organiser import contest_form

    make_campaign()
    db.session.commit()
    mine = admin_client(app, enterprises[0], "hg-admin")
    other = admin_client(app, enterprises[1], "wl-admin")
    organised = make_contest(code="CAMPGN")  # a campaign contest: the admins may view it, not manage it
    form = contest_form(mine, title="示范化工内部竞赛", open_to_all="all")
    response = mine.post("/admin/contests/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    internal = db.session.scalars(select(Contest).where(Contest.title == "示范化工内部竞赛")).one()
    assert internal.enterprise_id == enterprises[0].id and not internal.open_to_all
    # Only its own staff can join; the sign-up offers only the own unit.
    phone = new_phone()
    html = phone.get(f"/j/{internal.code}").get_data(as_text=True)
    assert enterprises[0].name in html and enterprises[1].name not in html
    assert phone.sign_up(internal.code, enterprise=enterprises[1].id).status_code == 422
    assert phone.get(f"/j/{internal.code}/{enterprises[1].code}").status_code == 404
    # Each admin manages only its own enterprise's contests; it sees the campaign's, read only.
    listing = mine.get("/admin/contests/").get_data(as_text=True)
    assert "示范化工内部竞赛" in listing and "CAMPGN" in listing and "组织者发布（只读）" in listing
    assert "示范化工内部竞赛" not in other.get("/admin/contests/").get_data(as_text=True)
    for path in (f"/admin/contests/{internal.id}", f"/admin/contests/{internal.id}/qr.png",
                 f"/admin/contests/{internal.id}/poster", f"/admin/contests/{internal.id}/board"):
        assert mine.get(path).status_code == 200, path
        assert other.get(path).status_code == 403, path
    assert mine.get(f"/admin/contests/{organised.id}").status_code == 200
    assert mine.get(f"/admin/contests/{organised.id}/board").status_code == 403
    for path in ("/admin/questions/", "/admin/enterprises", "/admin/questions/export.xlsx"):
        assert mine.get(path).status_code == 403, path


def test_certificate_png_and_pdf_for_a_pass(app, enterprises, phone):
    import io

    import zxingcpp
    from PIL import Image

    from quiz.contests.certificates import find_cjk_font

    from .test_participant_journey import answer_all

    if find_cjk_font() is None:
        pytest.skip("no Chinese font: apt-get install fonts-noto-cjk")
    contest = make_contest(question_count=5, pass_score=30)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    phone.post(f"/a/{attempt_id}/submit")
    number = db.session.get(Attempt, attempt_id).certificate_no
    png = phone.get(f"/a/{attempt_id}/certificate.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    codes = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))]
    assert codes == [f"http://quiz.test/cert/{number}"]
    pdf = phone.get(f"/a/{attempt_id}/certificate.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_organiser_sees_how_often_the_page_was_left(app, enterprises, phone, organiser_client):
    contest = make_contest(question_count=3)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    phone.post(f"/a/{attempt_id}/leave")
    phone.post(f"/a/{attempt_id}/submit")
    assert "<td>1 次</td>" in organiser_client.get(f"/admin/contests/{contest.id}/board").get_data(as_text=True)
    assert "离开页面" not in phone.get(f"/j/{contest.code}/board").get_data(as_text=True)
