"""The participant's journey in real headless Chromium at 360×640, as a phone in WeChat sees it."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from quiz.extensions import db
from quiz.models import Attempt

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}: `make test` installs it (apt chromium)"
)
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; Redmi 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/86.0.4240.99 Mobile Safari/537.36 MicroMessenger/8.0.40.2420(0x28002837) NetType/4G"
)


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def phone_page(server):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
            device_scale_factor=2, user_agent=WECHAT_ANDROID, locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def tick_an_answer(page) -> None:
    page.locator("label.option").first.click()
    if page.locator("input[type=checkbox]").count():  # 多选 needs at least two
        page.locator("label.option").nth(1).click()


def test_phone_journey_in_chromium(contest, enterprises, server, phone_page):
    page = phone_page
    page.goto(f"{server}/j/{contest.code}")
    assert no_horizontal_scroll(page)
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("手机号或工号").fill("13900139000")
    page.get_by_label("单位").select_option(label=enterprises[1].name)
    page.get_by_label("部门").fill("运输车队")
    page.get_by_role("button", name="开始答题").click()

    # Screen 2: the first question, the countdown in view.
    page.get_by_text("第 1/5 题").wait_for()
    assert page.locator("#countdown").is_visible()
    assert page.locator("#countdown").inner_text() in ("10:00", "9:59")
    assert no_horizontal_scroll(page)
    first_url = page.url

    for position in range(1, 6):
        page.get_by_text(f"第 {position}/5 题").wait_for()
        tick_an_answer(page)
        box = page.locator("label.option").first.bounding_box()
        assert box["height"] >= 44  # a thumb-sized tap target
        page.get_by_role("button", name="保存并检查" if position == 5 else "下一题").click()
    # htmx swapped fragments: no full page load, and the URL follows the question.
    page.get_by_text("全部 5 题均已作答").wait_for()
    assert page.url != first_url and "q=0" in page.url

    # A reload comes back to the same place with the answers kept.
    page.reload()
    page.get_by_text("全部 5 题均已作答").wait_for()

    page.get_by_role("button", name="确认交卷").click()
    page.get_by_text("答题情况").wait_for()  # the review setting: no answer key yet
    assert "/ 50 分" in page.inner_text(".score")
    assert "第 1 名（共 1 人）" in page.inner_text(".score")
    assert no_horizontal_scroll(page)

    attempt = db.session.scalars(select(Attempt)).one()
    assert attempt.submitted_at is not None
    assert attempt.participant.name == "李四" and attempt.participant.enterprise_id == enterprises[1].id


def test_unanswered_questions_are_listed_before_submitting(contest, enterprises, server, phone_page):
    page = phone_page
    page.goto(f"{server}/j/{contest.code}/{enterprises[0].code}")
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("手机号或工号").fill("GH-0042")
    page.get_by_label("部门").fill("一车间")
    page.get_by_role("button", name="开始答题").click()
    page.get_by_text("第 1/5 题").wait_for()
    tick_an_answer(page)
    page.get_by_role("button", name="下一题").click()
    page.get_by_text("第 2/5 题").wait_for()
    page.get_by_role("link", name="交卷").click()
    page.get_by_text("还有 4 题未作答：").wait_for()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    # Asked in the page (WeChat titles the browser's confirm() with the domain).
    page.locator("summary", has_text="交卷").click()
    assert "还有 4 题未作答，确定交卷吗？" in page.inner_text(".confirm-box")
    page.get_by_role("button", name="确认交卷").click()
    page.get_by_text("答题情况").wait_for()  # the review setting: no answer key yet
    assert not dialogs


def organiser_page(browser, server, viewport):
    """A desktop page logged in as the organiser (created by the caller with make_organiser)."""
    page = browser.new_page(viewport=viewport, locale="zh-CN")  # the Chinese interface
    page.set_default_timeout(10_000)
    page.goto(f"{server}/admin/login")
    page.get_by_label("用户名").fill("organiser")
    page.get_by_label("密码").fill("correct horse 1")
    page.get_by_role("button", name="登录").click()
    return page


def test_bank_search_filters_as_the_organiser_types(app, server):
    from .conftest import make_organiser

    make_organiser()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = organiser_page(browser, server, {"width": 1280, "height": 900})
        page.goto(f"{server}/admin/questions/")
        total = page.inner_text("#results p.muted")
        page.get_by_placeholder("搜索题干").press_sequentially("灭火器")
        page.wait_for_function(f"document.querySelector('#results p.muted').innerText !== {total!r}")
        rows = page.locator("#results tbody tr")
        assert rows.count() > 0
        assert all("灭火器" in rows.nth(i).inner_text() for i in range(rows.count()))
        assert "q=" in page.url  # the filter is in the address, so a reload keeps it
        browser.close()


def test_poster_qr_to_result_with_a_reload_in_the_middle(app, contest, enterprises, server, clock):
    """Decode the printed poster's QR code, open it at phone size, sign up, answer, reload
    mid-way (same question, same time left), finish and see the result."""
    import io

    import zxingcpp
    from PIL import Image

    from .conftest import make_organiser

    app.config["PUBLIC_BASE_URL"] = server
    make_organiser()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        desk = organiser_page(browser, server, {"width": 1240, "height": 1754})
        desk.goto(f"{server}/admin/contests/{contest.id}/poster?e={enterprises[2].code}")
        desk.locator("img.qr").wait_for()
        shot = desk.screenshot(full_page=True)
        decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
        assert decoded == [f"{server}/j/{contest.code}/{enterprises[2].code}"]

        phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                    has_touch=True, user_agent=WECHAT_ANDROID).new_page()
        phone.set_default_timeout(10_000)
        phone.goto(decoded[0])
        assert enterprises[2].name in phone.inner_text("#signup")
        phone.get_by_label("姓名").fill("孙七")
        phone.get_by_label("手机号或工号").fill("13600136000")
        phone.get_by_label("部门").fill("项目部")
        phone.get_by_role("button", name="开始答题").click()
        for position in (1, 2):
            phone.get_by_text(f"第 {position}/5 题").wait_for()
            tick_an_answer(phone)
            phone.get_by_role("button", name="下一题").click()
        phone.get_by_text("第 3/5 题").wait_for()
        clock.advance(seconds=75)  # the server's clock moves on while the phone reloads
        phone.reload()
        phone.get_by_text("第 3/5 题").wait_for()
        left = phone.locator("#countdown").get_attribute("data-seconds-left")
        assert left == "525"  # 600 s − 75 s, from the server
        for position in (3, 4, 5):
            phone.get_by_text(f"第 {position}/5 题").wait_for()
            tick_an_answer(phone)
            phone.get_by_role("button", name="保存并检查" if position == 5 else "下一题").click()
        phone.get_by_role("button", name="确认交卷").click()
        phone.get_by_text("答题情况").wait_for()  # the review setting: no answer key yet
        assert "孙七" in phone.inner_text(".score") and no_horizontal_scroll(phone)
        browser.close()


def test_live_round_on_a_phone_pushed_over_sse(app, server, phone_page, organiser_client, enterprises):
    """Join by the projector's code, wait in the lobby, get the question pushed, answer, reload."""
    from quiz.live import rules as live_rules
    from quiz.models import LiveRound

    from .test_live_pages import control, create_round, join

    round_ = create_round(organiser_client)
    join(app, round_, "李四", enterprises[0])  # someone else in the hall, still thinking
    page = phone_page
    page.goto(server + "/")
    page.fill("#live-code", round_.code)
    page.click("text=加入现场答题")
    page.fill("#name", "张三")
    page.select_option("#enterprise", label=enterprises[1].name)
    page.fill("#department", "仓储部")
    page.click("button:has-text('加入')")
    page.wait_for_selector("text=已加入，请等待主持人开始")
    page.wait_for_function("document.querySelector('[sse-connect]') && htmx")

    control(organiser_client, round_, "start")  # the host, on another screen
    page.wait_for_selector(".live-button")  # pushed: no reload, no polling
    assert no_horizontal_scroll(page)
    heights = page.eval_on_selector_all(".live-button", "els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 44
    right = live_rules.live_question(db.session.get(LiveRound, round_.id)).question.answer
    page.click(f".live-button[value='{right}']")
    page.wait_for_selector(f"text=已提交：{right}")

    page.reload()  # a locked phone or a reload comes back to the same state
    page.wait_for_selector(f"text=已提交：{right}")
    control(organiser_client, round_, "next")  # reveal
    page.wait_for_selector("text=回答正确")
