"""The public board and the 错题本 on a phone: real Chromium at 360×640 with WeChat's user agent."""
from __future__ import annotations

from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Participant, Question

from .conftest import make_enterprise
from .test_participant_journey import answer_all
from .test_phone_browser import (  # noqa: F401  (fixtures)
    CHROMIUM, WECHAT_ANDROID, no_horizontal_scroll, phone_page, pytestmark, server,
)


def _inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_public_board_shows_score_and_time_at_360_px(contest, enterprises, new_phone, server, phone_page,
                                                          clock):
    long_name = make_enterprise("国家能源投资集团有限责任公司华北区域煤炭运输分公司", "NY09", 20)
    db.session.commit()
    people = [("张三", enterprises[0], "安全环保部"), ("欧阳娜娜", long_name, "煤炭运输与装卸作业第二车间"),
              ("李四", enterprises[1], "运输车队")]
    for number, (name, enterprise, department) in enumerate(people):
        phone = new_phone()
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, name=name, identifier=f"1380013800{number}",
                                                    enterprise=enterprise.id, department=department))
        answer_all(phone, attempt_id, right=number != 2)
        clock.advance(seconds=47 + number * 61)
        assert phone.post(f"/a/{attempt_id}/submit").status_code in (200, 204, 303)

    page = phone_page
    page.goto(f"{server}/j/{contest.code}/board")
    page.get_by_role("heading", name="个人排名").wait_for()
    assert no_horizontal_scroll(page)
    rows = page.locator("#tables .people li, #tables .people tbody tr")
    assert rows.count() == 3
    for index in range(3):
        row = rows.nth(index)
        score, time = row.locator(".score"), row.locator(".time")
        assert score.is_visible() and time.is_visible()
        assert _inside_viewport(page, score) and _inside_viewport(page, time)
        assert _inside_viewport(page, row)
    first = rows.nth(0).inner_text()
    assert "张三" in first and "50" in first and "示范化工有限公司" in first
    assert "欧阳娜娜" in rows.nth(1).inner_text() and "煤炭运输与装卸作业第二车间" in rows.nth(1).inner_text()
    # The enterprises' table fits as well: name, participation and average in view.
    units = page.locator("#tables .units li, #tables .units tbody tr")
    assert units.count() >= 3
    for index in range(units.count()):
        assert _inside_viewport(page, units.nth(index))
        assert _inside_viewport(page, units.nth(index).locator(".average"))


def test_the_mistake_book_has_a_heading_a_count_and_a_list(enterprises, server, phone_page, clock):
    from quiz.training import mistakes

    page = phone_page
    # Signed out: the sign-up form, not a red dead end.
    page.goto(f"{server}/practice/mistakes")
    assert page.locator(".message.error").count() == 0
    assert "登记后即可查看错题本" in page.inner_text("#signup")
    page.get_by_label("姓名").fill("赵六")
    page.get_by_label("手机号或工号").fill("13700137000")
    page.get_by_label("单位").select_option(label=enterprises[0].name)
    page.get_by_label("部门").fill("仓储部")
    page.get_by_role("button", name="开始练习").click()
    # Signed up: straight back to the (empty) 错题本.
    page.get_by_role("heading", name="错题本").wait_for()
    assert "/practice/mistakes" in page.url
    assert "0 题" in page.inner_text("#mistakes")
    assert no_horizontal_scroll(page)

    participant = db.session.scalars(select(Participant).where(Participant.name == "赵六")).one()
    questions = list(db.session.scalars(select(Question).where(Question.current.is_(True))
                                        .order_by(Question.id).limit(3)))
    for question in questions:
        mistakes.record(participant.id, question.uid, False, clock.now())
        clock.advance(seconds=60)
    mistakes.record(participant.id, questions[0].uid, False, clock.now())
    db.session.commit()

    page.reload()
    page.get_by_role("heading", name="错题本").wait_for()
    assert "共 3 题" in page.inner_text("#mistakes")
    items = page.locator("#mistakes li.mistake")
    assert items.count() == 3
    text = page.inner_text("#mistakes")
    assert all(q.stem[:12] in text for q in questions)
    assert "答错 2 次" in text
    assert no_horizontal_scroll(page)
    for index in range(3):
        assert _inside_viewport(page, items.nth(index))
    # From the list to practising them, one at a time.
    page.get_by_role("link", name="开始练习错题").click()
    page.locator("form.question").wait_for()
    assert no_horizontal_scroll(page)
