"""The quiz screen in real Chromium at 360×640 with a WeChat user agent: every tap saved and
kept, a pressed state and a progress bar on each request, the retry message when the network
fails, leave warnings, the folded grid of a long paper and the in-page 交卷 confirmation."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion

from .conftest import make_contest
from .test_phone_browser import no_horizontal_scroll, phone_page, server  # noqa: F401 - fixtures
from .test_quiz_screen import paper_of


def sign_up(page, server, contest, enterprise, name="李四", identifier="13900139000") -> int:
    page.goto(f"{server}/j/{contest.code}/{enterprise.code}")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号或工号").fill(identifier)
    page.get_by_label("部门").fill("运输车队")
    page.get_by_role("button", name="开始答题").click()
    page.get_by_text(re.compile(r"第 1/\d+ 题")).wait_for()
    return int(re.search(r"/a/(\d+)", page.url).group(1))


def stored(attempt_id: int, position: int) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(AttemptQuestion.chosen).where(
        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position))


def saved(page) -> None:
    """Every tap acknowledged: nothing in flight, nothing waiting."""
    page.wait_for_function("() => !document.body.classList.contains('busy')")


def options(page):
    return page.locator("form.question input[name=choice]")


def three_questions(enterprises, **rules):
    uids = paper_of("single", "multi", "judge")
    return make_contest(question_count=3, fixed_question_uids=uids, **rules)


def test_a_tick_survives_the_number_grid_and_a_reload(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    attempt_id = sign_up(page, server, three_questions(enterprises), enterprises[0])
    # Tick on question 1, then tap "3" in the grid: no 下一题.
    options(page).nth(1).check()
    page.locator("#dots a[data-q='3']").click()
    page.get_by_text("第 3/3 题").wait_for()
    assert stored(attempt_id, 1) is not None
    assert "done" in page.locator("#dots a[data-q='1']").get_attribute("class")
    page.locator("#dots a[data-q='1']").click()
    page.get_by_text("第 1/3 题").wait_for()
    assert options(page).nth(1).is_checked() and not options(page).nth(0).is_checked()

    # A tick, then a reload: still ticked, from the database.
    options(page).nth(0).check()
    saved(page)
    page.reload()
    page.get_by_text("第 1/3 题").wait_for()
    assert options(page).nth(0).is_checked() and not options(page).nth(1).is_checked()
    assert stored(attempt_id, 1) is not None
    assert no_horizontal_scroll(page)


def test_a_partial_multi_is_kept_and_checked_at_submit(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    attempt_id = sign_up(page, server, three_questions(enterprises), enterprises[0])
    page.locator("#dots a[data-q='2']").click()
    page.get_by_text("第 2/3 题").wait_for()
    options(page).nth(2).check()  # one option of a 多选
    page.get_by_role("button", name="下一题").click()
    page.get_by_text("第 3/3 题").wait_for()
    assert stored(attempt_id, 2) is not None and len(stored(attempt_id, 2)) == 1
    page.get_by_role("button", name="上一题").click()
    page.get_by_text("第 2/3 题").wait_for()
    assert [options(page).nth(i).is_checked() for i in range(3)] == [False, False, True]
    # Unticking every box clears the answer.
    options(page).nth(2).uncheck()
    saved(page)
    assert stored(attempt_id, 2) is None
    options(page).nth(0).check()
    saved(page)
    page.get_by_role("link", name="交卷").click()
    incomplete = page.locator(".review .message.warn", has_text="多选题只选了一项")
    expect(incomplete).to_contain_text("第 2 题")


def test_a_slow_request_shows_at_once_and_a_failed_save_is_retried(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    attempt_id = sign_up(page, server, three_questions(enterprises), enterprises[0])

    # 下一题 on a slow network: the button looks pressed and cannot be tapped twice, and the
    # bar along the top runs until the answer comes back.
    options(page).nth(0).check()
    saved(page)
    held = []
    page.route("**/answer", lambda route: held.append(route))
    next_button = page.get_by_role("button", name="下一题")
    next_button.click()
    page.wait_for_function("() => document.body.classList.contains('busy')")
    expect(next_button).to_have_class(re.compile(r"\bpressed\b"))
    expect(next_button).to_be_disabled()
    assert page.get_by_text("第 1/3 题").is_visible()
    page.wait_for_function("() => true")  # let the route handler run
    assert len(held) == 1
    held[0].continue_()
    page.get_by_text("第 2/3 题").wait_for()
    saved(page)
    page.unroute("**/answer")

    # The network drops while a tap is saved: the page says so and keeps trying.
    network_up = {"value": False}

    def save_route(route):
        if network_up["value"]:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route("**/save", save_route)
    options(page).nth(0).check()
    status = page.locator("#net-status")
    expect(status).to_have_text("网络不稳定，答案未保存，正在重试…")
    expect(status).to_be_visible()
    assert stored(attempt_id, 2) is None
    # Moving on waits for the tap: the grid link looks pressed meanwhile.
    page.locator("#dots a[data-q='3']").click()
    expect(page.locator("#dots a[data-q='3']")).to_have_class(re.compile(r"\bpressed\b"))
    network_up["value"] = True
    page.get_by_text("第 3/3 题").wait_for(timeout=15_000)  # the next retry is at most 8 s away
    expect(status).to_be_hidden()
    assert stored(attempt_id, 2) is not None


def leave_and_return(page) -> None:
    """The page hidden and shown again, as when WeChat's chat is read in between."""
    page.evaluate("""() => {
        window.__visibility = 'hidden';
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.evaluate("""() => {
        window.__visibility = 'visible';
        document.dispatchEvent(new Event('visibilitychange'));
    }""")


def test_each_leave_warns_and_the_last_one_says_why(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    page.add_init_script("""Object.defineProperty(document, 'visibilityState', {
        configurable: true, get: () => window.__visibility || 'visible'});""")
    attempt_id = sign_up(page, server, three_questions(enterprises, leave_limit=2), enterprises[0])
    rule = page.locator("#leave-rule")
    expect(rule).to_contain_text("超过 2 次将自动交卷")
    leave_and_return(page)
    expect(rule).to_have_text("您已离开答题页面 1 次，再离开 2 次将自动交卷。")
    leave_and_return(page)
    expect(rule).to_have_text("您已离开答题页面 2 次，再离开 1 次将自动交卷。")
    # The warning stays with the next question (rendered by the server).
    page.locator("#dots a[data-q='2']").click()
    page.get_by_text("第 2/3 题").wait_for()
    expect(rule).to_have_text("您已离开答题页面 2 次，再离开 1 次将自动交卷。")
    leave_and_return(page)
    page.get_by_text("系统已自动交卷").wait_for()
    assert "/result" in page.url
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.end_reason == "leave" and attempt.leave_count == 3


def test_a_reload_is_not_a_leave(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    attempt_id = sign_up(page, server, three_questions(enterprises, leave_limit=0), enterprises[0])
    page.reload()
    page.get_by_text("第 1/3 题").wait_for()
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.leave_count == 0 and attempt.submitted_at is None


def test_the_grid_of_thirty_questions_folds_into_one_line(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    contest = make_contest(code="LONG30", question_count=30)
    sign_up(page, server, contest, enterprises[0])
    grid = page.locator("#dots")
    one_line = "() => document.getElementById('dots').getBoundingClientRect().height < 60"
    page.wait_for_function(one_line)
    # The question and its first options are above the fold at 360×640.
    assert page.locator("label.option").first.bounding_box()["y"] + 52 <= 640
    assert no_horizontal_scroll(page)
    toggle = page.get_by_role("button", name="展开")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    assert grid.bounding_box()["height"] > 150  # every number, on several lines
    expect(page.get_by_role("button", name="收起")).to_have_attribute("aria-expanded", "true")
    page.locator("#dots a[data-q='30']").click()
    page.get_by_text("第 30/30 题").wait_for()
    # Folded again, with the current number in view.
    page.wait_for_function(one_line)
    page.wait_for_function("""() => {
        const grid = document.getElementById('dots').getBoundingClientRect();
        const here = document.querySelector('#dots a.here').getBoundingClientRect();
        return grid.left <= here.left && here.right <= grid.right + 1;
    }""")
    assert no_horizontal_scroll(page)


def test_submitting_with_questions_left_asks_in_the_page(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    attempt_id = sign_up(page, server, three_questions(enterprises), enterprises[0])
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    options(page).nth(0).check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_text("第 2/3 题").wait_for()
    page.get_by_role("link", name="交卷").click()
    page.get_by_text("还有 2 题未作答：").wait_for()
    confirm_button = page.get_by_role("button", name="确认交卷")
    expect(confirm_button).to_be_hidden()
    page.locator("summary", has_text="交卷").click()
    expect(page.locator(".confirm-box")).to_contain_text("还有 2 题未作答，确定交卷吗？")
    # 继续答题 goes to the first question left.
    page.get_by_role("link", name="继续答题").click()
    page.get_by_text("第 2/3 题").wait_for()
    page.get_by_role("link", name="交卷").click()
    page.locator("summary", has_text="交卷").click()
    page.get_by_role("button", name="确认交卷").click()
    page.get_by_text("答题情况").wait_for()
    assert dialogs == []  # never the browser's confirm(), which WeChat titles with the domain
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and attempt.end_reason is None
    assert no_horizontal_scroll(page)


def test_starting_on_a_slow_network_shows_at_once(app, enterprises, server, phone_page):  # noqa: F811
    page = phone_page
    contest = three_questions(enterprises, leave_limit=1)
    page.goto(f"{server}/j/{contest.code}/{enterprises[0].code}")
    # The page-leave rule is said before the start, in the contest's summary.
    expect(page.locator(".contest-rules")).to_contain_text("离开答题页面超过 1 次将自动交卷")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("手机号或工号").fill("13900139000")
    page.get_by_label("部门").fill("运输车队")
    held = []
    page.route(f"**/j/{contest.code}/{enterprises[0].code}",
               lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    start = page.get_by_role("button", name="开始答题")
    start.click()
    expect(start).to_have_class(re.compile(r"\bpressed\b"))
    expect(start).to_be_disabled()  # a second tap does not sign up twice
    page.wait_for_function("() => document.body.classList.contains('busy')")
    assert len(held) == 1
    held[0].continue_()
    page.get_by_text("第 1/3 题").wait_for()
