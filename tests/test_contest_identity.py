"""Issue 15 on the contest journey: an identity cannot be borrowed (findings 1 and 2), answer
keys stay secret while the contest runs (finding 3), and the unit list credits nobody by
default (finding 7). Through the Flask test client, as phones send it."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from quiz.extensions import db, limiter
from quiz.models import Attempt, AttemptQuestion, Participant, RosterPerson

from .conftest import START, csrf_token, make_contest, make_enterprise, question_of, shown_letters_for
from .test_participant_journey import answer_all


def roster(enterprise, *people):
    """(name, 工号, phone, 部门) rows on the enterprise's 花名册."""
    for name, staff_no, phone, department in people:
        db.session.add(RosterPerson(enterprise_id=enterprise.id, name=name, staff_no=staff_no, phone=phone,
                                    department=department, created_at=START, updated_at=START))
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def answer(phone, attempt_id, position, right=True):
    item = question_of(attempt_id, position)
    letters = item.question.answer if right else ("B" if item.question.answer == "A" else "A")
    if not right and item.question.qtype == "multi":
        letters = "AB" if item.question.answer != "AB" else "AC"
    return phone.post(f"/a/{attempt_id}/answer",
                      {"position": position, "choice": shown_letters_for(item, letters), "go": position})


# ---- finding 1: a colleague's phone number or 工号 opens nothing of theirs ----------------------

def test_finding_1_a_colleagues_identifier_opens_nothing_of_theirs(contest, enterprises, new_phone):
    colleague, curious = new_phone(), new_phone()
    attempt_id = colleague.attempt_id(colleague.sign_up(
        contest.code, name="张三", identifier="13800138000", enterprise=enterprises[0].id, department="安全环保部"))
    answer(colleague, attempt_id, 1)
    chosen = question_of(attempt_id, 1).chosen

    # Any other name with the colleague's number: refused, without saying whose it is.
    response = curious.sign_up(contest.code, name="李四", identifier="13800138000",
                               enterprise=enterprises[0].id, department="仓储部")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "该工号/手机号已由他人登记" in html and "张三" not in html
    assert 'value="李四"' in html  # the form again, as typed

    # The right name too (it may be known): another phone sees the 续答码 screen, nothing more.
    response = curious.sign_up(contest.code, name="张三", identifier="13800138000",
                               enterprise=enterprises[0].id, department="仓储部")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "该身份已在另一台手机上答题。如需换手机继续，请输入原手机上显示的6位续答码" in html
    assert f"/a/{attempt_id}" not in html and "HX-Redirect" not in response.headers
    assert db.session.get(Attempt, attempt_id).resume_code not in html
    # Nor do the attempt's own addresses open for it.
    for path in (f"/a/{attempt_id}", f"/a/{attempt_id}?q=1", f"/a/{attempt_id}/result",
                 f"/a/{attempt_id}/certificate.pdf"):
        assert curious.get(path).status_code == 403, path
    for path, data in ((f"/a/{attempt_id}/answer", {"position": 1, "choice": "B", "go": 1}),
                       (f"/a/{attempt_id}/submit", {}), (f"/a/{attempt_id}/leave", {}),
                       (f"/a/{attempt_id}/again", {})):
        assert curious.post(path, data).status_code == 403, path
    # The join page does not send it there either.
    assert curious.get(f"/j/{contest.code}").status_code == 200

    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.submitted_at is None and attempt.leave_count == 0
    assert question_of(attempt_id, 1).chosen == chosen
    person = db.session.scalars(select(Participant)).one()
    assert (person.name, person.department) == ("张三", "安全环保部")  # never overwritten
    assert count(Attempt) == 1

    # The owner's phone carries on as before, and shows its 续答码.
    html = colleague.get(f"/a/{attempt_id}").get_data(as_text=True)
    assert f"续答码 {attempt.resume_code}（换手机时使用）" in html
    assert re.fullmatch(r"\d{6}", attempt.resume_code)
    assert attempt.device and attempt.client_address == "127.0.0.1"


def test_a_later_sign_up_never_overwrites_name_or_department(contest, enterprises, new_phone):
    first = new_phone()
    attempt_id = first.attempt_id(first.sign_up(contest.code, name="张三", department="安全环保部",
                                                enterprise=enterprises[0].id))
    first.post(f"/a/{attempt_id}/submit")
    again = make_contest(code="AGAIN1")
    # The same person on the same phone in another contest, typing another 部门 and spacing.
    first.post(f"/j/{contest.code}/forget", htmx=False)
    first.attempt_id(first.sign_up(again.code, name="张 三", department="仓储部", enterprise=enterprises[0].id))
    person = db.session.scalars(select(Participant)).one()
    assert (person.name, person.department) == ("张三", "安全环保部")


# ---- the 续答码 -------------------------------------------------------------------------------

def test_the_resume_code_moves_the_attempt_to_the_new_phone(contest, enterprises, new_phone, clock):
    old, new = new_phone(), new_phone()
    attempt_id = old.attempt_id(old.sign_up(contest.code, enterprise=enterprises[0].id))
    answer(old, attempt_id, 1)
    code = db.session.get(Attempt, attempt_id).resume_code
    assert new.sign_up(contest.code, enterprise=enterprises[0].id).status_code == 409

    wrong = "000000" if code != "000000" else "111111"
    response = new.post(f"/j/{contest.code}/resume", {"resume_code": wrong})
    assert response.status_code == 403 and "续答码不正确" in response.get_data(as_text=True)
    assert new.get(f"/a/{attempt_id}").status_code == 403

    clock.advance(seconds=60)
    assert new.attempt_id(new.post(f"/j/{contest.code}/resume", {"resume_code": code})) == attempt_id
    html = new.get(f"/a/{attempt_id}?q=1").get_data(as_text=True)
    assert 'data-seconds-left="540"' in html and "checked" in html  # the same answers, the same clock
    moved = db.session.get(Attempt, attempt_id)
    assert moved.resume_code != code  # the old phone cannot take it back with the code it showed
    assert f"续答码 {moved.resume_code}" in html

    # The old phone lost it: refused everywhere, and its join page asks for the code.
    assert old.get(f"/a/{attempt_id}").status_code == 403
    assert answer(old, attempt_id, 2).status_code == 403
    assert old.post(f"/j/{contest.code}", {"continue": "1"}).status_code == 409
    assert answer(new, attempt_id, 2).status_code == 200


def test_resume_code_tries_are_limited_per_attempt_and_per_address(app, contest, enterprises, new_phone):
    app.config["RATELIMIT_RESUME_PER_ATTEMPT"] = "3 per 15 minutes"
    app.config["RATELIMIT_RESUME_PER_ADDRESS"] = "5 per 15 minutes"
    owner, guesser = new_phone(), new_phone()
    attempt_id = owner.attempt_id(owner.sign_up(contest.code, enterprise=enterprises[0].id))
    code = db.session.get(Attempt, attempt_id).resume_code
    wrong = "000000" if code != "000000" else "111111"
    guesser.sign_up(contest.code, enterprise=enterprises[0].id)
    statuses = [guesser.post(f"/j/{contest.code}/resume", {"resume_code": wrong}).status_code for _ in range(3)]
    assert statuses == [403, 403, 403]
    # Over the attempt's limit even the right code waits: the 429 page in Chinese.
    response = guesser.post(f"/j/{contest.code}/resume", {"resume_code": code})
    assert response.status_code == 429 and "操作太频繁" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    # Another phone from the same address, on another identity's attempt: the address's limit.
    other_owner, other_guesser = new_phone(), new_phone()
    other_owner.sign_up(contest.code, identifier="13900139000", enterprise=enterprises[0].id)
    other_guesser.sign_up(contest.code, identifier="13900139000", enterprise=enterprises[0].id)
    assert other_guesser.post(f"/j/{contest.code}/resume", {"resume_code": wrong}).status_code == 403
    assert other_guesser.post(f"/j/{contest.code}/resume", {"resume_code": wrong}).status_code == 429
    assert owner.get(f"/a/{attempt_id}").status_code == 200
    limiter.reset()
    assert guesser.attempt_id(guesser.post(f"/j/{contest.code}/resume", {"resume_code": code})) == attempt_id


def test_the_code_form_needs_a_sign_up_first(contest, enterprises, new_phone):
    owner, stranger = new_phone(), new_phone()
    attempt_id = owner.attempt_id(owner.sign_up(contest.code, enterprise=enterprises[0].id))
    code = db.session.get(Attempt, attempt_id).resume_code
    response = stranger.post(f"/j/{contest.code}/resume", {"resume_code": code})
    assert response.status_code == 400 and "请先填写参赛登记" in response.get_data(as_text=True)
    assert owner.get(f"/a/{attempt_id}").status_code == 200


def test_an_attempt_no_phone_holds_is_claimed_by_the_next_sign_up(contest, enterprises, new_phone):
    old, new = new_phone(), new_phone()
    attempt_id = old.attempt_id(old.sign_up(contest.code, enterprise=enterprises[0].id))
    answer(old, attempt_id, 1)
    # An enterprise admin's 换手机 clears the device (built elsewhere; done here directly).
    db.session.get(Attempt, attempt_id).device = None
    db.session.commit()
    assert old.get(f"/a/{attempt_id}").status_code == 403  # nobody holds it until claimed
    # The phone it was taken from does not take it back by being remembered as that person.
    assert old.get(f"/j/{contest.code}").status_code == 200
    assert old.post(f"/j/{contest.code}", {"continue": "1"}).status_code == 409
    code = db.session.get(Attempt, attempt_id).resume_code
    assert old.post(f"/j/{contest.code}/resume", {"resume_code": code}).status_code == 403
    assert db.session.get(Attempt, attempt_id).device is None
    assert new.attempt_id(new.sign_up(contest.code, enterprise=enterprises[0].id)) == attempt_id
    assert "checked" in new.get(f"/a/{attempt_id}?q=1").get_data(as_text=True)
    assert old.get(f"/a/{attempt_id}").status_code == 403


def test_a_submitted_attempt_on_another_phone(app, enterprises, new_phone):
    once = make_contest(code="ONCE01", review_mode="immediate")
    twice = make_contest(code="TWICE1", max_attempts=2, review_mode="immediate")
    for contest in (once, twice):
        old, new = new_phone(), new_phone()
        attempt_id = old.attempt_id(old.sign_up(contest.code, enterprise=enterprises[0].id))
        old.post(f"/a/{attempt_id}/submit")
        response = new.sign_up(contest.code, enterprise=enterprises[0].id)
        if contest is once:
            # No attempt left: the code screen, and nothing of the old result.
            assert response.status_code == 409 and "续答码" in response.get_data(as_text=True)
            assert new.get(f"/a/{attempt_id}/result").status_code == 403
        else:
            # Another attempt allowed: a new one starts on this phone; the old result stays closed.
            second = new.attempt_id(response)
            assert second != attempt_id
            assert new.get(f"/a/{attempt_id}/result").status_code == 403
            assert new.get(f"/a/{second}").status_code == 200
    assert count(Attempt) == 3


def test_staff_still_read_results_but_never_answer(app, contest, enterprises, phone):
    from .conftest import staff_client

    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    admin = staff_client(app, "hg-admin", enterprise=enterprises[0])
    token = csrf_token(admin, "/admin/contests/")
    response = admin.post(f"/a/{attempt_id}/answer", data={"position": 1, "choice": "A", "csrf_token": token})
    assert response.status_code == 403
    phone.post(f"/a/{attempt_id}/submit")
    html = admin.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "张三" in html and "正确答案：" in html and "续答码" not in html
    other = staff_client(app, "wl-admin", enterprise=enterprises[1])
    assert other.get(f"/a/{attempt_id}/result").status_code == 403


# ---- finding 2, the 名单 half: invented numbers give nothing ----------------------------------

def test_finding_2_invented_phone_numbers_in_a_roster_contest_store_nothing(app, enterprises, new_phone):
    roster(enterprises[0], ("张三", "HG1001", "13800138000", "安全环保部"), ("李四", "HG1002", None, "生产部"))
    contest = make_contest(code="ROSTER", identity_mode="roster")
    phone = new_phone()
    page = phone.get(f"/j/{contest.code}").get_data(as_text=True)
    assert "本竞赛仅限本单位花名册人员参加，请填写与花名册一致的姓名和工号/手机号" in page
    for i in range(30):
        response = phone.sign_up(contest.code, name=f"员工{i}", identifier=f"1390000{i:04d}",
                                 enterprise=enterprises[0].id)
        html = response.get_data(as_text=True)
        assert response.status_code == 403 and "名单中没有找到你，请核对姓名和工号，或联系本单位管理员" in html
        assert f'value="员工{i}"' in html  # the form again, as typed
    other = make_contest(code="FIRST1", identity_mode="roster_first")
    assert "名单外人员也可参加，但不计入本单位参与率" in phone.get(f"/j/{other.code}").get_data(as_text=True)
    assert "名单中没有找到你" not in phone.get(f"/j/{other.code}").get_data(as_text=True)
    # A roster person's number with a wrong name: refused the same way.
    response = phone.sign_up(contest.code, name="王五", identifier="13800138000", enterprise=enterprises[0].id)
    assert response.status_code == 403
    assert (count(Participant), count(Attempt), count(AttemptQuestion)) == (0, 0, 0)
    # The person on the roster, by 工号, is admitted with the roster's 部门.
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, name="李四", identifier="hg1002",
                                                enterprise=enterprises[0].id, department="别的部门"))
    person = db.session.scalars(select(Participant)).one()
    assert (person.name, person.department, person.roster_person_id is not None) == ("李四", "生产部", True)
    assert phone.get(f"/a/{attempt_id}").status_code == 200


# ---- finding 3: no answer key while the contest is open ---------------------------------------

def test_finding_3_a_blank_paper_shows_no_answer_key_until_the_close(contest, enterprises, phone, clock):
    assert contest.review_mode == "after_close"  # the default
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, name="路人", identifier="13700000001",
                                                enterprise=enterprises[0].id))
    answer(phone, attempt_id, 2, right=False)
    phone.post(f"/a/{attempt_id}/submit")
    html = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert "<strong>0</strong> / 50 分" in html  # the score shows
    assert html.count("未作答") >= 4 and "回答错误" in html  # and which questions were wrong
    assert "正确答案：" not in html and "解析：" not in html and "依据：" not in html and "✓" not in html
    assert 'class="right' not in html
    for position in range(1, 6):
        question = question_of(attempt_id, position).question
        assert question.explanation not in html
    assert "正确答案和解析将在竞赛结束" in html
    code = db.session.get(Attempt, attempt_id).resume_code
    assert f"续答码 {code}（换手机查看成绩时使用）" in html  # the owner's result page carries the code

    clock.advance(days=2)  # the contest closed
    html = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    assert html.count("正确答案：") == 5 and html.count("解析：") == 5


def test_review_never_and_immediate(app, enterprises, new_phone, clock):
    never = make_contest(code="NEVER1", review_mode="never")
    immediate = make_contest(code="NOW001", review_mode="immediate")
    for contest, shown in ((never, False), (immediate, True)):
        phone = new_phone()
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
        answer_all(phone, attempt_id, right=False)
        phone.post(f"/a/{attempt_id}/submit")
        clock.advance(days=2)  # after the close too
        html = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
        assert ("正确答案：" in html) is shown and ("解析：" in html) is shown
        assert "回答错误" in html
        assert ("本竞赛不公布正确答案和解析" in html) is (contest is never)
        clock.advance(days=-2)


# ---- finding 7: the unit list credits nobody by default ---------------------------------------

def test_finding_7_the_unit_list_starts_empty_and_is_required(contest, enterprises, phone):
    html = phone.get(f"/j/{contest.code}").get_data(as_text=True)
    options = re.findall(r"<option value=\"(\d*)\"( selected)?>([^<]*)</option>", html)
    assert options[0] == ("", " selected", "请选择单位")
    assert not any(selected for _value, selected, _label in options[1:])
    assert 'id="unit-search"' in html and "unit_search.js" in html
    # The departments list starts empty: no unit is chosen yet.
    assert '<datalist id="departments"></datalist>' in html
    # Skipping the list (as a browser sends it: the empty value) is refused, nothing stored.
    response = phone.sign_up(contest.code, enterprise="")
    assert response.status_code == 422 and "请选择单位。" in response.get_data(as_text=True)
    response = phone.post(f"/j/{contest.code}", {"name": "张三", "identifier": "13800138000", "department": "车间"})
    assert response.status_code == 422 and "请选择单位。" in response.get_data(as_text=True)
    assert count(Participant) == 0
    # An enterprise poster still fixes the unit: no list, no search.
    html = phone.get(f"/j/{contest.code}/{enterprises[1].code}").get_data(as_text=True)
    assert 'id="unit-search"' not in html and "请选择单位" not in html
    phone.attempt_id(phone.sign_up(contest.code, poster=enterprises[1].code))
    assert db.session.scalars(select(Participant)).one().enterprise_id == enterprises[1].id


def test_departments_follow_the_chosen_unit(contest, enterprises, phone):
    from quiz.models import Department

    db.session.add(Department(enterprise_id=enterprises[1].id, name="运输车队"))
    db.session.commit()
    fragment = phone.get(f"/j/{contest.code}/departments?enterprise={enterprises[1].id}", htmx=True)
    assert '<option value="运输车队">' in fragment.get_data(as_text=True)
    # A refused form keeps the chosen unit and its departments.
    html = phone.sign_up(contest.code, enterprise=enterprises[1].id, department="").get_data(as_text=True)
    assert f'<option value="{enterprises[1].id}" selected>' in html and '<option value="运输车队">' in html


# ---- the organiser's contest form -------------------------------------------------------------

def checked(html: str, name: str) -> str:
    found = re.findall(rf'<input[^>]*checked[^>]*name="{name}"[^>]*value="(\w+)"|'
                       rf'<input[^>]*name="{name}"[^>]*value="(\w+)"[^>]*checked', html)
    assert len(found) == 1, found
    return "".join(found[0])


def test_a_new_contest_defaults_to_roster_when_every_unit_has_one(app, enterprises, organiser_client):
    roster(enterprises[0], ("张三", "HG1001", None, "安全环保部"))
    roster(enterprises[1], ("李四", "WL1001", None, "车队"))
    html = organiser_client.get("/admin/contests/new").get_data(as_text=True)
    assert checked(html, "identity_mode") == "open"  # 城建第三工程 has no roster yet
    assert checked(html, "review_mode") == "after_close"
    assert "竞赛结束后显示" in html and "名单优先" in html
    roster(enterprises[2], ("王五", "JS1001", None, "项目部"))
    html = organiser_client.get("/admin/contests/new").get_data(as_text=True)
    assert checked(html, "identity_mode") == "roster"


def test_an_enterprise_admins_contest_defaults_by_its_own_roster(app, enterprises):
    from .conftest import staff_client

    roster(enterprises[1], ("李四", "WL1001", None, "车队"))
    own = staff_client(app, "wl-admin", enterprise=enterprises[1])
    assert checked(own.get("/admin/contests/new").get_data(as_text=True), "identity_mode") == "roster"
    other = staff_client(app, "hg-admin", enterprise=enterprises[0])
    assert checked(other.get("/admin/contests/new").get_data(as_text=True), "identity_mode") == "open"


def test_the_contest_form_stores_identity_and_review_settings(app, enterprises, organiser_client):
    from quiz.models import Contest

    from .conftest import make_campaign
    from .test_organiser import contest_form

    make_campaign()
    db.session.commit()
    response = organiser_client.post("/admin/contests/new", data=contest_form(
        organiser_client, identity_mode="sneaky", review_mode="immediate"))
    assert response.status_code == 422 and count(Contest) == 0
    assert "不是有效的选择" in response.get_data(as_text=True)
    response = organiser_client.post("/admin/contests/new", data=contest_form(
        organiser_client, identity_mode="roster_first", review_mode="never"))
    assert response.status_code == 303
    contest = db.session.scalars(select(Contest)).one()
    assert (contest.identity_mode, contest.review_mode) == ("roster_first", "never")
    detail = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>参赛身份</dt><dd>名单优先</dd>" in detail and "<dt>正确答案与解析</dt><dd>不显示</dd>" in detail
    # Left out (an older form): 开放 and 竞赛结束后显示.
    organiser_client.post("/admin/contests/new", data={
        k: v for k, v in contest_form(organiser_client).items() if k not in ("identity_mode", "review_mode")})
    newest = db.session.scalars(select(Contest).order_by(Contest.id.desc())).first()
    assert (newest.identity_mode, newest.review_mode) == ("open", "after_close")


def test_the_mistake_book_keeps_a_hidden_answer_key_hidden(contest, enterprises, phone, clock):
    """Practising a contest's wrong answers would grade them: not while the key is hidden."""
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id, right=False)
    phone.post(f"/a/{attempt_id}/submit")
    stems = [question_of(attempt_id, p).question.stem for p in range(1, 6)]
    html = phone.get("/practice/mistakes").get_data(as_text=True)
    assert not any(stem in html for stem in stems)
    assert "错题本（5 题）" not in phone.get("/practice/").get_data(as_text=True)
    clock.advance(days=2)  # closed: the key shows, and the book offers them
    html = phone.get("/practice/mistakes").get_data(as_text=True)
    assert any(stem in html for stem in stems)
    assert "错题本（5 题）" in phone.get("/practice/").get_data(as_text=True)
