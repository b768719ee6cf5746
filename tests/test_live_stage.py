"""The presenter's stage and the host's console (Flask test client): who may see and control
them, the lobby lock, removing many players at once, names hidden, rank changes, the short
解析 on the phones."""
from __future__ import annotations

import re

from sqlalchemy import event, select

from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.live.routes import BRIEF_CHARS, brief
from quiz.models import LivePlayer, LiveRound

from .conftest import csrf_token
from .test_live_pages import answer, control, create_round, hx, join, login, make_admin, right_letter


def setting(client, round_, name, value):
    return client.post(f"/admin/live/{round_.id}/settings", data={"name": name, "value": value},
                       headers=hx(client, f"/admin/live/{round_.id}"))


def stage(client, round_) -> str:
    return client.get(f"/admin/live/{round_.id}/stage", headers={"HX-Request": "true"}).get_data(as_text=True)


def wrong_letter(round_):
    return "A" if right_letter(round_) != "A" else "B"


def test_the_stage_shows_no_admin_ui_and_a_stranger_controls_nothing(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    page = organiser_client.get(f"/admin/live/{round_.id}/stage")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and round_.code in html and "stage-qr" in html
    # The projector: no nav bar, no buttons, no forms, no way to control the round.
    for admin_thing in ("<nav", "<button", "<form", "退出", "/control", "/settings", "<script>"):
        assert admin_thing not in html, admin_thing
    assert f'sse-connect="/admin/live/{round_.id}/stage/events"' in html

    # The console has the controls, the preview of the stage and the host's QR code, which
    # carries the console's address only: a phone opening it must log in.
    console = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert "开始答题" in console and f'src="/admin/live/{round_.id}/stage"' in console
    assert f"/admin/live/{round_.id}/host-qr.svg" in console and f"/admin/live/{round_.id}</small>" in console
    assert organiser_client.get(f"/admin/live/{round_.id}/host-qr.svg").mimetype == "image/svg+xml"
    assert "host-qr" not in stage(organiser_client, round_)  # the host's QR is never projected

    stranger = app.test_client()  # someone who photographed the stage's address or the host's QR
    for url in (f"/admin/live/{round_.id}", f"/admin/live/{round_.id}/stage", f"/admin/live/{round_.id}/stage/events",
                f"/admin/live/{round_.id}/host-qr.svg"):
        response = stranger.get(url)
        assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"], url
    token = csrf_token(stranger, f"/live/{round_.code}")
    for path, data in (("control", {"action": "start"}), ("settings", {"name": "lobby_locked", "value": "1"}),
                       ("players/remove", {"player_id": "1"})):
        refused = stranger.post(f"/admin/live/{round_.id}/{path}", data=data,
                                headers={"HX-Request": "true", "X-CSRFToken": token})
        assert refused.status_code in (302, 303, 401), path
    db.session.refresh(round_)
    assert round_.state == "lobby" and not round_.lobby_locked and round_.version == 1


def test_an_enterprise_admin_sees_and_controls_only_its_own_rounds(app, organiser_client, enterprises):
    district = create_round(organiser_client)
    make_admin(enterprises[0], "hg-admin")
    admin = login(app, "hg-admin")
    assert admin.get(f"/admin/live/{district.id}/stage").status_code == 403
    assert admin.get(f"/admin/live/{district.id}/stage/events").status_code == 403
    assert setting(admin, district, "lobby_locked", "1").status_code == 403
    a = join(app, district, "张三", enterprises[0])
    player = db.session.scalar(select(LivePlayer))
    refused = admin.post(f"/admin/live/{district.id}/players/remove", data={"player_id": player.id},
                         headers=hx(admin, "/admin/live"))
    assert refused.status_code == 403
    db.session.refresh(player)
    db.session.refresh(district)
    assert not player.removed and not district.lobby_locked
    assert "已加入，请等待" in a.get(f"/live/{district.code}").get_data(as_text=True)

    own = create_round(admin, title="化工内部答题")
    assert admin.get(f"/admin/live/{own.id}/stage").status_code == 200
    assert setting(admin, own, "hide_names", "1").status_code == 200


def test_lobby_lock_keeps_new_phones_out_with_a_clear_message(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    inside = join(app, round_, "张三", enterprises[0])
    late = app.test_client()
    token = csrf_token(late, f"/live/{round_.code}")

    assert setting(organiser_client, round_, "lobby_locked", "1").status_code == 200
    db.session.refresh(round_)
    assert round_.lobby_locked
    page = late.get(f"/live/{round_.code}")
    assert page.status_code == 403 and live_rules.LOBBY_LOCKED in page.get_data(as_text=True)
    assert 'name="name"' not in page.get_data(as_text=True)  # no form to fill in for nothing
    refused = late.post(f"/live/{round_.code}", data={"name": "李四", "enterprise": enterprises[1].id,
                                                      "department": "仓储部", "csrf_token": token},
                        headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "锁定入场" in refused.get_data(as_text=True)
    assert db.session.scalars(select(LivePlayer.name)).all() == ["张三"]
    # Who is in stays in; the stage and the console say the lobby is locked.
    assert "已加入，请等待主持人开始" in inside.get(f"/live/{round_.code}").get_data(as_text=True)
    assert "入场已锁定" in stage(organiser_client, round_)
    assert "入场已锁定" in organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    control(organiser_client, round_, "start")
    assert late.get(f"/live/{round_.code}").status_code == 403  # the lock holds after the start

    setting(organiser_client, round_, "lobby_locked", "0")
    join(app, round_, "李四", enterprises[1])
    assert db.session.scalar(select(LivePlayer).where(LivePlayer.name == "李四")) is not None


def test_remove_many_players_in_one_post(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    other = create_round(organiser_client, title="另一轮")
    phones = {name: join(app, round_, name, enterprises[0]) for name in ("张三", "李四", "王五")}
    join(app, other, "赵六", enterprises[0])
    ids = {p.name: p.id for p in db.session.scalars(select(LivePlayer))}
    db.session.refresh(round_)
    version = round_.version
    console = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert console.count('name="player_id"') == 3 and "移出所选选手" in console

    removed = organiser_client.post(
        f"/admin/live/{round_.id}/players/remove",
        data={"player_id": [ids["张三"], ids["王五"], ids["赵六"], "x"]}, headers=hx(organiser_client, "/admin/live"))
    assert removed.status_code == 200
    gone = {p.name for p in db.session.scalars(select(LivePlayer).where(LivePlayer.removed.is_(True)))}
    assert gone == {"张三", "王五"}  # another round's player is not this round's to remove
    db.session.refresh(round_)
    assert round_.version == version + 1  # one change of state for the lot
    shown = stage(organiser_client, round_)
    assert "已加入 <b>1</b> 人" in shown and "李四" in shown and "张三" not in shown
    assert "移出本轮" in phones["张三"].get(f"/live/{round_.code}").get_data(as_text=True)

    nothing = organiser_client.post(f"/admin/live/{round_.id}/players/remove", data={},
                                    headers=hx(organiser_client, "/admin/live"))
    assert nothing.status_code == 400 and "请先勾选" in nothing.get_data(as_text=True)


def test_hide_names_shows_units_with_their_counts(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    join(app, round_, "张三", enterprises[0])
    join(app, round_, "李四", enterprises[0])
    join(app, round_, "<b>王五</b>", enterprises[1])
    assert "张三" in stage(organiser_client, round_)
    setting(organiser_client, round_, "hide_names", "1")
    shown = stage(organiser_client, round_)
    assert "张三" not in shown and "王五" not in shown
    units = re.findall(r"<li>(.*?) <b>(\d+)</b> 人</li>", shown)
    assert units == [(enterprises[0].name, "2"), (enterprises[1].name, "1")]
    # The host still sees (and may remove) each name, escaped.
    console = organiser_client.get(f"/admin/live/{round_.id}").get_data(as_text=True)
    assert "张三" in console and "&lt;b&gt;王五&lt;/b&gt;" in console


def test_sound_is_off_by_default_and_a_console_toggle(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    assert 'data-sound="0"' in stage(organiser_client, round_) and "stage-sound-hint" not in stage(organiser_client, round_)
    setting(organiser_client, round_, "sound", "1")
    assert 'data-sound="1"' in stage(organiser_client, round_)
    assert setting(organiser_client, round_, "state", "final").status_code == 400  # only the three settings
    db.session.refresh(round_)
    assert round_.state == "lobby" and round_.sound


def test_question_stage_keeps_the_key_and_shows_a_pause_overlay(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    join(app, round_, "张三", enterprises[0])
    control(organiser_client, round_, "start")
    q = live_rules.live_question(round_).question
    shown = stage(organiser_client, round_)
    assert q.stem[:10] in shown and shown.count('class="tile tile-') == len(q.options)
    assert "正确答案" not in shown and q.explanation not in shown and "right" not in re.findall(r'class="(tile[^"]*)"', shown)[0]
    assert "已作答 <b>0</b> / 1" in shown and "stage-timer" in shown
    control(organiser_client, round_, "pause")
    paused = stage(organiser_client, round_)
    assert '<div class="stage-paused" role="status">暂停</div>' in paused and "已暂停" not in paused


def three_players(app, organiser_client, enterprises, clock):
    round_ = create_round(organiser_client)
    phones = [join(app, round_, name, enterprises[i]) for i, name in enumerate(("甲", "乙", "丙"))]
    return round_, phones


def test_rank_changes_between_questions(app, organiser_client, enterprises, clock):
    round_, (a, b, c) = three_players(app, organiser_client, enterprises, clock)
    control(organiser_client, round_, "start")
    clock.advance(seconds=1)
    answer(a, round_, right_letter(round_))  # 975
    clock.advance(seconds=1)
    answer(c, round_, wrong_letter(round_))
    clock.advance(seconds=8)
    answer(b, round_, right_letter(round_))  # 750 → reveal
    control(organiser_client, round_, "next")
    first = stage(organiser_client, round_)
    assert "个人前十名" in first and "move-up" not in first and "move-down" not in first  # nothing before Q1

    control(organiser_client, round_, "next")  # question 2
    answer(c, round_, right_letter(round_))  # 1000
    clock.advance(seconds=1)
    answer(b, round_, right_letter(round_))  # 975
    answer(a, round_, wrong_letter(round_))
    control(organiser_client, round_, "next")
    moves = live_rules.leaderboard(round_.id, 2)
    assert [(m.standing.name, m.standing.rank, m.before, m.change) for m in moves] == [
        ("乙", 1, 2, 1), ("丙", 2, 3, 1), ("甲", 3, 1, -2)]
    board = stage(organiser_client, round_)
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td>.*?<td class=\"move\">(.*?)</td></tr>", board, re.S)
    assert [(rank, name, re.sub("<[^>]+>", "", move)) for rank, name, move in rows] == [
        ("1", "乙", "↑1"), ("2", "丙", "↑1"), ("3", "甲", "↓2")]


def test_leaderboard_is_a_fixed_number_of_queries(app, organiser_client, enterprises, clock):
    """Rank changes come from one aggregate, not a read per player."""
    def queries_for(players: int) -> int:
        round_ = create_round(organiser_client)
        for i in range(players):
            join(app, round_, f"选手{i}", enterprises[i % 3])
        control(organiser_client, round_, "start")
        control(organiser_client, round_, "next")
        control(organiser_client, round_, "next")
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert "个人前十名" in stage(organiser_client, round_)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert queries_for(2) == queries_for(14)


def test_phone_reveal_shows_the_keys_text_and_a_short_explanation(app, organiser_client, enterprises):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", enterprises[0])
    control(organiser_client, round_, "start")
    q = live_rules.live_question(round_).question
    answer(a, round_, right_letter(round_))
    mine = a.get(f"/live/{round_.code}").get_data(as_text=True)
    key_text = q.options["ABCDEFGH".index(q.answer)]
    assert "live-key-options" in mine and key_text in mine
    if q.explanation:
        assert f"解析：{brief(q.explanation)}" in mine
    shown = stage(organiser_client, round_)
    assert 'class="tile tile-' in shown and " right" in shown and " dim" in shown and "tile-bar" in shown


def test_brief_keeps_whole_sentences_or_cuts_with_an_ellipsis():
    assert brief("  短的解析。 ") == "短的解析。"
    sentences = "第一句说明了为什么要这样做，内容比较长一些。" * 6
    cut = brief(sentences)
    assert len(cut) <= BRIEF_CHARS and cut.endswith("。")
    run_on = "没有标点" * 40
    cut = brief(run_on)
    assert len(cut) == BRIEF_CHARS and cut.endswith("…")


def test_a_join_flood_from_one_address_is_limited_with_a_clear_message(app, organiser_client, enterprises,
                                                                       limit_clock):
    round_ = create_round(organiser_client)
    app.config["RATELIMIT_LIVE_JOIN_PER_ADDRESS"] = "5 per minute"
    statuses = []
    for i in range(8):  # a script posting joins from one address, without htmx
        phone = app.test_client()
        token = csrf_token(phone, f"/live/{round_.code}")
        reply = phone.post(f"/live/{round_.code}", data={
            "name": f"机器人{i}", "enterprise": enterprises[0].id, "department": "x", "csrf_token": token})
        statuses.append(reply.status_code)
    assert statuses == [303] * 5 + [429] * 3
    text = reply.get_data(as_text=True)
    assert "操作太频繁" in text and "秒后再试" in text and reply.headers["Retry-After"]
    assert len(db.session.scalars(select(LivePlayer.id)).all()) == 5
    limit_clock.advance(61)
    join(app, round_, "真人", enterprises[0])
