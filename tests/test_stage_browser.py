"""The stage contest in real headless Chromium: a buzzer phone at 360×640 and the projector
at 1920×1080. A press on the phone → the stage shows the team first, once the window is over."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Question
from quiz.stagecontest import rules

from .conftest import START, make_organiser
from .test_phone_browser import CHROMIUM, WECHAT_ANDROID, no_horizontal_scroll, playwright_api, server  # noqa: F401

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def screens(server):  # noqa: F811
    """(a phone at 360×640, a projector at 1920×1080), each with its own cookies."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                    device_scale_factor=2, user_agent=WECHAT_ANDROID, locale="zh-CN").new_page()
        projector = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        for page in (phone, projector):
            page.set_default_timeout(10_000)
        yield phone, projector
        browser.close()


def test_press_on_the_phone_puts_the_team_first_on_the_stage(app, server, screens, clock):  # noqa: F811
    phone, page = screens
    host = make_organiser()
    contest = rules.create_contest(host.id, "6·16 现场赛决赛", START)
    first = rules.add_team(contest, "示范化工代表队", "示范化工有限公司", "张三、李四、王五")
    rules.add_team(contest, "安达物流代表队", "安达物流股份有限公司", "赵六、钱七")
    question = db.session.scalar(select(Question).where(Question.current.is_(True)).order_by(Question.id))
    db.session.commit()
    from quiz.stagecontest.routes import buzzer_token

    with app.test_request_context():
        link = f"{server}/stage/b/{buzzer_token(first)}"

    page.goto(f"{server}/admin/login")
    page.fill("input[name=username]", "organiser")
    page.fill("input[name=password]", "correct horse 1")
    page.locator("form button").last.click()
    page.wait_for_url("**/admin**")
    page.goto(f"{server}/admin/stage/{contest.id}/screen")
    page.locator("#score-board").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= 1920")

    phone.goto(link)
    phone.locator("#buzz").wait_for()
    assert phone.locator(".buzzer[data-state=idle]").count() == 1
    assert no_horizontal_scroll(phone)

    # The host asks a 抢答 question and unlocks: the phone's button turns on by itself (SSE).
    rules.ask(contest, "buzz", question, clock.now())
    db.session.commit()
    phone.locator(".buzzer[data-state=locked]").wait_for()
    page.get_by_text("抢答器未解锁").wait_for()
    rules.unlock(contest, clock.now())
    db.session.commit()
    phone.locator(".buzzer[data-state=open]").wait_for()
    box = phone.locator("#buzz").bounding_box()
    assert box["width"] >= 280 and box["y"] + box["height"] <= 640  # one huge button, in view

    phone.locator("#buzz").click()
    phone.locator(".buzzer[data-state=pressed]").wait_for()
    page.get_by_text("已有抢答").wait_for()  # inside the window: no order yet
    clock.advance(0.3)
    page.locator("#buzz-order").wait_for()
    assert page.locator("#buzz-order li").first.locator("b").inner_text() == "示范化工代表队"
    phone.get_by_text("第 1 位").wait_for()
    assert page.evaluate("document.documentElement.scrollHeight <= 1080")
    assert no_horizontal_scroll(phone)
