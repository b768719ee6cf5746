"""An online 6·16 round (直播答题) on a phone in real headless Chromium at 360×640: the question
arrives over the event stream when the live stream shows it, not when the host opens it."""
from __future__ import annotations

from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.models import LiveAnswer, LiveRound

from .test_live_pages import control, create_round, join
from .test_phone_browser import no_horizontal_scroll, phone_page, pytestmark, server  # noqa: F401 - fixtures


def test_the_phone_gets_the_question_when_the_stream_shows_it(app, server, phone_page, organiser_client,  # noqa: F811
                                                               enterprises, clock):
    # Round time ×10 (as the load tests run it): the 10 s stream delay is 1 s of real time, so
    # the open event stream wakes by itself at the phones' opening within about a second.
    app.config["LIVE_SPEED"] = 10.0
    round_ = create_round(organiser_client, stream_delay="10")
    join(app, round_, "李四", enterprises[0])  # someone else watching, still thinking
    page = phone_page
    page.goto(f"{server}/live/{round_.code}")
    page.fill("#name", "张三")
    page.select_option("#enterprise", label=enterprises[1].name)
    page.fill("#department", "仓储部")
    page.click("button:has-text('加入')")
    page.wait_for_selector("text=已加入，请等待主持人开始")
    page.wait_for_function("document.querySelector('[sse-connect]') && htmx")

    control(organiser_client, round_, "start")  # the stage shows question 1 now
    page.wait_for_selector("text=题目即将出现")
    assert page.locator(".live-button").count() == 0 and no_horizontal_scroll(page)
    question = live_rules.live_question(db.session.get(LiveRound, round_.id)).question
    assert question.stem[:8] not in page.inner_text("body")

    clock.advance(seconds=1)  # 10 s of round time: the stream shows the question
    page.wait_for_selector(".live-button")  # pushed by the stream waking up, no new version
    page.click(f".live-button[value='{question.answer}']")
    page.wait_for_selector(f"text=已提交：{question.answer}")
    saved = db.session.query(LiveAnswer).one()
    assert saved.response_ms == 0  # counted from the phones' opening, the delay left out
