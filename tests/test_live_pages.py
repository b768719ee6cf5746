"""Live rounds through the browser's eyes (Flask test client): host screen, phones, push."""
from __future__ import annotations

import io
import re


import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from .conftest import csrf_token
from quiz.live import rules as live_rules
from quiz.extensions import db

from quiz.models import LiveAnswer, LivePlayer, LiveRound, Question, User


def login(app, username, password="correct horse 1"):
    client = app.test_client()
    token = csrf_token(client, "/admin/login")
    response = client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303
    return client


def hx(client, path="/"):
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(client, path)}


def create_round(organiser_client, **fields) -> LiveRound:
    token = csrf_token(organiser_client, "/admin/live")
    data = {"title": "6·16 我问你答", "source": "pick", "question_seconds": "20", "scoring": "speed",
            "multi_partial": "all", "question_on_phone": "y", "csrf_token": token,
            "uids": "\n".join(q.uid for q in db.session.scalars(
                select(Question).where(Question.qtype == "single", Question.current.is_(True))
                .order_by(Question.uid).limit(3)))}
    data.update(fields)
    response = organiser_client.post("/admin/live", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.scalar(select(LiveRound).order_by(LiveRound.id.desc()))


def join(app, round_, name="张三", enterprise=None, department="安全科"):
    phone = app.test_client()
    enterprise = enterprise or db.session.scalar(select(LivePlayer.enterprise).limit(1))
    token = csrf_token(phone, f"/live/{round_.code}")
    response = phone.post(f"/live/{round_.code}", data={
        "name": name, "enterprise": enterprise.id, "department": department, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    return phone


def control(client, round_, action):
    return client.post(f"/admin/live/{round_.id}/control", data={"action": action},
                       headers=hx(client, f"/admin/live/{round_.id}"))


def answer(phone, round_, letters, position=None):
    db.session.refresh(round_)
    return phone.post(f"/live/{round_.code}/answer",
                      data={"position": position or round_.position, "choice": list(letters)},
                      headers=hx(phone, f"/live/{round_.code}"))


def right_letter(round_):
    return live_rules.live_question(round_).question.answer


def first_event(response) -> str:
    """Read the event stream up to its first 'stage' event."""
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        if "event: stage" in buffer and buffer.endswith("\n\n"):
            break
    response.close()
    return buffer


@pytest.fixture
def units(app, enterprises):
    return enterprises


def test_a_whole_round_host_and_phones(app, organiser_client, units, clock):
    round_ = create_round(organiser_client)
    host = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert round_.code in host and f"/live/{round_.code}" in host and "已加入 <b>0</b>" in host

    a = join(app, round_, "张三", units[0])
    b = join(app, round_, "李四", units[1])
    lobby = organiser_client.get(f"/admin/live/{round_.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "张三" in lobby and "李四" in lobby and "已加入 <b>2</b>" in lobby

    phone_page = a.get(f"/live/{round_.code}").get_data(as_text=True)
    assert "已加入，请等待主持人开始" in phone_page and 'sse-connect="/live/' in phone_page

    assert control(organiser_client, round_, "start").status_code == 200
    db.session.refresh(round_)
    assert round_.state == "question" and round_.position == 1
    question_page = a.get(f"/live/{round_.code}").get_data(as_text=True)
    q = live_rules.live_question(round_).question
    assert q.stem in question_page
    # The right answer is nowhere in what a phone or the projector gets during the question.
    assert q.explanation not in question_page
    host_q = organiser_client.get(f"/admin/live/{round_.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "正确答案" not in host_q and q.explanation not in host_q

    reply = answer(a, round_, right_letter(round_))
    assert reply.status_code == 200 and "已提交" in reply.get_data(as_text=True)
    again = answer(a, round_, "A" if right_letter(round_) != "A" else "B")
    assert again.status_code == 409 and "已作答" in again.get_data(as_text=True)
    wrong = "A" if right_letter(round_) != "A" else "B"
    assert answer(b, round_, wrong).status_code == 200
    db.session.refresh(round_)
    assert round_.state == "reveal"  # everyone answered: the question ends by itself

    reveal = organiser_client.get(f"/admin/live/{round_.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "正确答案" in reveal and "答对 1 人" in reveal
    mine = a.get(f"/live/{round_.code}").get_data(as_text=True)
    assert "回答正确" in mine and "第 <b>1</b> 名" in mine
    assert "李四" not in mine  # a phone never gets the leaderboard

    control(organiser_client, round_, "next")  # → leaderboard, on the stage (the projector)
    board = organiser_client.get(f"/admin/live/{round_.id}/stage", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "个人前十名" in board and "单位排名" in board
    control(organiser_client, round_, "end")
    db.session.refresh(round_)
    assert round_.state == "final"

    xlsx = organiser_client.get(f"/admin/live/{round_.id}/export.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames[:2] == ["选手", "题目"] and "第1题" in book.sheetnames
    players = list(book["选手"].iter_rows(min_row=2, values_only=True))
    assert players[0][1] == "张三" and players[0][0] == 1 and players[1][1] == "李四"
    q1 = list(book["第1题"].iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in q1} == {"张三", "李四"}
    assert list(book["题目"].iter_rows(min_row=2, max_row=2, values_only=True))[0][8] == 0.5  # a fraction shown as 50.0%


def test_event_stream_starts_with_the_full_state(app, organiser_client, units, clock):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", units[0])
    join(app, round_, "李四", units[1])
    control(organiser_client, round_, "start")
    answer(a, round_, right_letter(round_))
    stream = a.get(f"/live/{round_.code}/events", buffered=False)
    assert stream.mimetype == "text/event-stream"
    text = first_event(stream)
    assert "event: stage" in text and 'data-state="question"' in text and "已提交" in text


def test_polling_fallback_answers_204_when_nothing_changed(app, organiser_client, units):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", units[0])
    db.session.refresh(round_)
    assert a.get(f"/live/{round_.code}/stage?v={round_.version}").status_code == 204
    shown = round_.version
    control(organiser_client, round_, "start")
    changed = a.get(f"/live/{round_.code}/stage?v={shown}")
    assert changed.status_code == 200 and 'data-state="question"' in changed.get_data(as_text=True)


def make_admin(enterprise, username):
    from .conftest import START

    user = User(username=username, role="enterprise_admin", enterprise_id=enterprise.id, created_at=START)
    user.set_password("correct horse 1")
    db.session.add(user)
    db.session.commit()
    return user


def test_who_may_host_and_who_may_not(app, organiser_client, units):
    round_ = create_round(organiser_client)
    make_admin(units[0], "hg-admin")
    outsider = login(app, "hg-admin")
    anonymous = app.test_client()
    urls = [f"/admin/live/{round_.id}", f"/admin/live/{round_.id}/events", f"/admin/live/{round_.id}/qr.svg",
            f"/admin/live/{round_.id}/export.xlsx", f"/admin/live/{round_.id}/stage",
            f"/admin/live/{round_.id}/stage/events", f"/admin/live/{round_.id}/host-qr.svg"]
    for url in urls:
        assert outsider.get(url).status_code == 403, url  # another enterprise's round
        assert anonymous.get(url).status_code in (302, 303), url
        assert outsider.get(url, headers={"HX-Request": "true"}).status_code == 403, url
    refused = outsider.post(f"/admin/live/{round_.id}/control", data={"action": "start"},
                            headers=hx(outsider, "/admin/live"))
    assert refused.status_code == 403
    db.session.refresh(round_)
    assert round_.state == "lobby"

    # An enterprise admin hosts its own round, which only its own staff may join.
    own = create_round(outsider, title="化工内部答题")
    assert own.enterprise_id == units[0].id
    page = app.test_client().get(f"/live/{own.code}").get_data(as_text=True)
    assert units[0].name in page and units[1].name not in page
    assert "6·16 我问你答" not in outsider.get("/admin/live").get_data(as_text=True)


def test_join_refuses_bad_input_and_stores_nothing(app, organiser_client, units):
    round_ = create_round(organiser_client)
    phone = app.test_client()
    token = csrf_token(phone, f"/live/{round_.code}")
    empty = phone.post(f"/live/{round_.code}", data={"name": " ", "enterprise": "", "department": "",
                                                      "csrf_token": token})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "请填写姓名" in text and "请选择单位" in text and "请填写部门" in text
    forged = phone.post(f"/live/{round_.code}", data={"name": "王五", "enterprise": "99999",
                                                       "department": "x", "csrf_token": token})
    assert forged.status_code == 422
    no_csrf = phone.post(f"/live/{round_.code}", data={"name": "王五", "enterprise": units[0].id, "department": "x"})
    assert no_csrf.status_code == 400 and "页面已过期" in no_csrf.get_data(as_text=True)
    assert db.session.scalar(select(LivePlayer.id)) is None
    unknown = phone.get("/live/000000")
    assert unknown.status_code == 404 and "6 位数字答题码" in unknown.get_data(as_text=True)
    assert phone.get("/live?code=" + round_.code).headers["Location"].endswith(f"/live/{round_.code}")
    assert phone.post(f"/live/{round_.code}/answer", data={"position": 1, "choice": "A"},
                      headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 403


def test_names_are_escaped_on_the_projector(app, organiser_client, units):
    round_ = create_round(organiser_client)
    join(app, round_, "<script>x</script>", units[0], department="<b>x</b>")
    lobby = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert "<script>x</script>" not in lobby and "&lt;script&gt;x&lt;/script&gt;" in lobby


def test_server_time_pause_and_removal(app, organiser_client, units, clock):
    round_ = create_round(organiser_client, question_seconds="10")
    a = join(app, round_, "张三", units[0])
    b = join(app, round_, "李四", units[1])
    join(app, round_, "王五", units[2])
    control(organiser_client, round_, "start")

    control(organiser_client, round_, "pause")
    paused = answer(a, round_, "A")
    assert paused.status_code == 409 and "暂停" in paused.get_data(as_text=True)
    clock.advance(seconds=100)  # a long pause costs the players nothing
    control(organiser_client, round_, "resume")
    clock.advance(seconds=9)
    assert answer(a, round_, right_letter(round_)).status_code == 200
    clock.advance(seconds=4)  # past 10 s + 2 s grace
    late = answer(b, round_, right_letter(round_))
    assert late.status_code == 409 and "时间已到" in late.get_data(as_text=True)
    assert db.session.scalar(select(LivePlayer).where(LivePlayer.name == "李四")).id not in {
        row for row in db.session.scalars(select(LiveAnswer.player_id))}

    # The host reloads (or opens the round on another laptop): the question is over.
    organiser_client.get(f"/admin/live/{round_.id}")
    db.session.refresh(round_)
    assert round_.state == "reveal"
    scored = db.session.scalar(select(LiveAnswer))
    assert scored.response_ms == 9000 and scored.points == 550  # 1000 × (1 − 9/10 ÷ 2)

    wang = db.session.scalar(select(LivePlayer).where(LivePlayer.name == "王五"))
    organiser_client.post(f"/admin/live/{round_.id}/players/{wang.id}/remove", headers=hx(organiser_client, "/admin/live"))
    control(organiser_client, round_, "next")
    for screen in (f"/admin/live/{round_.id}", f"/admin/live/{round_.id}/stage"):
        board = organiser_client.get(screen).get_data(as_text=True)
        assert "王五" not in board and "张三" in board


# ---------------------------------------------------------------- a hall under load (issue 19)


def delay_processing(monkeypatch, clock, seconds, also=None):
    """Make the server get to the next answers late: the request is received at the current
    time, then waits ``seconds`` (in a queue, for the database) before it is handled."""
    from quiz.live import routes as live_routes

    real = live_routes._playing

    def late(code, *position):
        clock.advance(seconds=seconds)
        if also is not None:
            also()
        return real(code, *position)

    monkeypatch.setattr(live_routes, "_playing", late)


def test_an_answer_received_in_time_but_handled_late_is_accepted(app, organiser_client, units, clock, monkeypatch):
    round_ = create_round(organiser_client)  # 20 s a question, 2 s grace
    a = join(app, round_, "张三", units[0])
    b = join(app, round_, "李四", units[1])
    control(organiser_client, round_, "start")
    clock.advance(seconds=19)
    delay_processing(monkeypatch, clock, 6)  # handled at 25 s: past the deadline and the grace
    reply = answer(a, round_, right_letter(round_))
    assert reply.status_code == 200 and "已提交" in reply.get_data(as_text=True)
    row = db.session.scalar(select(LiveAnswer).where(LiveAnswer.round_id == round_.id))
    assert row.response_ms == 19000  # scored by when it arrived, too
    # received after the deadline and the grace: refused, however fast it is handled
    monkeypatch.undo()
    clock.advance(seconds=3)  # 28 s
    late = answer(b, round_, right_letter(round_))
    assert late.status_code == 409 and "时间已到" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LiveAnswer)) == 1


def test_an_answer_queued_while_the_host_closed_the_question_is_accepted(app, organiser_client, units, clock,
                                                                         monkeypatch):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", units[0])
    join(app, round_, "李四", units[1])
    control(organiser_client, round_, "start")
    clock.advance(seconds=10)
    round_id = round_.id

    def host_presses_next():  # while the answer waits its turn
        live_rules.close_question(db.session.get(LiveRound, round_id), clock.now())
        db.session.commit()

    delay_processing(monkeypatch, clock, 1, also=host_presses_next)
    letter = right_letter(round_)
    reply = answer(a, round_, letter, position=1)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert "已结束" not in reply.get_data(as_text=True)
    assert "回答正确" in reply.get_data(as_text=True)  # its own result, though taken after the reveal
    db.session.refresh(round_)
    assert round_.state == "reveal"
    assert [(r.position, r.chosen) for r in db.session.scalars(select(LiveAnswer))] == [(1, letter)]
    # one that arrives after the close is still refused
    monkeypatch.undo()
    clock.advance(seconds=1)
    c = join(app, round_, "王五", units[2])
    late = answer(c, round_, letter, position=1)
    assert late.status_code == 409 and "本题已结束" in late.get_data(as_text=True)


def test_a_retried_answer_gets_the_same_success_and_is_stored_once(app, organiser_client, units, clock):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", units[0])
    join(app, round_, "李四", units[1])
    control(organiser_client, round_, "start")
    letter = right_letter(round_)
    other = "A" if letter != "A" else "B"
    first = answer(a, round_, letter)
    assert first.status_code == 200 and "已提交" in first.get_data(as_text=True)
    # the phone never saw that response and sends the same answer again
    retry = answer(a, round_, letter)
    body = retry.get_data(as_text=True)
    assert retry.status_code == 200 and "已提交" in body and "已作答" not in body
    # a different second answer is still refused, and the first is kept
    changed = answer(a, round_, other)
    assert changed.status_code == 409 and "已作答" in changed.get_data(as_text=True)
    # a retry that arrives after the question closed still gets its success, not an error
    control(organiser_client, round_, "next")
    late_retry = answer(a, round_, letter, position=1)
    assert late_retry.status_code == 200 and 'class="message error"' not in late_retry.get_data(as_text=True)
    rows = list(db.session.scalars(select(LiveAnswer).where(LiveAnswer.round_id == round_.id)))
    assert [(r.position, r.chosen) for r in rows] == [(1, letter)]


def test_every_phone_that_has_not_answered_sees_the_same_question_but_its_token(app, organiser_client, units):
    """The shared render (routes.player_stage) relies on this: during a question, a phone's
    stage depends on the round, the countdown, and whether it answered, and on nothing else
    of the player but its CSRF token (which the shared copy swaps in)."""
    from quiz.live import routes as live_routes
    from quiz.live.push import take_snapshot

    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", units[0])
    b = join(app, round_, "李四", units[1])
    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    pages = {}
    for name, phone in (("a", a), ("b", b)):
        app.extensions.pop(live_routes.SHARED, None)
        pages[name] = phone.get(f"/live/{round_.code}", headers={"HX-Request": "true"}).get_data(as_text=True)
    token_a, token_b = (re.search(r'name="csrf_token" value="([^"]+)"', pages[k]).group(1) for k in "ab")
    assert token_a != token_b
    assert pages["a"].replace(token_a, token_b) == pages["b"]  # rendered apart, they only differ there
    # through the shared copy each still gets its own token, and the same page
    app.extensions.pop(live_routes.SHARED, None)
    first = a.get(f"/live/{round_.code}", headers={"HX-Request": "true"}).get_data(as_text=True)
    second = b.get(f"/live/{round_.code}", headers={"HX-Request": "true"}).get_data(as_text=True)
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in (first, second)]
    # each its own token (signed with the second it was made: compare the session part)
    assert [t.split(".")[0] for t in tokens] == [token_a.split(".")[0], token_b.split(".")[0]]
    assert first.replace(tokens[0], token_a) == pages["a"] and second.replace(tokens[1], token_b) == pages["b"]
    assert len(app.extensions[live_routes.SHARED][round_.id][1]) == 1  # rendered once for both
    # a phone's own result is never shared
    snap = take_snapshot(round_)
    assert snap.state == "question" and not snap.answers


def test_after_a_question_each_phone_gets_its_own_result_in_the_shared_page(app, organiser_client, units):
    """After a question the page around a phone's result and place is rendered once for the
    hall and each phone's own two lines are put in: what each phone gets must be exactly what
    rendering the page for that phone alone gives, and never another phone's result."""
    from quiz.live import routes as live_routes
    from quiz.live.push import take_snapshot

    round_ = create_round(organiser_client)
    phones = {name: join(app, round_, name, units[i % len(units)])
              for i, name in enumerate(("张三", "李四", "王五"))}
    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    right = right_letter(round_)
    assert answer(phones["张三"], round_, right).status_code == 200
    assert answer(phones["李四"], round_, "A" if right != "A" else "B").status_code == 200
    control(organiser_client, round_, "next")  # 王五 never answered: the host closes it
    db.session.refresh(round_)
    for state in ("reveal", "leaderboard"):
        assert round_.state == state
        app.extensions.pop(live_routes.SHARED, None)
        shared = {name: phone.get(f"/live/{round_.code}", headers={"HX-Request": "true"}).get_data(as_text=True)
                  for name, phone in phones.items()}
        renders = app.extensions[live_routes.SHARED][round_.id][1]
        assert len([key for key in renders if key[0] == round_.id]) == 1  # one page for all three
        snap = take_snapshot(round_)
        ids = dict(db.session.execute(select(LivePlayer.name, LivePlayer.id)
                                      .where(LivePlayer.round_id == round_.id)).all())
        with app.test_request_context(f"/live/{round_.code}"):
            alone = {name: live_routes._render_stage(snap, ids[name], None, 0, False, snap.answers.get(ids[name]),
                                                     snap.standings.get(ids[name]))
                     for name in phones}
        assert shared == alone
        assert "回答正确" in shared["张三"] and "第 <b>1</b> 名" in shared["张三"]
        assert "回答错误" in shared["李四"] and "本题未作答" in shared["王五"]
        assert live_routes.RESULT_SLOT not in shared["王五"] and live_routes.RANK_SLOT not in shared["王五"]
        control(organiser_client, round_, "next")
        db.session.refresh(round_)


def test_answers_handled_after_the_close_compute_the_standings_once(app, organiser_client, units, monkeypatch):
    """When a question closes while answers still wait their turn, every one of them is
    answered with the new version of the round, which carries everyone's standings (at 5 000
    players a tenth of a second to compute). The process computes it once for all of them: in
    the benchmark, a worker doing it per answer fell minutes behind and never caught up."""
    from quiz.live import push
    from quiz.live import routes as live_routes

    round_ = create_round(organiser_client)
    phones = [join(app, round_, name, units[i % len(units)]) for i, name in enumerate(("甲", "乙", "丙", "丁"))]
    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    right = right_letter(round_)
    assert answer(phones[0], round_, right).status_code == 200
    control(organiser_client, round_, "next")  # closed: the others' answers come too late
    db.session.refresh(round_)
    assert round_.state == "reveal"
    reads = []
    real = push.take_snapshot
    counting = lambda r: reads.append(r.version) or real(r)  # noqa: E731
    monkeypatch.setattr(push, "take_snapshot", counting)
    monkeypatch.setattr(live_routes, "take_snapshot", counting)
    replies = [answer(phone, round_, right, position=1) for phone in phones]  # (each reloads the page first)
    assert [r.status_code for r in replies] == [200, 409, 409, 409]
    assert all("正确答案" in r.get_data(as_text=True) for r in replies)  # the reveal, with the key
    assert reads == [round_.version]
