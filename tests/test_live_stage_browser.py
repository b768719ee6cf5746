"""The presenter's stage in real Chromium: a projector at 1920×1080 and an old 4:3 one at
1024×768 (no admin UI, sizes read from the back of a hall, four coloured tiles with shapes, the
key highlighted with growing bars at the reveal, the podium at the end), and a phone at
360×640 after a question (the key's text and the short 解析, no sideways scrolling)."""
from __future__ import annotations

import pytest

from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.models import LiveRound

from .test_live_pages import answer, control, create_round, join, right_letter
from .test_phone_browser import CHROMIUM, no_horizontal_scroll, phone_page, playwright_api, server  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="no Chromium")


def projector(server, width, height):
    """A logged-in organiser's browser showing the stage at width × height."""
    p = playwright_api.sync_playwright().start()
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
    page = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN").new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server}/admin/login")
    page.fill("#username", "organiser")
    page.fill("#password", "correct horse 1")
    page.click("button:has-text('登录')")
    page.wait_for_url(lambda url: "/admin/login" not in url)
    return p, browser, page


def px(page, selector, prop="font-size"):
    return page.eval_on_selector(selector, f"el => parseFloat(getComputedStyle(el)['{prop}'])")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth && document.documentElement.scrollHeight <= innerHeight")


@pytest.mark.parametrize("width,height", [(1920, 1080), (1024, 768)])
def test_the_stage_through_a_round(app, server, organiser_client, enterprises, clock, width, height):
    round_ = create_round(organiser_client)
    a = join(app, round_, "张三", enterprises[0])
    b = join(app, round_, "李四", enterprises[1])
    p, browser, page = projector(server, width, height)
    try:
        page.goto(f"{server}/admin/live/{round_.id}/stage")
        page.wait_for_selector(".stage-qr")
        # Nothing of the admin pages: no nav bar, no buttons, no forms.
        assert page.locator("header.top, nav, button, form").count() == 0
        assert page.locator(".stage-code").inner_text() == round_.code
        assert page.locator(".stage-qr").bounding_box()["width"] >= 0.3 * min(width, height)
        assert "张三" in page.inner_text(".stage-names") and fits(page)

        control(organiser_client, round_, "start")  # the console, elsewhere: pushed to the stage
        page.wait_for_selector(".stage-tiles")
        tiles = page.locator(".tile")
        assert tiles.count() == len(live_rules.live_question(db.session.get(LiveRound, round_.id)).question.options)
        colours = page.eval_on_selector_all(".tile", "els => els.map(e => getComputedStyle(e).backgroundColor)")
        shapes = page.eval_on_selector_all(".tile-shape", "els => els.map(e => e.textContent.trim())")
        assert len(set(colours)) == len(colours) and len(set(shapes)) == len(shapes)
        assert set(shapes) <= set("▲◆●■")
        if (width, height) == (1920, 1080):
            assert px(page, ".stage-stem") >= 48 and px(page, ".tile") >= 40
        assert px(page, ".stage-stem") >= 24 and px(page, ".tile") >= 20
        assert fits(page)
        # The bar drains: an animation as long as the seconds left.
        page.wait_for_function("document.querySelector('.stage-timer.running')")
        duration = page.eval_on_selector(".stage-timer span", "el => getComputedStyle(el).animationDuration")
        assert 15 <= float(duration.rstrip("s")) <= 20

        control(organiser_client, round_, "pause")
        page.wait_for_selector(".stage-paused")
        assert page.inner_text(".stage-paused") == "暂停" and px(page, ".stage-paused") >= 60
        control(organiser_client, round_, "resume")
        page.wait_for_selector(".stage-paused", state="detached")

        db.session.expire_all()
        round_ = db.session.get(LiveRound, round_.id)
        key = right_letter(round_)
        answer(a, round_, key)
        answer(b, round_, "A" if key != "A" else "B")  # everyone answered: the reveal
        page.wait_for_selector(".tile.right")
        right = page.locator(".tile.right")
        assert right.count() == 1 and key in right.inner_text()
        assert page.locator(".tile.dim").count() == tiles.count() - 1
        opacity = page.eval_on_selector(".tile.dim", "el => parseFloat(getComputedStyle(el).opacity)")
        assert opacity < 0.6
        # The bars grow to their share (the key's and the wrong one's: one each).
        page.wait_for_function("""() => [...document.querySelectorAll('.tile-bar')]
            .filter(b => b.getBoundingClientRect().width > 0.9 * b.parentElement.getBoundingClientRect().width).length === 2""")
        explanation = live_rules.live_question(round_).question.explanation
        if explanation:
            assert page.locator(".stage-explain").is_visible() and "解析：" in page.inner_text(".stage-explain")
        assert fits(page)

        control(organiser_client, round_, "next")
        page.wait_for_selector("text=个人前十名")
        assert fits(page)
        control(organiser_client, round_, "end")
        page.wait_for_selector(".stage-podium")
        podium = page.locator(".stage-podium li")
        assert podium.count() == 2 and "张三" in podium.nth(0).inner_text()
        first_size = px(page, ".stage-podium .place-1 b")
        assert first_size >= (40 if width == 1920 else 28)
        assert page.locator("button, form, nav").count() == 0
    finally:
        browser.close()
        p.stop()


def test_phone_reveal_shows_the_key_text_and_short_explanation(app, server, phone_page, organiser_client, enterprises):  # noqa: F811
    round_ = create_round(organiser_client)
    join(app, round_, "李四", enterprises[0])
    page = phone_page
    page.goto(f"{server}/live/{round_.code}")
    page.fill("#name", "张三")
    page.select_option("#enterprise", label=enterprises[1].name)
    page.fill("#department", "仓储部")
    page.click("button:has-text('加入')")
    page.wait_for_selector("text=已加入，请等待主持人开始")
    page.wait_for_function("document.querySelector('[sse-connect]') && htmx")
    control(organiser_client, round_, "start")
    page.wait_for_selector(".live-button")
    round_ = db.session.get(LiveRound, round_.id)
    q = live_rules.live_question(round_).question
    page.click(f".live-button[value='{q.answer}']")
    control(organiser_client, round_, "next")  # the host closes the question
    page.wait_for_selector(".live-key-options")
    key_text = page.inner_text(".live-key-options")
    assert q.options["ABCDEFGH".index(q.answer)][:8] in key_text
    if q.explanation:
        explain = page.locator(".live-explain")
        assert explain.is_visible() and explain.inner_text().startswith("解析：")
        assert len(explain.inner_text()) <= 4 + 80
        box = explain.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert no_horizontal_scroll(page)


def test_sound_is_off_by_default_and_plays_after_a_click_when_on(app, server, organiser_client, enterprises):
    from .test_live_stage import setting

    round_ = create_round(organiser_client)
    p, browser, page = projector(server, 1280, 720)
    try:
        page.goto(f"{server}/admin/live/{round_.id}/stage")
        page.wait_for_selector(".stage-qr")
        assert page.locator(".stage-sound-hint").count() == 0
        page.evaluate("""() => { window.__tones = 0; const C = window.AudioContext;
            const make = C.prototype.createOscillator;
            C.prototype.createOscillator = function () { window.__tones += 1; return make.call(this); }; }""")
        setting(organiser_client, round_, "sound", "1")  # from the console
        page.wait_for_selector(".stage-sound-hint", state="visible")  # browsers need one click first
        page.mouse.click(10, 10)
        page.wait_for_selector(".stage-sound-hint", state="hidden")
        join(app, round_, "张三", enterprises[0])
        control(organiser_client, round_, "start")
        page.wait_for_selector(".stage-tiles")
        control(organiser_client, round_, "next")  # the reveal: a chime of three tones
        page.wait_for_selector(".tile.right")
        page.wait_for_function("window.__tones >= 3")
    finally:
        browser.close()
        p.stop()


@pytest.mark.parametrize("width,height", [(1280, 720), (1024, 768)])
def test_the_longest_questions_fit_without_clipping(app, server, organiser_client, enterprises, width, height):
    from sqlalchemy import String, cast, func, select

    from quiz.models import Question

    longest = db.session.scalars(
        select(Question).where(Question.current.is_(True), Question.active.is_(True), Question.qtype != "judge")
        .order_by(func.length(Question.stem).desc()).limit(1)).all()
    widest = db.session.scalars(
        select(Question).where(Question.current.is_(True), Question.active.is_(True), Question.qtype != "judge")
        .order_by(func.length(cast(Question.options, String)).desc()).limit(1)).all()
    uids = list(dict.fromkeys(q.uid for q in longest + widest))
    round_ = create_round(organiser_client, uids="\n".join(uids))
    join(app, round_, "张三", enterprises[0])
    p, browser, page = projector(server, width, height)
    try:
        page.goto(f"{server}/admin/live/{round_.id}/stage")
        for position in range(1, len(uids) + 1):
            control(organiser_client, db.session.get(LiveRound, round_.id), "start" if position == 1 else "next")
            if position > 1:
                control(organiser_client, db.session.get(LiveRound, round_.id), "next")
                control(organiser_client, db.session.get(LiveRound, round_.id), "next")
            page.wait_for_selector(f"#stage[data-position='{position}'][data-state='question']")
            clipped = page.evaluate("""() => [...document.querySelectorAll('.tile')]
                .filter(t => t.scrollHeight > t.clientHeight + 1).length""")
            assert clipped == 0 and fits(page)
            stem = page.locator(".stage-stem").bounding_box()
            tiles = page.locator(".stage-tiles").bounding_box()
            assert stem["y"] + stem["height"] <= tiles["y"] + 1 and tiles["y"] + tiles["height"] <= height
    finally:
        browser.close()
        p.stop()


def test_console_ticks_survive_new_joins_and_remove_in_one_go(app, server, organiser_client, enterprises):
    from sqlalchemy import select

    from quiz.models import LivePlayer

    round_ = create_round(organiser_client)
    for name in ("张三", "李四", "王五"):
        join(app, round_, name, enterprises[0])
    p, browser, page = projector(server, 1280, 800)
    try:
        page.goto(f"{server}/admin/live/{round_.id}")
        page.wait_for_function("document.querySelector('[sse-connect]') && htmx")
        assert page.locator(".stage-preview iframe").count() == 1 and page.locator(".host-qr-small").is_visible()
        page.get_by_label("张三").check()
        page.get_by_label("王五").check()
        join(app, round_, "赵六", enterprises[1])  # the console is pushed a new version meanwhile
        page.wait_for_selector("label:has-text('赵六')")
        assert page.get_by_label("张三").is_checked() and page.get_by_label("王五").is_checked()
        assert not page.get_by_label("李四").is_checked()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="移出所选选手").click()
        page.wait_for_selector("label:has-text('张三')", state="detached")
        db.session.expire_all()
        assert sorted(db.session.scalars(select(LivePlayer.name).where(LivePlayer.removed.is_(True)))) == ["张三", "王五"]
        assert page.inner_text(".console-players .host-count b") == "2"

        page.get_by_role("button", name="锁定入场").click()
        page.wait_for_selector("button[data-setting=lobby_locked][aria-pressed=true]")
        db.session.expire_all()
        assert db.session.get(LiveRound, round_.id).lobby_locked
    finally:
        browser.close()
        p.stop()
