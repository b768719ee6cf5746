"""Import (preview, then commit) and export of questions, for the web UI and the CLI.

Parsing lives in ``question_bank.importers`` (pure, never raises); this module
decides what a parsed row means for this bank: its category, duplicates of
questions already in the bank, and the 依据.
"""
from __future__ import annotations

import difflib
import io
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from question_bank.laws import basis_error, parse_basis

from ..contests.scoring import LETTERS
from .queries import category_by_name
from ..extensions import db
from ..models import Category, Question

if TYPE_CHECKING:
    from question_bank.importers import ImportedQuestion

TYPE_NAMES = {"single": "单选", "multi": "多选", "judge": "判断"}
EXPORT_HEADERS = ["编号", "分类", "题型", "题干", *[f"选项{c}" for c in LETTERS], "答案", "解析", "难度", "标签", "依据"]


@dataclass
class PreviewRow:
    line: int
    sheet: str | None
    status: str  # "ok" | "duplicate" | "rejected"
    messages: list[str]
    question: ImportedQuestion | None

    @property
    def where(self) -> str:
        return f"{self.sheet} 第 {self.line} 行" if self.sheet else f"第 {self.line} 行"


# Mapping target that keeps a file's category value as a tag (the row takes the default category).
AS_TAG = "标签"
PAGE_SIZE = 100


@dataclass
class CategoryValue:
    """A category value found in the file, and what it will be stored as."""

    value: str
    column: str | None  # the file's column header (None: a paper/GIFT field)
    rows: int
    target: str | None  # an existing category's name, AS_TAG, or None: not resolved yet
    suggestion: str | None  # the closest existing category


@dataclass
class Preview:
    filename: str
    format: str
    rows: list[PreviewRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    values: list[CategoryValue] = field(default_factory=list)
    default_category: str | None = None

    def page(self, number: int, size: int = PAGE_SIZE) -> list[PreviewRow]:
        return self.rows[(number - 1) * size : number * size]

    def pages(self, size: int = PAGE_SIZE) -> int:
        return max(1, -(-len(self.rows) // size))

    @property
    def unresolved(self) -> list[CategoryValue]:
        return [v for v in self.values if v.target is None]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def importable(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status == "ok"]


def _existing_questions() -> dict[tuple, str]:
    """uid of every current question by ``duplicate_key`` (stem, type and options)."""
    from question_bank.importers import duplicate_key

    rows = db.session.execute(select(Question.uid, Question.qtype, Question.stem, Question.options)
                              .where(Question.current.is_(True)))
    return {duplicate_key(qtype, stem, list(options or [])): uid for uid, qtype, stem, options in rows}


def _key(question: ImportedQuestion) -> tuple:
    from question_bank.importers import duplicate_key

    return duplicate_key(question.qtype, question.stem, question.options)


def _settle_basis(question: ImportedQuestion, messages: list[str]) -> None:
    """Keep a 依据 that points into the statute library; fold any other into the 解析 (nothing lost)."""
    if not question.basis:
        return
    parsed = parse_basis(question.basis)
    if parsed and basis_error(question.basis) is None:
        question.basis = f"{parsed[0]} {parsed[1]}"
        return
    messages.append(f"依据“{question.basis}”不在法规库中，已并入解析")
    note = f"（依据：{question.basis}）"
    question.explanation = f"{question.explanation}{note}" if question.explanation else note
    question.basis = None


# ---- a question typed in the bank's form ---------------------------------------------

TYPED_SOURCE = "手工录入"


def check_typed(category: Category | None, qtype: str, stem: str, options_text: str, answer: str,
                explanation: str, difficulty: int, basis: str, tags_text: str,
                ) -> tuple[ImportedQuestion | None, list[str]]:
    """A question typed in the bank's form, checked as an imported one is: the importer's
    rules (``question_bank.importers.check_typed``), a stem already in the bank is a
    duplicate, and the 依据 must point into the statute library (an import folds a bad one
    into the 解析; here the organiser is asked to correct it, nothing is lost)."""
    from question_bank.importers import check_typed as importer_check

    options = [line.strip() for line in (options_text or "").splitlines() if line.strip()]
    tags = [t.strip()[:40] for t in (tags_text or "").replace("，", ",").replace("、", ",").split(",") if t.strip()]
    result = importer_check(qtype, stem, options, answer, explanation, str(difficulty or ""), basis, tags)
    problems = list(result.errors)
    if category is None:
        problems.insert(0, "请选择分类")
    question = result.question
    if question is not None:
        uid = _existing_questions().get(_key(question))
        if uid:
            problems.append(f"与题库中已有题目重复（编号 {uid}）")
        if question.basis:
            error = basis_error(question.basis)
            if error:
                problems.append(error)
            else:
                law, article = parse_basis(question.basis)
                question.basis = f"{law} {article}"
    return (None if problems else question), problems


def add_typed(question: ImportedQuestion, category: Category) -> Question:
    """A typed question: version 1 of a new uid, in the caller's transaction."""
    row = Question(
        uid=f"web-{secrets.token_hex(5)}", version=1, current=True, source=TYPED_SOURCE, active=True,
        category_id=category.id, qtype=question.qtype, stem=question.stem, options=question.options,
        answer=question.answer, explanation=question.explanation or "", basis=question.basis,
        difficulty=question.difficulty or 1, tags=list(question.tags or []),
    )
    db.session.add(row)
    db.session.flush()
    return row


def name_key(name: str) -> str:
    """Category names compared as a person reads them: width-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def category_names() -> dict[str, str]:
    """{name_key: name} of every category in the managed list."""
    return {name_key(c.name): c.name for c in categories()}


def closest_category(value: str, names: dict[str, str] | None = None) -> str | None:
    """The existing category a value most probably means (“消防安” → “消防安全”), or None."""
    names = category_names() if names is None else names
    key = name_key(value)
    if not key:
        return None
    containing = [name for k, name in names.items() if key in k or k in key]
    if len(containing) == 1:
        return containing[0]
    found = difflib.get_close_matches(key, list(names), n=1, cutoff=0.5)
    return names[found[0]] if found else None


def unknown_category(value: str, names: dict[str, str] | None = None) -> str:
    suggestion = closest_category(value, names)
    hint = f"，是否为“{suggestion}”？" if suggestion else "。"
    return f"分类“{value}”不在分类列表中{hint}请把它对应到已有分类，或先新建该分类"


def check_targets(default_category: str | None, mapping: dict[str, str]) -> list[str]:
    """Problems with the default category and the mapping's targets: each must be an
    existing category (a mapping may also say AS_TAG)."""
    names = category_names()
    problems = []
    if default_category and name_key(default_category) not in names:
        problems.append(unknown_category(default_category, names))
    for value, target in mapping.items():
        if target != AS_TAG and name_key(target) not in names:
            problems.append(f"“{value}={target}”：" + unknown_category(target, names))
    return problems


def _resolve(value: str, column: str | None, names: dict[str, str], mapping: dict[str, str]) -> str | None:
    from question_bank.importers import GROUP_COLUMNS

    target = mapping.get(value)
    if target is not None:
        return AS_TAG if target == AS_TAG else names.get(name_key(target))
    if name_key(value) in names:
        return names[name_key(value)]
    if column in GROUP_COLUMNS:
        return AS_TAG  # 作业种类, 第一部分…: a grouping of the file, not one of our categories
    return None


def limits(max_bytes: int):
    from question_bank.importers import Limits

    return Limits(max_bytes=max_bytes)


def preview(filename: str, data: bytes, default_category: str | None, limits,
            mapping: dict[str, str] | None = None) -> Preview:
    """What the file will store, row by row. Categories are a managed list: every category
    value of the file resolves to an existing category (same name, or the organiser's
    ``mapping``), or to a tag (a 作业种类-like column, or mapped to AS_TAG); anything else
    refuses its rows with the closest category suggested. Nothing here creates a category."""
    from question_bank.importers import parse_file

    mapping = mapping or {}
    parsed = parse_file(filename, data, limits)
    result = Preview(filename=filename, format=parsed.format, file_errors=list(parsed.errors))
    names = category_names()
    default = names.get(name_key(default_category)) if default_category else None
    if default_category and default is None:
        result.file_errors.append(unknown_category(default_category, names))
    result.default_category = default
    values: dict[str, CategoryValue] = {}
    for row in parsed.rows:
        question = row.question
        if question is not None and question.category:
            found = values.get(question.category)
            if found is None:
                target = _resolve(question.category, question.category_column, names, mapping)
                found = values[question.category] = CategoryValue(
                    question.category, question.category_column, 0, target,
                    None if target else closest_category(question.category, names))
            found.rows += 1
    result.values = list(values.values())
    existing = _existing_questions()
    for row in parsed.rows:
        messages = list(row.errors)
        question = row.question
        status = "rejected" if question is None or row.errors else "ok"
        if question is not None and status == "ok":
            value = question.category
            target = values[value].target if value else None
            if value and target is None:
                status = "rejected"
                messages.append(unknown_category(value, names))
            elif target == AS_TAG:
                if value not in question.tags:
                    question.tags.append(value[:40])
                target = None
            if status == "ok":
                question.category = target or default
                if not question.category:
                    status = "rejected"
                    messages.append("缺少分类（请在文件中加“分类”列，或导入时指定分类）")
            uid = existing.get(_key(question))
            if uid and status == "ok":
                status = "duplicate"
                messages.append(f"与题库中已有题目重复（编号 {uid}），将跳过")
            if status == "ok":
                _settle_basis(question, messages)
        result.rows.append(PreviewRow(row.line, row.sheet, status, messages, question))
    return result


def commit(result: Preview, source: str) -> int:
    """Add every importable row, in the caller's transaction (all or nothing). Every row's
    category was resolved by ``preview`` to an existing one."""
    added = 0
    for row in result.importable:
        q = row.question
        category = category_by_name(q.category, create=False)
        db.session.add(Question(
            uid=f"imp-{secrets.token_hex(5)}", version=1, current=True, source=source[:60],
            active=True, category_id=category.id, qtype=q.qtype, stem=q.stem, options=q.options,
            answer=q.answer, explanation=q.explanation or "", basis=q.basis,
            difficulty=q.difficulty or 1, tags=list(q.tags or []),
        ))
        added += 1
    db.session.flush()
    return added


def text_cell(cell, value) -> None:
    """Write text as text: a stem starting with "=" must never become a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def workbook(questions: list[Question]) -> bytes:
    """Our own template; the importer reads it back to the same questions."""
    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for q in questions:
        options = [] if q.qtype == "judge" else list(q.options)
        values = [
            q.uid, q.category.name, TYPE_NAMES[q.qtype], q.stem,
            *(options + [""] * (len(LETTERS) - len(options))),
            q.answer_label, q.explanation, q.difficulty, ",".join(q.tags or []), q.basis or "",
        ]
        row = sheet.max_row + 1
        for column, value in enumerate(values, start=1):
            text_cell(sheet.cell(row=row, column=column), value if value != "" else None)
    for column, width in zip("ABCDEFGHIJKLMNOPQ", (12, 16, 6, 50, *[18] * 8, 8, 40, 6, 16, 22)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """A blank template with one example per type and the rules on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    examples = [
        ["", "安全生产法律法规", "单选", "生产经营单位的主要负责人是本单位安全生产的（　）。",
         "直接责任人", "第一责任人", "间接责任人", "主要监督人", "", "", "", "", "B",
         "《安全生产法》第五条：主要负责人是本单位安全生产第一责任人。", 1, "主要负责人", "安全生产法 第五条"],
        ["", "消防安全", "多选", "发现火灾时，下列做法正确的有（　）。", "立即拨打119报警", "组织人员疏散",
         "乘坐电梯逃生", "", "", "", "", "", "AB", "火灾时不能乘坐普通电梯逃生。", 1, "火灾报警", ""],
        ["", "应急避险与自救互救", "判断", "发生地震时，楼上的人员应立即跳楼逃生。", "", "", "", "", "", "", "", "",
         "错误", "地震时应就近躲避在坚固家具旁或内墙角，震后有序撤离，切勿跳楼。", 1, "地震", ""],
    ]
    for example in examples:
        row = sheet.max_row + 1
        for column, value in enumerate(example, start=1):
            text_cell(sheet.cell(row=row, column=column), value if value != "" else None)
    notes = book.create_sheet("填写说明")
    for line in (
        "每行一道题；第一行是表头，请勿修改表头名称。",
        "题型：单选、多选、判断。判断题不填选项，答案填“正确”或“错误”。",
        "答案：选项字母，如 B；多选题如 ACD。",
        "难度：1 简单、2 中等、3 困难。标签用逗号分隔。",
        "依据：法规名 第N条，如“安全生产法 第五十四条”。",
        "编号可留空，导入时自动生成；示例三行可删除。",
    ):
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position)))


def create_category(name: str) -> tuple[Category | None, str | None]:
    """A category created on purpose by an organiser: (category, None) or (None, problem)."""
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not name:
        return None, "请填写分类名。"
    if len(name) > 60:
        return None, "分类名不能超过 60 个字。"
    if name_key(name) in category_names():
        return None, f"分类“{name}”已存在。"
    return category_by_name(name, create=True), None
