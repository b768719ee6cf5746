"""The Content-Security-Policy (quiz/security_headers.py) in real Chromium: the phone's quiz, the
organiser's pages and a live round's host and phone pages report no violation, and htmx still
swaps, confirms and streams under it."""
from __future__ import annotations

import pytest

from quiz.extensions import db
from quiz.models import LiveRound

from .test_phone_browser import CHROMIUM, WECHAT_ANDROID, organiser_page, server, tick_an_answer  # noqa: F401
from .test_live_pages import create_round, join

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not __import__("os").path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}: `make test` installs it"
)

# Every violation reaches the console: Chromium's own "Refused to …" line, and this listener's.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP-VIOLATION " + e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


def watched(context, violations: list[str]):
    page = context.new_page()
    page.set_default_timeout(10_000)

    def seen(message):
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text or "Refused to" in text:
            violations.append(f"{page.url}: {text}")

    page.on("console", seen)
    page.on("pageerror", lambda error: violations.append(f"{page.url}: page error {error}"))
    return page


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield found
        found.close()


def test_the_watcher_sees_a_violation(app, server, browser):  # noqa: F811
    """The probe itself: an inline script added to a page is refused and reported."""
    violations: list[str] = []
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(REPORT_VIOLATIONS)
    page = watched(context, violations)
    page.goto(f"{server}/join")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in v for v in violations), violations


def test_no_violation_on_the_phone_quiz_the_organiser_and_a_live_round(
        app, server, browser, contest, enterprises, organiser_client):  # noqa: F811
    violations: list[str] = []

    # The phone: sign up, answer through htmx swaps, submit, the result.
    phone_context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                        user_agent=WECHAT_ANDROID, locale="zh-CN")
    phone_context.add_init_script(REPORT_VIOLATIONS)
    phone = watched(phone_context, violations)
    phone.goto(f"{server}/j/{contest.code}")
    phone.get_by_label("姓名").fill("李四")
    phone.get_by_label("手机号或工号").fill("13900139000")
    phone.get_by_label("单位").select_option(label=enterprises[1].name)
    phone.get_by_label("部门").fill("运输车队")
    phone.get_by_role("button", name="开始答题").click()
    for position in range(1, 6):
        phone.get_by_text(f"第 {position}/5 题").wait_for()
        tick_an_answer(phone)
        phone.get_by_role("button", name="保存并检查" if position == 5 else "下一题").click()
    phone.get_by_text("全部 5 题均已作答").wait_for()
    phone.get_by_role("button", name="确认交卷").click()
    phone.get_by_text("答题情况").wait_for()

    # The organiser: dashboard, contests, the participants list and its confirm-before-post form.
    desk_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk_context.add_init_script(REPORT_VIOLATIONS)
    desk = watched(desk_context, violations)
    desk.goto(f"{server}/admin/login")
    desk.get_by_label("用户名").fill("organiser")
    desk.get_by_label("密码").fill("correct horse 1")
    desk.get_by_role("button", name="登录").click()
    desk.wait_for_url(f"{server}/admin/**")
    for path in ("/admin/", "/admin/contests/", f"/admin/contests/{contest.id}", "/admin/questions/",
                 "/admin/live", "/admin/reports/"):
        desk.goto(server + path)
        desk.wait_for_load_state("load")
    desk.goto(f"{server}/admin/questions/")
    total = desk.inner_text("#results p.muted")
    desk.get_by_placeholder("搜索题干").press_sequentially("灭火器")  # htmx: the results follow the typing
    desk.wait_for_function(f"() => document.querySelector('#results p.muted').innerText !== {total!r}")

    # A live round: the host starts it (htmx post), a phone joins and gets it pushed (SSE),
    # the reveal's bars take their width from data-bar-width (no style attribute).
    round_ = create_round(organiser_client)
    join(app, round_, "王五", enterprises[0])
    player_context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                         locale="zh-CN")
    player_context.add_init_script(REPORT_VIOLATIONS)
    player = watched(player_context, violations)
    player.goto(f"{server}/live/{round_.code}")
    player.fill("#name", "张三")
    player.select_option("#enterprise", label=enterprises[1].name)
    player.fill("#department", "仓储部")
    player.click("button:has-text('加入')")
    player.wait_for_selector("text=已加入，请等待主持人开始")

    # The stage (projector) follows the console; its reveal bars take their width from data-share.
    stage = watched(desk_context, violations)
    stage.goto(f"{server}/admin/live/{round_.id}/stage")
    desk.goto(f"{server}/admin/live/{round_.id}")
    desk.get_by_role("button", name="开始答题").click()
    stage.locator(".stage-question").wait_for()
    player.wait_for_selector(".live-button")  # pushed over the event stream
    player.click(".live-button[value='A']")
    player.wait_for_selector("text=已提交：A")
    db.session.expire_all()
    desk.get_by_role("button", name="结束本题并揭晓").click()
    stage.locator(".tile-bar").first.wait_for()
    stage.wait_for_function("() => [...document.querySelectorAll('.tile-bar')].every(e => e.style.width.endsWith('%'))")
    widths = stage.eval_on_selector_all(".tile-bar", "els => els.map(e => e.style.width)")
    assert "100%" in widths, widths
    assert db.session.get(LiveRound, round_.id) is not None
    assert violations == []
