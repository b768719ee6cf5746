"""Import (preview, then commit) and export of questions, for the web UI and the CLI.

Parsing lives in ``question_bank.importers`` (pure, never raises); this module
decides what a parsed row means for this bank: its category, duplicates of
questions already in the bank, and the 依据.
"""
from __future__ import annotations

import difflib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from question_bank.laws import basis_error, parse_basis

from ..contests.scoring import LETTERS
from ..downloads import cell_text
from ..forms import clean_line
from .queries import EDITABLE, answered_ids, category_by_name, revise
from ..extensions import db
from ..models import Category, Question
from ..i18n import N_  # marks a message for extraction; translated where shown

if TYPE_CHECKING:
    from question_bank.importers import ImportedQuestion

TYPE_NAMES = {"single": "单选", "multi": "多选", "judge": "判断"}  # shown as type_name(qtype)
EXPORT_HEADERS = ["编号", "分类", "题型", "题干", *[f"选项{c}" for c in LETTERS], "答案", "解析", "难度", "标签", "依据"]
FIELD_LABELS = {
    "category_id": N_("分类"), "qtype": N_("题型"), "stem": N_("题干"), "options": N_("选项"), "answer": N_("答案"),
    "explanation": N_("解析"), "difficulty": N_("难度"), "tags": N_("标签"), "basis": N_("依据"),
}
# The import template keeps these Chinese words in every language: the importer reads the
# headers, the types and the judge answers in Chinese. Its examples and instructions are translated.
TEMPLATE_WORDS = (*EXPORT_HEADERS, *TYPE_NAMES.values(), "正确", "错误")


def export_headers() -> list[str]:
    """The export's headers in the page's language (the English ones are read back by the import)."""
    return [pgettext("export", "编号"), pgettext("export", "分类"), pgettext("export", "题型"),
            pgettext("export", "题干"), *[pgettext("export", "选项%(letter)s") % {"letter": c} for c in LETTERS],
            pgettext("export", "答案"), pgettext("export", "解析"), pgettext("export", "难度"),
            pgettext("export", "标签"), pgettext("export", "依据")]


def type_name(qtype: str) -> str:
    """单选 / 多选 / 判断 in the page's language (the English ones are read back by the import)."""
    return {"single": pgettext("question type", "单选"), "multi": pgettext("question type", "多选"),
            "judge": pgettext("question type", "判断")}[qtype]


def truth_word(answer: str) -> str:
    """A 判断题's answer, 正确 / 错误, in the page's language (English: True / False, read back too)."""
    return {"正确": pgettext("judge", "正确"), "错误": pgettext("judge", "错误")}.get(answer, answer)


def _shown(key: str, value, qtype: str) -> str:
    """A field's value as the preview shows it: labels, lists joined, long text cut at 30 characters."""
    if key == "qtype":
        value = type_name(value) if value in TYPE_NAMES else value
    elif key == "answer" and qtype == "judge" and value in ("A", "B"):
        value = truth_word("正确" if value == "A" else "错误")
    elif isinstance(value, list):
        value = _("、").join(str(v) for v in value)
    text = "" if value is None else str(value)
    if not text:
        return _("（空）")
    return text if len(text) <= 30 else text[:30] + "…"


@dataclass
class PreviewRow:
    line: int
    sheet: str | None
    status: str  # "ok" (new) | "update" | "same" | "duplicate" | "rejected"
    messages: list[str]
    question: ImportedQuestion | None
    target: Question | None = None  # the bank question of the row's 编号 (update / same)
    changes: dict = field(default_factory=dict)  # field → new value, for an update

    @property
    def changed_fields(self) -> str:
        return _("、").join(_(FIELD_LABELS[key]) for key in EDITABLE if key in self.changes)

    @property
    def change_lines(self) -> list[str]:
        """“答案：B → C”, “题干：……（前 30 字）→ ……” for each changed field, as the unit import says."""
        if self.target is None:
            return []
        lines = []
        for key in EDITABLE:
            if key in self.changes:
                before = self.target.category.name if key == "category_id" else getattr(self.target, key)
                lines.append(_("%(label)s：%(before)s → %(after)s", label=_(FIELD_LABELS[key]),
                               before=_shown(key, before, self.target.qtype),
                               after=_shown(key, self.changes[key], self.changes.get("qtype", self.target.qtype))))
        return lines

    @property
    def where(self) -> str:
        return (_("%(sheet)s 第 %(line)s 行", sheet=self.sheet, line=self.line) if self.sheet
                else _("第 %(line)s 行", line=self.line))


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

    @property
    def listed(self) -> list[PreviewRow]:
        """The rows the preview lists: all but 未变 (an edited export of 10 000 questions shows
        the few it changes)."""
        return [row for row in self.rows if row.status != "same"]

    def page(self, number: int, size: int = PAGE_SIZE) -> list[PreviewRow]:
        return self.listed[(number - 1) * size : number * size]

    def pages(self, size: int = PAGE_SIZE) -> int:
        return max(1, -(-len(self.listed) // size))

    @property
    def unresolved(self) -> list[CategoryValue]:
        return [v for v in self.values if v.target is None]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def importable(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status == "ok"]

    @property
    def updates(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status == "update"]


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
    messages.append(_("依据“%(basis)s”不在法规库中，已并入解析", basis=question.basis))
    note = f"（依据：{question.basis}）"  # stored in the 解析: bank data, in Chinese
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
        problems.insert(0, _("请选择分类"))
    question = result.question
    if question is not None:
        uid = _existing_questions().get(_key(question))
        if uid:
            problems.append(_("与题库中已有题目重复（编号 %(uid)s）", uid=uid))
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
    if suggestion:
        return _("分类“%(value)s”不在分类列表中，是否为“%(suggestion)s”？请把它对应到已有分类，或先新建该分类",
                 value=value, suggestion=suggestion)
    return _("分类“%(value)s”不在分类列表中。请把它对应到已有分类，或先新建该分类", value=value)


def check_targets(default_category: str | None, mapping: dict[str, str]) -> list[str]:
    """Problems with the default category and the mapping's targets: each must be an
    existing category (a mapping may also say AS_TAG)."""
    names = category_names()
    problems = []
    if default_category and name_key(default_category) not in names:
        problems.append(unknown_category(default_category, names))
    for value, target in mapping.items():
        if target != AS_TAG and name_key(target) not in names:
            problems.append(_("“%(value)s=%(target)s”：%(problem)s", value=value, target=target,
                              problem=unknown_category(target, names)))
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


def _current_by_uid(uids: set[str]) -> dict[str, Question]:
    """The current version of each of these uids that is in the bank (with its category)."""
    found: dict[str, Question] = {}
    wanted = sorted(uids)
    for start in range(0, len(wanted), 500):  # SQLite limits the number of bound parameters
        chunk = wanted[start:start + 500]
        found.update((q.uid, q) for q in db.session.scalars(
            select(Question).where(Question.current.is_(True), Question.uid.in_(chunk))
            .options(joinedload(Question.category))))
    return found


def _changes(question: ImportedQuestion, existing: Question, default_category: str | None) -> dict:
    """What the row would change in the bank question: field → new value (category by name)."""
    values = {
        "qtype": question.qtype, "stem": question.stem, "options": list(question.options),
        "answer": question.answer, "explanation": question.explanation or "",
        "difficulty": question.difficulty or 1, "tags": list(question.tags or []), "basis": question.basis,
    }
    changed = {key: value for key, value in values.items() if getattr(existing, key) != value}
    if changed:
        # A stored text the importer would write differently ("(  )" for "（　）", spaces…) is
        # not a change: only what was edited in the file is.
        normal = _as_read_back(existing)
        if normal is not None:
            changed = {key: value for key, value in changed.items() if normal[key] != value}
    category = question.category or default_category
    if category and category != existing.category.name:
        changed["category_id"] = category
    return changed


def _tags_read_back(tags: list[str] | None) -> list[str]:
    """The export joins tags with commas; the importer splits a tag cell at commas, 、, ; and spaces."""
    return [t for t in re.split(r"[,，、;；\s]+", ",".join(tags or [])) if t]


def _as_read_back(existing: Question) -> dict | None:
    """The question's fields as the importer reads them back from its exported row."""
    from question_bank.importers import check_typed as importer_check

    judge = existing.qtype == "judge"
    read = importer_check(existing.qtype, existing.stem, [] if judge else list(existing.options),
                          existing.answer_label, existing.explanation or "", str(existing.difficulty or ""),
                          existing.basis or "", _tags_read_back(existing.tags)).question
    if read is None:
        return None
    return {"qtype": read.qtype, "stem": read.stem, "options": read.options, "answer": read.answer,
            "explanation": read.explanation or "", "difficulty": read.difficulty or 1,
            "tags": list(read.tags or []), "basis": existing.basis}


def preview(filename: str, data: bytes, default_category: str | None, limits,
            mapping: dict[str, str] | None = None) -> Preview:
    """What importing the file would do, row by row; stores nothing.

    Categories are a managed list: every category value of the file resolves to an existing
    category (same name, or the organiser's ``mapping``), or to a tag (a 作业种类-like column,
    or mapped to AS_TAG); anything else refuses its rows with the closest category suggested.
    Nothing here creates a category. A row whose 编号 is a question of the bank (our own
    export, edited or not) is that question: 更新 with the changed fields, or 未变. Other rows
    are new questions, unless the same question (stem, type, options) is in the bank."""
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
    by_uid = _current_by_uid({row.question.uid for row in parsed.rows if row.question and row.question.uid})
    seen_uids: dict[str, PreviewRow] = {}
    for row in parsed.rows:
        messages = list(row.errors)
        question = row.question
        status = "rejected" if question is None or row.errors else "ok"
        target = by_uid.get(question.uid) if question is not None and question.uid else None
        changes: dict = {}
        if question is not None and status == "ok":
            value = question.category
            category = values[value].target if value else None
            if value and category is None:
                status = "rejected"
                messages.append(unknown_category(value, names))
            elif category == AS_TAG:
                if value not in question.tags:
                    question.tags.append(value[:40])
                category = None
            if status == "ok":
                question.category = category or default
        if status == "ok" and target is not None:
            first = seen_uids.get(target.uid)
            if first is not None:
                status = "rejected"
                messages.append(_("编号 %(uid)s 与%(where)s重复", uid=target.uid, where=first.where))
            else:
                _settle_basis(question, messages)
                changes = _changes(question, target, None)
                uid = existing.get(_key(question))
                if uid and uid != target.uid:
                    status = "rejected"
                    messages.append(_("改后的题目与题库中已有题目重复（编号 %(uid)s）", uid=uid))
                else:
                    status = "update" if changes else "same"
        elif question is not None and status == "ok":
            if not question.category:
                status = "rejected"
                messages.append(_("缺少分类（请在文件中加“分类”列，或导入时指定分类）"))
            uid = existing.get(_key(question))
            if uid and status == "ok":
                status = "duplicate"
                messages.append(_("与题库中已有题目重复（编号 %(uid)s），将跳过", uid=uid))
            if status == "ok":
                if question.uid:
                    messages.append(_("编号 %(uid)s 不在题库中，将作为新题导入", uid=question.uid))
                _settle_basis(question, messages)
        preview_row = PreviewRow(row.line, row.sheet, status, messages, question, target, changes)
        if target is not None and status in ("update", "same"):
            seen_uids[target.uid] = preview_row
        result.rows.append(preview_row)
    return result


def commit(result: Preview, source: str) -> int:
    """Add every new row and apply every update, in the caller's transaction (all or
    nothing). Every row's category was resolved by ``preview`` to an existing one. An update
    of a question that has been answered is a new version (as the bank's edit page does);
    returns the number of questions added."""
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
    updates = result.updates
    answered = answered_ids([row.target.id for row in updates])
    for row in updates:
        values = dict(row.changes)
        if "category_id" in values:
            values["category_id"] = category_by_name(values["category_id"]).id
        revise(row.target, values, answered=row.target.id in answered)
    db.session.flush()
    return added


def text_cell(cell, value) -> None:
    """Write text as text: a stem starting with "=" must never become a formula. Control
    characters are dropped (``downloads.cell_text``): a cell cannot hold them."""
    value = cell_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


EXPORT_WIDTHS = (12, 16, 6, 50, *[18] * 8, 8, 40, 6, 16, 22)


def workbook(questions: list[Question]) -> bytes:
    """Our own template; the importer reads it back to the same questions (by 编号).

    openpyxl's write-only mode streams the rows: linear in the number of questions (10 000 in
    about a second; asking ``max_row`` for every row made the old export quadratic)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("题库"))
    sheet.freeze_panes = "A2"
    for column, width in enumerate(EXPORT_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    bold = Font(bold=True)
    header = []
    for title in export_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def text(value):
        if not isinstance(value, str):
            return value
        value = cell_text(value)  # control characters a cell cannot hold
        # A stem starting with "=" must stay text, never become a formula.
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    types = {key: type_name(key) for key in TYPE_NAMES}
    truth = {word: truth_word(word) for word in ("正确", "错误")}  # English: True / False, read back too
    for q in questions:
        options = [] if q.qtype == "judge" else list(q.options)
        sheet.append([text(value) for value in (
            q.uid, q.category.name, types[q.qtype], q.stem,
            *(options + [None] * (len(LETTERS) - len(options))),
            truth.get(q.answer_label, q.answer_label), q.explanation, q.difficulty, ",".join(q.tags or []), q.basis)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """A blank template with one example per type and the rules on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("题库")
    sheet.append(EXPORT_HEADERS)  # Chinese in every language: the importer reads them
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    # The category names and types stay Chinese (the bank's categories, the importer's words).
    examples = [
        ["", "安全生产法律法规", "单选", _("生产经营单位的主要负责人是本单位安全生产的（　）。"),
         _("直接责任人"), _("第一责任人"), _("间接责任人"), _("主要监督人"), "", "", "", "", "B",
         _("《安全生产法》第五条：主要负责人是本单位安全生产第一责任人。"), 1, _("主要负责人"), "安全生产法 第五条"],
        ["", "消防安全", "多选", _("发现火灾时，下列做法正确的有（　）。"), _("立即拨打119报警"), _("组织人员疏散"),
         _("乘坐电梯逃生"), "", "", "", "", "", "AB", _("火灾时不能乘坐普通电梯逃生。"), 1, _("火灾报警"), ""],
        ["", "应急避险与自救互救", "判断", _("发生地震时，楼上的人员应立即跳楼逃生。"), "", "", "", "", "", "", "", "",
         truth_word("错误"), _("地震时应就近躲避在坚固家具旁或内墙角，震后有序撤离，切勿跳楼。"), 1, _("地震"), ""],
    ]
    for example in examples:
        row = sheet.max_row + 1
        for column, value in enumerate(example, start=1):
            text_cell(sheet.cell(row=row, column=column), value if value != "" else None)
    notes = book.create_sheet(_("填写说明"))
    for line in (
        _("每行一道题；第一行是表头，请勿修改表头名称。"),
        _("题型：单选、多选、判断。判断题不填选项，答案填“正确”或“错误”。"),
        _("答案：选项字母，如 B；多选题如 ACD。"),
        _("难度：1 简单、2 中等、3 困难。标签用逗号分隔。"),
        _("依据：法规名 第N条，如“安全生产法 第五十四条”。"),
        _("编号可留空，导入时自动生成；示例三行可删除。"),
    ):
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position)))


def create_category(name: str) -> tuple[Category | None, str | None]:
    """A category created on purpose by an organiser: (category, None) or (None, problem)."""
    name = " ".join(clean_line(unicodedata.normalize("NFKC", name or "")).split())
    if not name:
        return None, _("请填写分类名。")
    if len(name) > 60:
        return None, _("分类名不能超过 60 个字。")
    if name_key(name) in category_names():
        return None, _("分类“%(name)s”已存在。", name=name)
    return category_by_name(name, create=True), None
