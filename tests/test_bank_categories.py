"""Issue 18C: categories that stay put (a managed list, mapped in the preview and with --map),
a preview that shows what will be stored (paged), and hostile files (size and time bounds,
previews purged after a day)."""
from __future__ import annotations

import io
import os
import re
import time
import zipfile

import openpyxl
from sqlalchemy import func, select

from question_bank.importers import TOO_COMPLEX, ZIP_BOMB, Limits, parse_file
from quiz.extensions import db
from quiz.models import Category, Question

from .conftest import HX, csrf_token

FIRE = "消防安全"


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def question_rows(n: int, category_header: str | None = None, value=lambda i: None) -> list[list]:
    header = ["题干", "选项A", "选项B", "选项C", "答案"] + ([category_header] if category_header else [])
    rows = [header]
    for i in range(1, n + 1):
        rows.append([f"第{i}号测试题：动火作业前应当（  ）", f"办理审批{i}", f"直接动火{i}", f"无需监护{i}", "A"]
                    + ([value(i)] if category_header else []))
    return rows


def category_count() -> int:
    return db.session.scalar(select(func.count(Category.id)))


def upload(client, name: str, body: bytes, category: str = ""):
    token = csrf_token(client, "/admin/questions/import")
    return client.post("/admin/questions/import", data={
        "file": (io.BytesIO(body), name), "category": category, "csrf_token": token},
        content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r"/admin/questions/import/([0-9a-f]{32})", html).group(1)


# ---- categories stay put ------------------------------------------------------------


def test_a_part_column_becomes_a_tag_and_the_chosen_category_is_kept(app, organiser_client):
    """作业种类 / 部分 columns used to override the form's category and create 第一部分…."""
    before = category_count()
    body = xlsx(question_rows(4, "作业种类", lambda i: f"第{'一二'[i % 2]}部分"))
    response = upload(organiser_client, "题库.xlsx", body, category=FIRE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "可导入 <strong>4</strong> 题" in html
    organiser_client.post(f"/admin/questions/import/{token_of(html)}",
                          data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    stored = db.session.scalars(select(Question).where(Question.source == "导入:题库.xlsx")).all()
    assert len(stored) == 4
    assert {q.category.name for q in stored} == {FIRE}
    assert {tuple(q.tags) for q in stored} == {("第一部分",), ("第二部分",)}
    assert category_count() == before


def test_a_typo_is_refused_with_the_closest_category_then_mapped(app, organiser_client):
    before = category_count()
    body = xlsx(question_rows(3, "分类", lambda i: "消防安" if i < 3 else FIRE))
    html = upload(organiser_client, "错字.xlsx", body).get_data(as_text=True)
    assert "可导入 <strong>1</strong> 题" in html and "拒绝 2 行" in html
    assert "分类“消防安”不在分类列表中，是否为“消防安全”？" in html
    token = token_of(html)
    # The organiser maps the value in the preview; nothing is created.
    mapped = organiser_client.post(f"/admin/questions/import/{token}/map", data={
        "value": ["消防安", FIRE], "target": [FIRE, FIRE],
        "csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    assert mapped.status_code == 303
    html = organiser_client.get(f"/admin/questions/import/{token}").get_data(as_text=True)
    assert "可导入 <strong>3</strong> 题" in html and "拒绝 0 行" in html
    organiser_client.post(f"/admin/questions/import/{token}",
                          data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    stored = db.session.scalars(select(Question).where(Question.source == "导入:错字.xlsx")).all()
    assert len(stored) == 3 and {q.category.name for q in stored} == {FIRE}
    assert category_count() == before


def test_a_new_category_is_created_only_on_purpose(app, organiser_client):
    before = category_count()
    body = xlsx(question_rows(2, "分类", lambda i: "有限空间作业"))
    html = upload(organiser_client, "新分类.xlsx", body).get_data(as_text=True)
    assert "拒绝 2 行" in html and category_count() == before
    token = token_of(html)
    organiser_client.post(f"/admin/questions/import/{token}/map", data={
        "value": "有限空间作业", "target": "+new",
        "csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    assert category_count() == before + 1
    html = organiser_client.get(f"/admin/questions/import/{token}").get_data(as_text=True)
    assert "可导入 <strong>2</strong> 题" in html


def test_the_form_only_offers_existing_categories(app, organiser_client):
    before = category_count()
    response = upload(organiser_client, "题库.xlsx", xlsx(question_rows(1)), category="消防安")
    assert response.status_code == 422
    assert "请从分类列表中选择" in response.get_data(as_text=True)
    assert category_count() == before


def test_the_categories_page(app, client, organiser_client):
    assert client.get("/admin/questions/categories").status_code in (302, 303, 401)
    page = organiser_client.get("/admin/questions/categories").get_data(as_text=True)
    assert FIRE in page
    token = csrf_token(organiser_client, "/admin/questions/categories")
    created = organiser_client.post("/admin/questions/categories", data={"name": " 有限空间 ", "csrf_token": token})
    assert created.status_code == 303
    assert db.session.scalar(select(Category).where(Category.name == "有限空间")) is not None
    again = organiser_client.post("/admin/questions/categories", data={"name": "有限空间", "csrf_token": token})
    assert again.status_code == 422 and "已存在" in again.get_data(as_text=True)
    empty = organiser_client.post("/admin/questions/categories", data={"name": "  ", "csrf_token": token})
    assert empty.status_code == 422 and "请填写分类名" in empty.get_data(as_text=True)


def test_cli_map_and_unknown_values(app, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx(question_rows(3, "分类", lambda i: "消防安" if i < 3 else FIRE)))
    runner = app.test_cli_runner()
    before = category_count()
    refused = runner.invoke(args=["bank", "import", str(path)])
    # Imports what it can, says what it refused and how to map it: exit 0.
    assert refused.exit_code == 0, refused.output
    assert "导入 1，跳过 0，拒绝 2" in refused.output
    assert "是否为“消防安全”" in refused.output and "--map 消防安=消防安全" in refused.output
    strict = runner.invoke(args=["bank", "import", str(path), "--strict"])
    assert strict.exit_code == 1 and "拒绝 2" in strict.output
    bad = runner.invoke(args=["bank", "import", str(path), "--map", "消防安=消防"])
    assert bad.exit_code == 2 and "是否为“消防安全”" in bad.output
    bad = runner.invoke(args=["bank", "import", str(path), "--category", "用电"])
    assert bad.exit_code == 2 and "是否为“用电安全”" in bad.output
    mapped = runner.invoke(args=["bank", "import", str(path), "--map", "消防安=消防安全"])
    assert mapped.exit_code == 0 and "导入 2，跳过 1，拒绝 0" in mapped.output
    assert category_count() == before


def test_cli_part_column_as_tag_with_the_default_category(app, tmp_path):
    path = tmp_path / "parts.xlsx"
    path.write_bytes(xlsx(question_rows(2, "部分", lambda i: "第三部分")))
    runner = app.test_cli_runner()
    without = runner.invoke(args=["bank", "import", str(path), "--dry-run"])
    assert "缺少分类" in without.output and "拒绝 2" in without.output
    result = runner.invoke(args=["bank", "import", str(path), "--category", "用电安全"])
    assert result.exit_code == 0 and "导入 2" in result.output
    stored = db.session.scalars(select(Question).where(Question.source == "导入:parts.xlsx")).all()
    assert {q.category.name for q in stored} == {"用电安全"} and stored[0].tags == ["第三部分"]


# ---- the preview shows what will be stored, paged ---------------------------------------


def test_preview_shows_stem_options_and_answer_paged(app, organiser_client):
    body = xlsx(question_rows(230))
    response = upload(organiser_client, "大.xlsx", body, category=FIRE)
    html = response.get_data(as_text=True)
    assert "第1号测试题：动火作业前应当（　）" in html
    assert "A. 办理审批1<br>B. 直接动火1<br>C. 无需监护1" in html
    assert "第101号测试题" not in html and "第 1 / 3 页" in html
    token = token_of(html)
    fragment = organiser_client.get(f"/admin/questions/import/{token}?page=2", headers=HX)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<h1>" not in text
    assert "第101号测试题" in text and "A. 办理审批150<br>" in text and "第200号测试题" in text
    assert "第 2 / 3 页" in text and "第1号测试题" not in text
    last = organiser_client.get(f"/admin/questions/import/{token}?page=99").get_data(as_text=True)
    assert "第230号测试题" in last and "第 3 / 3 页" in last


# ---- hostile files -----------------------------------------------------------------------


def many_sheets(count: int, size: int, compressible: bool) -> bytes:
    """An .xlsx-shaped zip of many sheets, each under the 1 MiB per-member check."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for i in range(count):
            body = b"<row/>" * (size // 6) if compressible else os.urandom(size)
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", body)
    return out.getvalue()


def test_the_total_uncompressed_size_is_bounded():
    # Each member is small and passes the per-member ratio check; together they are a bomb.
    result = parse_file("bomb.xlsx", many_sheets(40, 512 * 1024, compressible=True))
    assert result.rows == [] and result.errors == [ZIP_BOMB]
    # Incompressible members: the sum over all members is bounded too.
    result = parse_file("big.xlsx", many_sheets(12, 100 * 1024, compressible=False),
                        Limits(max_uncompressed=1024 * 1024))
    assert result.rows == [] and result.errors == [ZIP_BOMB]
    assert Limits().max_uncompressed < 190 * 1024 * 1024  # 190 sheets × 1 MB no longer pass


class Ticking:
    """A clock that advances one second every time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_parsing_stops_at_the_deadline():
    body = xlsx(question_rows(50))
    assert len(parse_file("ok.xlsx", body).rows) == 50
    result = parse_file("slow.xlsx", body, Limits(max_seconds=10, clock=Ticking()))
    assert result.rows == [] and result.errors == [TOO_COMPLEX]
    assert TOO_COMPLEX.startswith("文件过大或过于复杂")
    text = "\n".join(",".join(map(str, r)) for r in question_rows(50)).encode()
    result = parse_file("slow.csv", text, Limits(max_seconds=10, clock=Ticking()))
    assert result.errors == [TOO_COMPLEX]
    # Plenty of time: nothing changes.
    assert len(parse_file("ok.csv", text, Limits(max_seconds=1000, clock=Ticking())).rows) == 50


def test_a_file_over_the_deadline_is_a_clear_message_on_the_page(app, organiser_client, monkeypatch):
    from quiz.bank import files

    monkeypatch.setattr(files, "limits", lambda max_bytes: Limits(max_bytes=max_bytes, max_seconds=5,
                                                                  clock=Ticking()))
    before = db.session.scalar(select(func.count(Question.id)))
    response = upload(organiser_client, "慢.xlsx", xlsx(question_rows(30)), category=FIRE)
    assert response.status_code == 422 and "文件过大或过于复杂" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Question.id))) == before


def test_previews_never_confirmed_are_removed_after_a_day(app, organiser_client):
    html = upload(organiser_client, "旧.xlsx", xlsx(question_rows(2)), category=FIRE).get_data(as_text=True)
    old = token_of(html)
    folder = os.path.join(app.instance_path, "imports")
    stale = time.time() - 25 * 3600
    for name in os.listdir(folder):
        if old in name:
            os.utime(os.path.join(folder, name), (stale, stale))
    assert organiser_client.get(f"/admin/questions/import/{old}").status_code == 200
    upload(organiser_client, "新.xlsx", xlsx(question_rows(2)), category=FIRE)
    assert not [name for name in os.listdir(folder) if old in name]
    assert organiser_client.get(f"/admin/questions/import/{old}").status_code == 404


def test_the_default_category_can_be_chosen_in_the_preview(app, organiser_client):
    body = xlsx(question_rows(2, "作业种类", lambda i: "焊接与热切割作业"))
    html = upload(organiser_client, "作业.xlsx", body).get_data(as_text=True)
    assert "缺少分类" in html and "拒绝 2 行" in html
    token = token_of(html)
    organiser_client.post(f"/admin/questions/import/{token}/map", data={
        "default": "用电安全", "csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    html = organiser_client.get(f"/admin/questions/import/{token}").get_data(as_text=True)
    assert "可导入 <strong>2</strong> 题" in html and "焊接与热切割作业" in html
    organiser_client.post(f"/admin/questions/import/{token}",
                          data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    stored = db.session.scalars(select(Question).where(Question.source == "导入:作业.xlsx")).all()
    assert {q.category.name for q in stored} == {"用电安全"}
    assert {tuple(q.tags) for q in stored} == {("焊接与热切割作业",)}
