"""Writing a question in the bank pages: the import's rules and messages, the 依据 checked
against the statute library, nothing stored on a mistake (and nothing typed lost), a good one
stored as version 1 of a new uid, and a preview as the phone will show it. Organisers only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Category, Question

from .conftest import HX, csrf_token, staff_client

NEW = "/admin/questions/new"
PREVIEW = "/admin/questions/new/preview"
STEM = "动火作业前，作业现场应当配备（　）。"


def form(client, **changes) -> dict:
    category = db.session.scalar(select(Category).order_by(Category.position))
    data = {
        "category": category.id, "qtype": "单选", "stem": STEM,
        "options": "A. 灭火器材\n安全带\n防毒面具", "answer": "A",
        "explanation": "动火作业现场应配备足够的灭火器材。", "difficulty": "2", "tags": "动火，灭火器",
        "basis": "", "csrf_token": csrf_token(client, NEW),
    }
    data.update(changes)
    return data


def questions() -> int:
    return db.session.scalar(select(func.count(Question.id)))


def test_only_organisers_write_questions(app, client, enterprises):
    assert client.get(NEW).status_code == 302
    admin = staff_client(app, "hg-admin", enterprise=enterprises[0])
    assert admin.get(NEW).status_code == 403
    token = csrf_token(admin, "/admin/contests/")
    before = questions()
    for path in (NEW, PREVIEW):
        assert admin.post(path, data={"stem": STEM, "csrf_token": token}).status_code == 403
    assert questions() == before


def test_the_bank_offers_a_new_question(organiser_client):
    assert "/admin/questions/new" in organiser_client.get("/admin/questions/").get_data(as_text=True)
    page = organiser_client.get(NEW)
    assert page.status_code == 200 and "新建题目" in page.get_data(as_text=True)


BAD = [
    (dict(stem=""), "请填写题干"),
    (dict(explanation=""), "请填写解析"),
    (dict(answer=""), "请填写答案"),
    (dict(category="0"), "请选择分类"),
    (dict(answer="AB"), "单选题只能有一个答案"),
    (dict(answer="E"), "答案 E 不在选项中"),
    (dict(answer="甲乙?"), "无法识别"),
    (dict(options="灭火器材"), "至少需要两个选项"),
    (dict(options="\n".join(f"选项{i}" for i in range(9))), "选项最多 8 个"),
    (dict(qtype="多选", answer="A"), "多选题至少需要两个正确答案"),
    (dict(qtype="判断", options="", answer="也许"), "判断题答案「也许」无法识别"),
    (dict(qtype="判断", options="甲\n乙", answer="正确"), "判断题的选项只能是 正确/错误"),
    (dict(basis="安全生产法 第九百九十九条"), "《安全生产法》没有第九百九十九条"),
    (dict(basis="随便写的依据"), "依据格式应为"),
    (dict(basis="不存在的法 第五条"), "依据中的法规不在法规库中"),
]


@pytest.mark.parametrize("changes, message", BAD, ids=[m for _, m in BAD])
def test_each_mistake_is_named_and_nothing_is_stored(organiser_client, changes, message):
    before = questions()
    data = form(organiser_client, **changes)
    response = organiser_client.post(NEW, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert questions() == before
    if data["stem"]:
        assert data["stem"] in page  # what was typed stays in the form


def test_a_question_already_in_the_bank_is_a_duplicate(organiser_client):
    """The same question is the same stem, type and options; the same stem with other options
    is another question (issue 18)."""
    existing = db.session.scalar(select(Question).where(Question.current.is_(True), Question.qtype == "single")
                                 .order_by(Question.id))
    before = questions()
    response = organiser_client.post(NEW, data=form(
        organiser_client, stem=existing.stem + " ", options="\n".join(existing.options),
        answer=existing.answer))
    assert response.status_code == 422 and f"与题库中已有题目重复（编号 {existing.uid}）" in response.get_data(as_text=True)
    assert questions() == before
    other = organiser_client.post(NEW, data=form(organiser_client, stem=existing.stem))
    assert other.status_code == 303 and questions() == before + 1


def test_a_good_question_is_stored_and_found(organiser_client):
    before = questions()
    response = organiser_client.post(NEW, data=form(organiser_client, basis="《安全生产法》第五条"))
    assert response.status_code == 303
    saved = db.session.scalar(select(Question).where(Question.stem == STEM))
    assert questions() == before + 1
    assert saved.version == 1 and saved.current and saved.active and saved.uid.startswith("web-")
    assert db.session.scalar(select(func.count()).where(Question.uid == saved.uid)) == 1
    assert (saved.qtype, saved.options, saved.answer) == ("single", ["灭火器材", "安全带", "防毒面具"], "A")
    assert saved.basis == "安全生产法 第五条" and saved.difficulty == 2 and saved.tags == ["动火", "灭火器"]
    assert response.headers["Location"] == f"/admin/questions/{saved.id}"
    found = organiser_client.get("/admin/questions/?q=动火作业前").get_data(as_text=True)
    assert STEM in found and saved.uid in found
    # Written once: the same stem again is a duplicate.
    assert organiser_client.post(NEW, data=form(organiser_client)).status_code == 422


def test_judge_and_multi_questions(organiser_client):
    assert organiser_client.post(NEW, data=form(
        organiser_client, qtype="判断", stem="进入有限空间作业前应先通风、再检测。", options="", answer="对")).status_code == 303
    assert organiser_client.post(NEW, data=form(
        organiser_client, qtype="多选", stem="下列属于个人防护用品的有（　）。", options="安全帽\n安全带\n灭火器",
        answer="A、B")).status_code == 303
    judge = db.session.scalar(select(Question).where(Question.stem == "进入有限空间作业前应先通风、再检测。"))
    multi = db.session.scalar(select(Question).where(Question.stem == "下列属于个人防护用品的有（　）。"))
    assert (judge.qtype, judge.options, judge.answer) == ("judge", ["正确", "错误"], "A")
    assert (multi.qtype, multi.answer) == ("multi", "AB")


def test_preview_shows_the_phone_and_stores_nothing(organiser_client):
    before = questions()
    data = form(organiser_client, stem="<script>alert(1)</script>动火前应配备什么？", basis="安全生产法 第五条")
    response = organiser_client.post(PREVIEW, data=data, headers={**HX, "X-CSRFToken": data["csrf_token"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "单选题" in page and "<b>A</b> 灭火器材" in page and "<b>C</b> 防毒面具" in page
    assert 'class="option"' in page and "正确答案" in page and "安全生产法" in page
    assert "<html" not in page  # a fragment for htmx
    assert questions() == before
    # Without htmx, the whole page with the form kept and the preview under it.
    full = organiser_client.post(PREVIEW, data=data).get_data(as_text=True)
    assert "<html" in full and "&lt;script&gt;alert(1)" in full and "<b>B</b> 安全带" in full
    # A mistake: the preview names it.
    bad = organiser_client.post(PREVIEW, data=form(organiser_client, answer="Z"),
                                headers={**HX, "X-CSRFToken": data["csrf_token"]})
    assert bad.status_code == 422 and "答案 Z 不在选项中" in bad.get_data(as_text=True)
    assert questions() == before
