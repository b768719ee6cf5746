"""The organiser's reports as .xlsx: the statistics table (活动进展情况统计表) with its daily
participation and score distribution sheets, and the knowledge analysis.

Numbers are written as numbers (rates as fractions formatted ``0.0%``, averages ``0.0``); a
missing figure (a rate without headcount, an average without attempts) leaves its cell empty,
so a numeric column holds numbers only and sums, sorts and filters as one ("—" only in text
columns). A 区分度 from fewer answers than :data:`item_stats.MIN_DISCRIMINATION_ANSWERS` says
样本不足 instead of its value, as the page does. Every sheet keeps its header row in view
(frozen panes below it). Every user
string (unit, region, industry, question text) goes through :func:`bank_io.text_cell`, so a
name such as "=cmd" stays text and never becomes a formula. The charts in the workbook are
native Excel bar charts (openpyxl ``BarChart``) over the sheet's own data.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Sequence

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..bank.files import text_cell
from ..downloads import cell_text
from .item_stats import TOO_FEW, Compared, ItemStats, QuestionFigures
from ..league.tables import HEADCOUNT_NOTE, N_, Figures, shown
from ..models import TYPE_LABELS, Question
from .data import BAND_LABELS, DayCount

MISSING = "—"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
SUBTOTAL_FILL = PatternFill("solid", fgColor="EEF1F4")
TOTAL_FILL = PatternFill("solid", fgColor="DBE9F7")
PERCENT, SCORE, DECIMAL2 = "0.0%", "0.0", "0.00"

# 人数来源 and 名单外 come last so the long-standing layout keeps its columns.
STATISTICS_HEADERS = [N_("序号"), N_("单位名称"), N_("所属镇（街）"), N_("行业"), N_("应参与人数"), N_("参与人数"),
                      N_("参与率"), N_("参与人次"), N_("平均分"), N_("合格率"), N_("人数来源"), N_("名单外人数")]


@dataclass(frozen=True)
class Section:
    """One region of the statistics table: its units and their subtotal."""

    region: str
    rows: list[Figures]
    subtotal: Figures


def _put(sheet, row: int, column: int, value, number_format: str | None = None):
    """A value; a missing one is an empty cell in a numeric column (``number_format``), "—" in
    a text one."""
    cell = sheet.cell(row=row, column=column)
    if value is None:
        if number_format is None:
            text_cell(cell, MISSING)
        return cell
    text_cell(cell, value)
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


def _headers(sheet, row: int, headers: Sequence[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=cell_text(_(header)))  # the reader's language
        cell.font = BOLD


def _widths(sheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _title(sheet, text: str, columns: int) -> None:
    text_cell(sheet.cell(row=1, column=1), text)
    sheet.cell(row=1, column=1).font = TITLE
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)


def _figures_row(sheet, row: int, number: int | str | None, name: str, region: str, industry: str,
                 figures: Figures, fill=None) -> None:
    values = [
        (number, None), (name, None), (shown(region), None), (shown(industry), None),
        (figures.headcount, "0"), (figures.participants, "0"), (figures.participation_rate, PERCENT),
        (figures.attempts, "0"), (figures.average_score, SCORE), (figures.pass_rate, PERCENT),
        (shown(figures.headcount_source), None), (figures.off_roster, "0"),
    ]
    for column, (value, number_format) in enumerate(values, start=1):
        if column <= 4 and value is None:
            continue  # empty label cells stay empty
        cell = _put(sheet, row, column, value, number_format)
        if fill is not None:
            cell.fill = fill
            cell.font = BOLD


def _bar_chart(sheet, title: str, y_title: str, data_columns: Iterable[int], rows: int,
               anchor: str) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.title = cell_text(title)
    chart.y_axis.title = cell_text(y_title)
    chart.height, chart.width = 9, 22
    for column in data_columns:
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=max(rows + 1, 2)))
    sheet.add_chart(chart, anchor)


def statistics_workbook(title: str, range_label: str, sections: list[Section], total: Figures | None,
                        days: list[DayCount], bands: list[int]) -> bytes:
    """Sheets 统计表, 每日参与 and 成绩分布 (see the module docstring).

    统计表: row 1 the title (with the period), row 2 the headers, then each region's units
    numbered 1…N across the table, a 小计 row after each region, and a 合计 row at the end
    (``total`` None: no 合计, as for one enterprise's own report).
    """
    book = Workbook()
    sheet = book.active
    sheet.title = _("统计表")
    _title(sheet, _("%(title)s活动进展情况统计表（%(range)s）", title=title, range=range_label), len(STATISTICS_HEADERS))
    _headers(sheet, 2, STATISTICS_HEADERS)
    row, number = 3, 0
    for section in sections:
        for figures in section.rows:
            number += 1
            _figures_row(sheet, row, number, shown(figures.key), section.region, figures.industry or "", figures)
            row += 1
        if section.subtotal is not None:
            _figures_row(sheet, row, None, _("小计"), section.region, None, section.subtotal, SUBTOTAL_FILL)
            row += 1
    if total is not None:
        _figures_row(sheet, row, None, _("合计"), None, None, total, TOTAL_FILL)
        row += 1
    text_cell(sheet.cell(row=row + 1, column=1), _(HEADCOUNT_NOTE))
    sheet.freeze_panes = "C3"
    _widths(sheet, [6, 30, 14, 16, 11, 10, 9, 10, 9, 9, 10, 10])

    daily = book.create_sheet(_("每日参与"))
    _headers(daily, 1, [N_("日期"), N_("参与人数"), N_("参与人次")])
    daily.freeze_panes = "A2"
    for index, day in enumerate(days, start=2):
        text_cell(daily.cell(row=index, column=1), day.day.isoformat())
        daily.cell(row=index, column=2, value=day.people)
        daily.cell(row=index, column=3, value=day.attempts)
    _widths(daily, [12, 10, 10])
    if days:
        _bar_chart(daily, _("每日参与情况"), _("人 / 人次"), (2, 3), len(days), "E2")

    scores = book.create_sheet(_("成绩分布"))
    _headers(scores, 1, [N_("分数段"), N_("人数")])
    scores.freeze_panes = "A2"
    for index, (label, count) in enumerate(zip(BAND_LABELS, bands), start=2):
        text_cell(scores.cell(row=index, column=1), label)
        scores.cell(row=index, column=2, value=count)
    _widths(scores, [10, 8])
    _bar_chart(scores, _("成绩分布（百分制）"), _("人"), (2,), len(BAND_LABELS), "D2")

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- knowledge -------------------------------------------------------------------------


def _figures_cells(sheet, row: int, column: int, figures) -> int:
    """answers, wrong, facility, discrimination of item/category figures (or empty cells)."""
    if figures is None:
        return column + 4
    _put(sheet, row, column, figures.answers, "0")
    _put(sheet, row, column + 1, figures.wrong, "0")
    _put(sheet, row, column + 2, figures.facility, PERCENT)
    if figures.too_few_answers:
        text_cell(sheet.cell(row=row, column=column + 3), _(TOO_FEW))
        sheet.cell(row=row, column=column + 3).alignment = Alignment(horizontal="right")
    else:
        _put(sheet, row, column + 3, figures.discrimination, DECIMAL2)
    return column + 4


def _type_label(qtype: str) -> str:
    """单选/多选/判断 in the reader's language (the ids are in this catalogue too)."""
    return _(TYPE_LABELS[qtype]) if qtype in TYPE_LABELS else qtype


N_("单选题"), N_("多选题"), N_("判断题"), N_("正确"), N_("错误")

FIGURE_HEADERS = [N_("作答次数"), N_("答错次数"), N_("答对率"), N_("区分度")]


def _answer_columns(question: Question | None) -> tuple[str, str, str]:
    """选项 (one per line, "A. …"), 正确答案 ("C", "AB", 正确/错误) and its text: a training
    list read on paper needs the answer's words, not only its letter."""
    if question is None:
        return "", "", ""
    if question.qtype == "judge":
        return "", _(question.answer_label), _(question.answer_label)
    letters = "ABCDEFGH"
    options = "\n".join(f"{letters[i]}. {text}" for i, text in enumerate(question.options))
    answer_text = "\n".join(f"{letter}. {question.options[letters.index(letter)]}"
                            for letter in question.answer if letters.index(letter) < len(question.options))
    return options, question.answer, answer_text


def knowledge_workbook(title: str, overall: ItemStats, enterprise_name: str | None,
                       categories: list[Compared] | None, questions: list[Compared] | None,
                       top: list[QuestionFigures], top_questions: dict[int, Question]) -> bytes:
    """Sheets 分类, 题目 and 高频错题. With an enterprise, its figures come first and the
    overall ones beside them, with the difference of the facilities (本单位 − 全部)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("分类")
    compare = enterprise_name is not None
    mine_headers = [_("本单位%(figure)s", figure=_(h)) for h in FIGURE_HEADERS] if compare else []
    overall_headers = [_("全部%(figure)s", figure=_(h)) for h in FIGURE_HEADERS] if compare else FIGURE_HEADERS
    diff_header = [N_("答对率差（本单位−全部）")] if compare else []
    headers = [N_("分类"), N_("题数"), *mine_headers, *overall_headers, *diff_header]
    _title(sheet, _("%(title)s知识掌握分析", title=title)
           + (_("：%(name)s与全部参赛者", name=enterprise_name) if compare else ""), len(headers))
    _headers(sheet, 2, headers)
    rows = categories if compare else [Compared(None, c) for c in overall.categories]
    for index, item in enumerate(rows, start=3):
        text_cell(sheet.cell(row=index, column=1), item.overall.name)
        sheet.cell(row=index, column=2, value=item.overall.questions)
        column = 3
        if compare:
            column = _figures_cells(sheet, index, column, item.mine)
        column = _figures_cells(sheet, index, column, item.overall)
        if compare:
            _put(sheet, index, column, item.difference, PERCENT)
    _widths(sheet, [22, 8] + [11] * (len(headers) - 2))
    sheet.freeze_panes = "B3"

    sheet = book.create_sheet(_("题目"))
    headers = [N_("题目编号"), N_("版本"), N_("分类"), N_("题型"), N_("题干"), *mine_headers, *overall_headers,
               *diff_header]
    _headers(sheet, 1, headers)
    rows = questions if compare else [Compared(None, q) for q in overall.questions]
    for index, item in enumerate(rows, start=2):
        q = item.mine if compare else item.overall
        for column, value in enumerate((q.uid, q.version, q.category, _type_label(q.qtype), q.stem),
                                       start=1):
            text_cell(sheet.cell(row=index, column=column), value)
        column = 6
        if compare:
            column = _figures_cells(sheet, index, column, item.mine)
        column = _figures_cells(sheet, index, column, item.overall)
        if compare:
            _put(sheet, index, column, item.difference, PERCENT)
    _widths(sheet, [12, 6, 18, 8, 60] + [11] * (len(headers) - 5))
    sheet.freeze_panes = "A2"

    sheet = book.create_sheet(_("高频错题"))
    headers = [N_("序号"), N_("题目编号"), N_("分类"), N_("题型"), N_("题干"), N_("选项"), N_("正确答案"),
               N_("正确答案内容"), N_("答错次数"), N_("作答次数"), N_("答对率"), N_("解析"), N_("依据")]
    _headers(sheet, 1, headers)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, q in enumerate(top, start=2):
        question = top_questions.get(q.question_id)
        sheet.cell(row=index, column=1, value=index - 1)
        options, answer, answer_text = _answer_columns(question)
        texts = (q.uid, q.category, _type_label(q.qtype), q.stem, options, answer, answer_text)
        for column, value in enumerate(texts, start=2):
            text_cell(sheet.cell(row=index, column=column), value)
        _put(sheet, index, 9, q.wrong, "0")
        _put(sheet, index, 10, q.answers, "0")
        _put(sheet, index, 11, q.facility, PERCENT)
        text_cell(sheet.cell(row=index, column=12), question.explanation if question else "")
        text_cell(sheet.cell(row=index, column=13), question.basis_label if question else "")
        for column in (5, 6, 8, 12):
            sheet.cell(row=index, column=column).alignment = wrap
    _widths(sheet, [6, 12, 18, 8, 50, 40, 10, 30, 10, 10, 9, 50, 24])
    sheet.freeze_panes = "A2"

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
