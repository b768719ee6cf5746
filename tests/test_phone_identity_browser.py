"""Issue 15 in real headless Chromium at 360×640: a 名单 contest refusing a wrong name, the
续答码 moving an attempt to a second phone, and the unit list's search box."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Attempt, Department, Participant

from .conftest import make_contest, make_enterprise
from .test_contest_identity import roster
from .test_phone_browser import (  # noqa: F401  (fixtures and the skip mark)
    WECHAT_ANDROID, no_horizontal_scroll, phone_page, pytestmark, server, tick_an_answer,
)


def sign_up(page, name, identifier, unit=None, department="安全环保部"):
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号或工号").fill(identifier)
    if unit:
        page.locator("#enterprise").select_option(label=unit)
    page.get_by_label("部门").fill(department)
    page.get_by_role("button", name="开始答题").click()


def second_phone(page):
    """Another phone: a browser context of its own (its own cookies, so its own session)."""
    context = page.context.browser.new_context(
        viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
        device_scale_factor=2, user_agent=WECHAT_ANDROID, locale="zh-CN")
    other = context.new_page()
    other.set_default_timeout(10_000)
    return other


def test_roster_contest_refuses_a_wrong_name_then_admits_the_right_one(enterprises, server, phone_page):
    roster(enterprises[0], ("张三", "HG1001", "13800138000", "安全环保部"))
    contest = make_contest(code="ROSTER", identity_mode="roster")
    page = phone_page
    page.goto(f"{server}/j/{contest.code}")
    assert page.get_by_text("本竞赛仅限本单位花名册人员参加").is_visible()
    sign_up(page, "李四", "HG1001", unit=enterprises[0].name)
    page.get_by_text("名单中没有找到你，请核对姓名和工号，或联系本单位管理员").wait_for()
    assert no_horizontal_scroll(page)
    assert db.session.scalar(select(func.count(Participant.id))) == 0
    assert db.session.scalar(select(func.count(Attempt.id))) == 0
    # The form is still there as typed: only the name needs correcting.
    assert page.get_by_label("手机号或工号").input_value() == "HG1001"
    page.get_by_label("姓名").fill("张三")
    page.get_by_role("button", name="开始答题").click()
    page.get_by_text("第 1/5 题").wait_for()
    person = db.session.scalars(select(Participant)).one()
    assert person.name == "张三" and person.roster_person_id is not None


def test_resume_code_moves_the_attempt_to_a_second_phone(contest, enterprises, server, phone_page):
    first = phone_page
    first.goto(f"{server}/j/{contest.code}/{enterprises[0].code}")
    sign_up(first, "张三", "13800138000")
    first.get_by_text("第 1/5 题").wait_for()
    tick_an_answer(first)
    chosen = first.locator("input[name=choice]:checked").first.get_attribute("value")
    first.get_by_role("button", name="下一题").click()
    first.get_by_text("第 2/5 题").wait_for()
    shown = first.locator(".resume-code").inner_text()
    code = re.search(r"续答码 (\d{6})（换手机时使用）", shown).group(1)

    second = second_phone(first)
    second.goto(f"{server}/j/{contest.code}/{enterprises[0].code}")
    sign_up(second, "张三", "13800138000")
    second.get_by_text("该身份已在另一台手机上答题。如需换手机继续，请输入原手机上显示的6位续答码").wait_for()
    assert no_horizontal_scroll(second)
    assert "第 1/5 题" not in second.content()
    second.get_by_label("续答码").fill(code)
    second.get_by_role("button", name="换到本机继续").click()
    second.get_by_text("第 2/5 题").wait_for()  # where the first phone left off
    second.locator("nav.dots a", has_text="1").first.click()
    second.get_by_text("第 1/5 题").wait_for()
    assert second.locator("input[name=choice]:checked").first.get_attribute("value") == chosen
    assert code not in second.locator(".resume-code").inner_text()  # a new code on the new phone

    # The first phone has lost it: its next answer is refused.
    tick_an_answer(first)
    first.get_by_role("button", name="下一题").click()
    first.get_by_text("这不是您的答卷").wait_for()
    attempt = db.session.scalars(select(Attempt)).one()
    assert attempt.submitted_at is None


def test_unit_search_filters_hundreds_of_units(app, server, phone_page):
    for i in range(300):
        make_enterprise(f"第{i:03d}号机械制造有限公司", f"M{i:03d}")
    target = make_enterprise("安达物流股份有限公司", "WL02")
    db.session.add(Department(enterprise_id=target.id, name="运输车队"))
    db.session.commit()
    contest = make_contest(code="UNITS1")
    page = phone_page
    page.goto(f"{server}/j/{contest.code}")
    select_ = page.locator("#enterprise")
    assert select_.input_value() == "" and select_.locator("option").count() == 302
    search = page.get_by_role("searchbox", name="按名称查找")
    assert search.is_visible() and no_horizontal_scroll(page)
    search.press_sequentially("机械制造")
    assert select_.locator("option").count() == 301
    search.fill("")
    search.press_sequentially("安达")
    page.wait_for_function("() => document.querySelectorAll('#enterprise option').length === 2")
    assert select_.input_value() == str(target.id)  # the only match is chosen
    # …and its departments are offered, as if chosen from the list.
    page.wait_for_function("() => document.querySelector('#departments option[value=\"运输车队\"]') !== null")
    search.fill("")
    search.press_sequentially("没有这家")
    assert select_.locator("option").count() == 1 and "没有找到该单位" in select_.inner_text()
    assert no_horizontal_scroll(page)
    search.fill("")
    search.press_sequentially("第299号")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("手机号或工号").fill("13900139000")
    page.get_by_label("部门").fill("一车间")
    page.get_by_role("button", name="开始答题").click()
    page.get_by_text("第 1/5 题").wait_for()
    assert db.session.scalars(select(Participant)).one().enterprise.name == "第299号机械制造有限公司"
