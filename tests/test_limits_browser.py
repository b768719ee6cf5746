"""Over a limit in real Chromium at 360×640: htmx shows the 429 message in the page (its notice
line) and the sign-up form keeps what was typed."""
from __future__ import annotations

from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Attempt

from .conftest import Phone
from .test_phone_browser import phone_page, server  # noqa: F401 - fixtures


def test_a_refused_sign_up_says_when_to_retry_and_keeps_the_form(app, contest, enterprises, server, phone_page):  # noqa: F811
    app.config["RATELIMIT_SIGNUP_PER_ADDRESS"] = "1 per minute"
    first = Phone(app)  # a colleague on the same Wi-Fi (the same address) signed up just now
    assert first.sign_up(contest.code, enterprise=enterprises[0].id).status_code == 204

    page = phone_page
    page.goto(f"{server}/j/{contest.code}/{enterprises[0].code}")
    typed = {"姓名": "王五", "手机号或工号": "13900139000", "部门": "一车间"}
    for label, value in typed.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="开始答题").click()

    notice = page.locator("#notice")
    notice.get_by_text("操作太频繁").wait_for()
    assert "秒后再试" in notice.inner_text()
    assert notice.is_visible()
    # Nothing typed is lost, and nothing was stored.
    assert {label: page.get_by_label(label).input_value() for label in typed} == typed
    assert page.get_by_role("button", name="开始答题").is_visible()
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
