"""A live round's answer in real headless Chromium at 360×640: a save whose response is lost on
the network is sent again by the phone (static/live.js), and stored once (issue 19)."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import LiveAnswer

from .test_live_pages import control, create_round, join, right_letter
from .test_phone_browser import phone_page, server  # noqa: F401 - fixtures


def stored(round_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(a.position, a.chosen) for a in db.session.scalars(
        select(LiveAnswer).where(LiveAnswer.round_id == round_id))]


def test_an_answer_whose_response_is_lost_is_retried_and_stored_once(  # noqa: F811
        app, organiser_client, enterprises, server, phone_page):
    page = phone_page
    round_ = create_round(organiser_client)
    round_id = round_.id
    page.goto(f"{server}/live/{round_.code}")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("单位").select_option(label=enterprises[0].name)
    page.get_by_label("部门").fill("安全科")
    page.get_by_role("button", name="加入").click()
    page.get_by_text("已加入，请等待主持人开始").wait_for()
    join(app, round_, "李四", enterprises[1])  # someone still thinking: the question stays open

    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    letter = right_letter(round_)
    page.reload()  # the question, whether or not the event stream has brought it yet
    button = page.locator("form.live-options button.live-button", has_text=letter).first
    button.wait_for()

    # The first POST reaches the server (the answer is stored) but its response never comes
    # back: the phone sees a network error. The second is held until the notice is checked.
    calls, held = [], []

    def lossy(route):
        calls.append(route.request.post_data)
        if len(calls) == 1:
            route.fetch()  # the server stores the answer…
            route.abort("connectionreset")  # …and the phone never hears of it
        else:
            held.append(route)

    page.route("**/answer", lossy)
    button.click()
    expect(page.locator(".live-retry")).to_contain_text("正在重试…")
    expect(page.locator("form.live-options button.live-button").first).to_be_disabled()
    assert stored(round_id) == [(1, letter)]
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1 and held[0].request.post_data == calls[0]  # the same answer again
    held[0].continue_()
    expect(page.locator(".live-done")).to_have_text(f"已提交：{letter}")
    expect(page.locator(".message.error")).to_have_count(0)  # not "本题您已作答"
    assert stored(round_id) == [(1, letter)]  # once


def test_an_answer_that_never_arrived_is_retried_until_it_does(  # noqa: F811
        app, organiser_client, enterprises, server, phone_page):
    page = phone_page
    round_ = create_round(organiser_client)
    round_id = round_.id
    page.goto(f"{server}/live/{round_.code}")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("单位").select_option(label=enterprises[1].name)
    page.get_by_label("部门").fill("运输车队")
    page.get_by_role("button", name="加入").click()
    page.get_by_text("已加入，请等待主持人开始").wait_for()
    join(app, round_, "王五", enterprises[2])
    control(organiser_client, round_, "start")
    db.session.refresh(round_)
    letter = right_letter(round_)
    page.reload()
    calls = []

    def flaky(route):
        calls.append(1)
        if len(calls) == 1:
            route.abort("internetdisconnected")
        elif len(calls) == 2:
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    page.route("**/answer", flaky)
    page.locator("form.live-options button.live-button", has_text=letter).first.click()
    expect(page.locator(".live-done")).to_have_text(f"已提交：{letter}", timeout=15_000)
    assert len(calls) == 3
    assert stored(round_id) == [(1, letter)]
