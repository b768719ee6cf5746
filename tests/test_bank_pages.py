"""The organiser's bank pages: browse, filter, edit by version, retire, figures; import and export."""
from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import func, select

from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion, Category, Question

from .conftest import HX, csrf_token, make_contest, question_of, shown_letters_for


def first(qtype="single", **where) -> Question:
    query = select(Question).where(Question.qtype == qtype, Question.current.is_(True))
    for key, value in where.items():
        query = query.where(getattr(Question, key) == value)
    return db.session.scalars(query.order_by(Question.id)).first()


def edit_form(client, question: Question, **changes) -> dict:
    data = {
        "category": question.category_id,
        "qtype": {"single": "单选", "multi": "多选", "judge": "判断"}[question.qtype],
        "stem": question.stem,
        "options": "\n".join(question.options) if question.qtype != "judge" else "",
        "answer": question.answer_label,
        "explanation": question.explanation,
        "difficulty": question.difficulty,
        "tags": ",".join(question.tags),
        "basis": question.basis or "",
        "csrf_token": csrf_token(client, f"/admin/questions/{question.id}/edit"),
    }
    data.update(changes)
    return data


def test_bank_pages_require_an_organiser(app, client):
    question = first()
    for path in ("/admin/questions/", f"/admin/questions/{question.id}",
                 f"/admin/questions/{question.id}/edit", "/admin/questions/import",
                 "/admin/questions/export.xlsx", "/admin/questions/template.xlsx"):
        assert client.get(path).status_code == 302, path


def test_browse_search_and_filter(app, organiser_client):
    html = organiser_client.get("/admin/questions/").get_data(as_text=True)
    total = db.session.scalar(select(func.count(Question.id)))
    assert f"共 {total} 题" in html
    question = first("multi")
    word = question.stem[2:8]
    fragment = organiser_client.get(f"/admin/questions/?q={word}", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and question.uid in text and "HX-Request" in fragment.headers["Vary"]
    filtered = organiser_client.get(
        f"/admin/questions/?type=judge&category={question.category_id}&difficulty=1").get_data(as_text=True)
    expected = db.session.scalar(select(func.count(Question.id)).where(
        Question.qtype == "judge", Question.category_id == question.category_id, Question.difficulty == 1))
    assert f"共 {expected} 题" in filtered
    tag = question.tags[0]
    tagged = organiser_client.get(f"/admin/questions/?tag={tag}").get_data(as_text=True)
    assert question.uid in tagged
    assert "共 0 题" in organiser_client.get("/admin/questions/?source=nowhere").get_data(as_text=True)
    # Odd input never breaks the page.
    assert organiser_client.get("/admin/questions/?difficulty=x&page=-3&status=zzz&q=%25_").status_code == 200


def test_edit_an_unanswered_question_in_place(app, organiser_client):
    question = first()
    data = edit_form(organiser_client, question, stem=question.stem + "（改）", tags="新标签, 另一个")
    response = organiser_client.post(f"/admin/questions/{question.id}/edit", data=data)
    assert response.status_code == 303
    db.session.refresh(question)
    assert question.stem.endswith("（改）") and question.version == 1 and question.tags == ["新标签", "另一个"]
    assert db.session.scalar(select(func.count(Question.id)).where(Question.uid == question.uid)) == 1


def test_edit_errors_are_clear_and_change_nothing(app, organiser_client):
    question = first()
    before = question.answer
    for changes, message in (
        ({"answer": "E"}, "答案 E 不在选项中"),
        ({"answer": "AB"}, "单选题只能有一个答案"),
        ({"options": "只有一个"}, "选择题应有 3 到 8 个非空选项"),
        ({"basis": "安全生产法 第九百条"}, "《安全生产法》没有第九百条"),
        ({"explanation": ""}, "请填写解析"),
    ):
        response = organiser_client.post(f"/admin/questions/{question.id}/edit",
                                         data=edit_form(organiser_client, question, **changes))
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    db.session.refresh(question)
    assert question.answer == before


def test_an_answered_question_is_versioned_and_results_keep_what_was_asked(
        contest, enterprises, organiser_client, phone):
    from .test_participant_journey import answer_all

    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    phone.post(f"/a/{attempt_id}/submit")
    asked = question_of(attempt_id, 1).question
    old_stem, old_id = asked.stem, asked.id
    data = edit_form(organiser_client, asked, stem="修改后的题干（　）。")
    response = organiser_client.post(f"/admin/questions/{asked.id}/edit", data=data)
    assert response.status_code == 303
    new = db.session.scalars(select(Question).where(Question.uid == asked.uid, Question.current.is_(True))).one()
    assert new.id != old_id and new.version == 2 and new.stem == "修改后的题干（　）。"
    assert "第 2 版" in organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    old = db.session.get(Question, old_id)
    assert old.stem == old_stem and not old.current
    # The result still shows the question as it was asked, and the score is unchanged.
    result = phone.get(f"/a/{attempt_id}/result").get_data(as_text=True)
    result = re.sub(r'</?strong[^>]*>', "", result)  # negative words (不得…) are shown bold
    assert old_stem in result and "修改后的题干" not in result
    assert db.session.get(Attempt, attempt_id).score == 50
    # Editing the old version's URL leads to the current one.
    assert organiser_client.get(f"/admin/questions/{old_id}/edit").headers["Location"].endswith(
        f"/admin/questions/{new.id}/edit")


def test_retired_questions_are_never_drawn(app, enterprises, organiser_client, new_phone):
    category = db.session.scalars(select(Category).order_by(Category.position)).first()
    questions = db.session.scalars(select(Question).where(Question.category_id == category.id)).all()
    retired = questions[0]
    token = csrf_token(organiser_client, f"/admin/questions/{retired.id}")
    assert organiser_client.post(f"/admin/questions/{retired.id}/retire",
                                 data={"csrf_token": token}).status_code == 303
    contest = make_contest(question_count=len(questions) - 1, categories=[category])
    phone = new_phone()
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    drawn = db.session.scalars(select(AttemptQuestion.question_id).where(AttemptQuestion.attempt_id == attempt_id)).all()
    assert retired.id not in drawn and len(drawn) == len(questions) - 1
    listing = organiser_client.get("/admin/questions/?status=retired").get_data(as_text=True)
    assert "共 1 题" in listing and retired.uid in listing
    organiser_client.post(f"/admin/questions/{retired.id}/restore", data={"csrf_token": token})
    db.session.refresh(retired)
    assert retired.active


def test_item_figures_per_question(contest, enterprises, organiser_client, new_phone):
    for number, right in (("13800000001", True), ("13800000002", False)):
        phone = new_phone()
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, identifier=number, enterprise=enterprises[0].id))
        item = question_of(attempt_id, 1)
        contest_question = item.question
        answer = contest_question.answer if right else ("B" if contest_question.answer == "A" else "A")
        if contest_question.qtype == "multi" and not right:
            answer = "AB" if contest_question.answer != "AB" else "AC"
        phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": shown_letters_for(item, answer)})
    ids = {question_of(a, 1).question_id for a in db.session.scalars(select(Attempt.id))}
    for question_id in ids:
        html = organiser_client.get(f"/admin/questions/{question_id}").get_data(as_text=True)
        figures = re.findall(r"<td>(\d+)</td><td>(\d+)</td><td>([^<]+)</td>", html)
        answered = db.session.scalar(select(func.count(AttemptQuestion.id)).where(
            AttemptQuestion.question_id == question_id, AttemptQuestion.chosen.is_not(None)))
        right = db.session.scalar(select(func.count(AttemptQuestion.id)).where(
            AttemptQuestion.question_id == question_id, AttemptQuestion.is_correct.is_(True)))
        assert figures[0][:2] == (str(answered), str(right))


def test_bank_load_versions_an_answered_question(contest, enterprises, phone, app):
    from question_bank.loader import load_bank, read_bank

    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    phone.post(f"/a/{attempt_id}/answer", {"position": 1, "choice": shown_letters_for(item, item.question.answer)})
    files, _ = read_bank()
    uid = item.question.uid
    for bank_file in files:
        for q in bank_file.questions:
            if q.uid == uid:
                q.explanation += "（修订）"
    counts = load_bank(db.session, files)
    db.session.commit()
    assert counts["updated"] == 1
    rows = db.session.scalars(select(Question).where(Question.uid == uid).order_by(Question.version)).all()
    assert [(r.version, r.current) for r in rows] == [(1, False), (2, True)]
    assert rows[1].explanation.endswith("（修订）") and not rows[0].explanation.endswith("（修订）")


# ---- import and export ---------------------------------------------------------

def new_category(name: str = "导入测试") -> Category:
    """Categories are a managed list: an import never creates one, the organiser does."""
    category = Category(name=name, position=99)
    db.session.add(category)
    db.session.commit()
    return category


def upload(client, name: str, body: bytes, category: str = ""):
    token = csrf_token(client, "/admin/questions/import")
    return client.post("/admin/questions/import", data={
        "file": (io.BytesIO(body), name), "category": category, "csrf_token": token},
        content_type="multipart/form-data")


PAPER = """一、单选题
1. 生产经营单位的从业人员有权拒绝（  ）。
A. 违章指挥  B. 加班
C. 培训  D. 体检
答案：A
解析：《安全生产法》第五十四条。
2. 发现直接危及人身安全的紧急情况时，从业人员有权（  ）。
A. 继续作业  B. 停止作业或者在采取可能的应急措施后撤离作业场所
C. 等待领导指示  D. 关闭手机
答案：E
"""


def test_import_preview_then_confirm(app, organiser_client):
    new_category()
    response = upload(organiser_client, "试卷.txt", PAPER.encode("utf-8"), category="导入测试")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "可导入 <strong>1</strong> 题" in html and "拒绝 1 行" in html
    assert "答案 E 不在选项中" in html
    before = db.session.scalar(select(func.count(Question.id)))
    assert before == db.session.scalar(select(func.count(Question.id)))  # preview stores nothing
    token = re.search(r'/admin/questions/import/([0-9a-f]{32})', html).group(1)
    confirm = organiser_client.post(f"/admin/questions/import/{token}",
                                    data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    assert confirm.status_code == 303
    imported = db.session.scalars(select(Question).where(Question.source == "导入:试卷.txt")).one()
    assert imported.category.name == "导入测试" and imported.answer == "A"
    assert imported.options[0] == "违章指挥"
    # The same token cannot import twice; the same file now reports a duplicate.
    again = organiser_client.post(f"/admin/questions/import/{token}",
                                  data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    assert again.status_code == 404
    html = upload(organiser_client, "试卷.txt", PAPER.encode("utf-8"), category="导入测试").get_data(as_text=True)
    assert "与题库中已有题目重复" in html


def test_hostile_uploads_get_clear_messages(app, organiser_client):
    before = db.session.scalar(select(func.count(Question.id)))
    response = upload(organiser_client, "bank.xlsx", b"this is not a zip file at all")
    assert response.status_code == 422 and "不是有效的 Excel" in response.get_data(as_text=True)
    response = upload(organiser_client, "bank.csv", "题干,答案\n".encode("utf-16"))
    assert response.status_code == 422
    response = upload(organiser_client, "empty.txt", b"")
    assert response.status_code == 422
    token = csrf_token(organiser_client, "/admin/questions/import")
    response = organiser_client.post("/admin/questions/import", data={"csrf_token": token})
    assert response.status_code == 422 and "请选择要导入的文件" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.config["IMPORT_MAX_BYTES"] = 1024
    response = upload(organiser_client, "big.txt", b"x" * 5000)
    assert response.status_code == 413 and "上传的文件太大" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Question.id))) == before


def test_import_token_of_another_organiser_is_refused(app, organiser_client):
    from .conftest import make_organiser

    new_category()
    html = upload(organiser_client, "试卷.txt", PAPER.encode("utf-8"), category="导入测试").get_data(as_text=True)
    token = re.search(r'/admin/questions/import/([0-9a-f]{32})', html).group(1)
    make_organiser("other", "another pass 2")
    other = app.test_client()
    other.post("/admin/login", data={"username": "other", "password": "another pass 2",
                                     "csrf_token": csrf_token(other, "/admin/login")})
    response = other.post(f"/admin/questions/import/{token}",
                          data={"csrf_token": csrf_token(other, "/admin/questions/")})
    assert response.status_code == 404


def test_export_then_import_gives_back_the_same_questions(app, organiser_client):
    category = db.session.scalars(select(Category).order_by(Category.position)).first()
    response = organiser_client.get(f"/admin/questions/export.xlsx?category={category.id}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    originals = db.session.scalars(select(Question).where(
        Question.category_id == category.id, Question.current.is_(True), Question.active.is_(True))).all()
    assert sheet.max_row == len(originals) + 1
    # Into an empty bank (a bank without these stems nor these 编号), the file gives back the
    # same questions, as new ones. (Into the same bank: tests/test_bank_round_trip.py.)
    snapshot = {q.stem: (q.qtype, q.options, q.answer, q.explanation, q.difficulty, q.tags, q.basis)
                for q in originals}
    db.session.execute(AttemptQuestion.__table__.delete())
    for q in db.session.scalars(select(Question)):
        q.stem = "旧：" + q.stem  # make room: the originals are no longer duplicates
        q.uid = "old-" + q.uid  # … and their 编号 are not in the bank
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["bank", "import", _save(response.data)])
    assert result.exit_code == 0, result.output
    assert f"读取 {len(originals)}，导入 {len(originals)}，跳过 0，拒绝 0" in result.output
    back = db.session.scalars(select(Question).where(Question.source.like("导入:%"))).all()
    assert {q.stem: (q.qtype, q.options, q.answer, q.explanation, q.difficulty, q.tags, q.basis)
            for q in back} == snapshot
    assert {q.category.name for q in back} == {category.name}


def _save(body: bytes) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.write(body)
    handle.close()
    return handle.name


def test_blank_template_imports_cleanly(app, organiser_client):
    response = organiser_client.get("/admin/questions/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["题库", "填写说明"]
    result = app.test_cli_runner().invoke(args=["bank", "import", _save(response.data), "--dry-run"])
    assert "拒绝 0" in result.output, result.output


def test_cli_import_counts_and_exit_code(app, tmp_path):
    path = tmp_path / "paper.txt"
    path.write_text(PAPER, encoding="utf-8")
    new_category()
    runner = app.test_cli_runner()
    before = db.session.scalar(select(func.count(Question.id)))
    dry = runner.invoke(args=["bank", "import", str(path), "--category", "导入测试", "--dry-run"])
    # It imports what it can and says how many rows it refused: exit 0 (1 with --strict).
    assert dry.exit_code == 0 and "读取 2，可导入 1，跳过 0，拒绝 1" in dry.output
    assert "第 8 行：答案 E 不在选项中" in dry.output or "答案 E 不在选项中" in dry.output
    assert db.session.scalar(select(func.count(Question.id))) == before
    real = runner.invoke(args=["bank", "import", str(path), "--category", "导入测试"])
    assert real.exit_code == 0 and "读取 2，导入 1，跳过 0，拒绝 1" in real.output
    assert db.session.scalar(select(func.count(Question.id))) == before + 1
    again = runner.invoke(args=["bank", "import", str(path), "--category", "导入测试"])
    assert "导入 0，跳过 1" in again.output
