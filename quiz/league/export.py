"""The columns of each league table, their sorting, and a table as .xlsx.

The page and the export share :func:`columns`, so the workbook has exactly the columns (and
the order) the organiser sees. Numbers are written as numbers, rates as fractions with the
format ``0.0%``, averages and the index with ``0.0``; every user string (names, departments,
regions) is written with the string type, so a name like "=cmd" stays text and never becomes
a formula.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, NamedStyle
from openpyxl.utils import get_column_letter

from .. import clock
from ..bank.files import text_cell
from ..downloads import cell_text
from .tables import HEADCOUNT_NOTE, OFF_ROSTER_NOTE, shown

TABLES = ("individuals", "enterprises", "regions", "industries", "departments")
TABLE_LABELS = {
    "individuals": _l("个人排名"),
    "enterprises": _l("单位排名"),
    "regions": _l("镇（街）排名"),
    "industries": _l("行业排名"),
    "departments": _l("部门排名"),
}
GROUP_OF = {"enterprises": "enterprise", "regions": "region", "industries": "industry",
            "departments": "department"}


@dataclass(frozen=True)
class Column:
    key: str          # attribute of the row, and the name in ?sort=
    label: str
    kind: str         # text | int | score | percent | index | ms | time
    first_desc: bool  # the direction a first click sorts in (bigger is better → desc)
    number_format: str | None = None
    export_label: str | None = None  # the workbook's header, when it differs from the page's


def _c(key, label, kind, first_desc=None, number_format=None, export_label=None):
    if first_desc is None:
        first_desc = kind in ("int", "score", "percent", "index") and key not in ("rank", "enterprise_rank")
    if number_format is None:
        number_format = {"percent": "0.0%", "score": "0.0", "index": "0.0", "ms": "0.0",
                         "time": "yyyy-mm-dd hh:mm:ss"}.get(kind)
    return Column(key, label, kind, first_desc, number_format, export_label)


def _unit_tail() -> list[Column]:
    return [
        _c("headcount", _("应参与人数"), "int"),
        _c("participants", _("参赛人数"), "int"),
        _c("participation_rate", _("参与率"), "percent"),
        _c("attempts", _("答题人次"), "int"),
        _c("average_score", _("平均分"), "score"),
        _c("pass_rate", _("及格率"), "percent"),
        _c("index", _("综合指数"), "index"),
        # Last, so the long-standing columns keep their places in saved workbooks.
        _c("headcount_source", _("人数来源"), "text"),  # 名单 / 填报 (see HEADCOUNT_NOTE)
        _c("off_roster", _("名单外"), "int"),
    ]


def columns(table: str, *, per_contest: bool = False) -> list[Column]:
    """The columns of a table, in display order (labels in the reader's language)."""
    if table == "individuals":
        cols = [_c("rank", _("名次"), "int"), _c("enterprise_rank", _("单位内名次"), "int"),
                _c("name", _("姓名"), "text"), _c("enterprise", _("单位"), "text"),
                _c("department", _("部门"), "text"),
                _c("score", _("得分") if per_contest else _("总分"), "score")]
        if not per_contest:
            cols.append(_c("contests", _("参赛场次"), "int"))
        cols += [_c("attempts", _("答题次数"), "int"),
                 _c("time_used_ms", _("用时"), "ms", export_label=_("用时（秒）"))]
        if per_contest:
            cols.append(_c("submitted_at", _("交卷时间"), "time"))
        return cols + [_c("roster_mark", _("名单外"), "mark")]  # "名单外" or blank (OFF_ROSTER_NOTE)
    head = [_c("rank", _("名次"), "int")]
    if table == "enterprises":
        head += [_c("key", _("单位"), "text"), _c("region", _("镇（街）"), "text"), _c("industry", _("行业"), "text")]
    elif table == "regions":
        head += [_c("key", _("镇（街）"), "text"), _c("units", _("单位数"), "int")]
    elif table == "industries":
        head += [_c("key", _("行业"), "text"), _c("units", _("单位数"), "int")]
    else:
        head += [_c("key", _("部门"), "text")]
    return head + _unit_tail()


def note(table: str) -> str:
    """The note under a table (page and workbook): where 应参与人数 came from, who is 名单外."""
    return _(OFF_ROSTER_NOTE) if table == "individuals" else _(HEADCOUNT_NOTE)


def sort_rows(rows: list, column: Column, descending: bool) -> list:
    """Rows sorted by one column; empty values (None, "": shown as —) always last; ties keep their rank order
    (rank, then the name), whichever the direction."""
    base = sorted(rows, key=lambda r: (r.rank, getattr(r, "key", None) or getattr(r, "name", "")))
    present = [r for r in base if getattr(r, column.key) not in (None, "")]
    missing = [r for r in base if getattr(r, column.key) in (None, "")]
    present.sort(key=lambda r: getattr(r, column.key), reverse=descending)  # stable: ties keep order
    return present + missing


def cell_value(row: Any, column: Column):
    """The value written to the workbook (numbers as numbers; time used in seconds)."""
    value = getattr(row, column.key, None)
    if value is None or (column.kind == "mark" and not value):
        return None
    if column.kind == "ms":
        return round(value / 1000, 1)
    if column.kind == "time" and isinstance(value, datetime):
        local = clock.to_local(value)
        return local.replace(tzinfo=None) if local else None
    if column.kind in ("text", "mark"):
        return shown(value)
    return value


def display(row: Any, column: Column) -> str:
    """A cell's text on the page ("—" for no value), as the app's filters format it."""
    value = getattr(row, column.key, None)
    filters = current_app.jinja_env.filters
    if column.kind == "text":
        return shown(value) if value else "—"
    if column.kind == "mark":
        return shown(value) or ""
    if column.kind == "percent":
        return filters["percent"](value)
    if value is None:
        return "—" if column.kind in ("score", "index", "ms") else ""
    if column.kind in ("score", "index"):
        return f"{value:.1f}"
    if column.kind == "ms":
        return filters["duration"](value)
    if column.kind == "time":
        return filters["local"](value, "%m-%d %H:%M:%S")
    return str(value)


def row_cells(row: Any, cols: list[Column], link: str | None = None, blank: tuple[str, ...] = ()) -> Markup:
    """The <td> cells of one table row, every value escaped. ``link``: the href of the name
    cell (column "key"); ``blank``: columns left empty (the total row's rank, region, …)."""
    out = []
    for column in cols:
        align = "text" if column.kind in ("text", "mark") else "num"
        if column.key in blank:
            out.append(f'<td class="{align}"></td>')
            continue
        text = escape(display(row, column))
        if link is not None and column.key == "key":
            text = Markup('<a href="{}">{}</a>').format(link, text)
        out.append(f'<td class="{align}">{text}</td>')
    return Markup("".join(out))


# ---- the workbook -----------------------------------------------------------------------

_TITLE_FONT = Font(bold=True, size=14)
_BOLD_FONT = Font(bold=True)

def _sheet_name(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("-" if ch in '[]:*?/\\' else ch for ch in cell_text(title)).strip("'") or _("排名")
    return cleaned[:31]


def workbook(title: str, scope: str, cols: list[Column], rows: Iterable[Any], total: Any | None = None,
             sheet_name: str | None = None, note: str | None = None) -> bytes:
    """One sheet: a title row, a scope row, the header row, the rows, and an optional bold total.

    openpyxl's write-only mode streams the rows (a campaign's individuals are many). Cells are
    plain values where they can be (a styled cell object costs several times more), named
    styles carry the number formats, and text that starts with "=" is forced to the string
    type so a name like "=cmd" can never become a formula.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_name(sheet_name or _("排名")))
    sheet.freeze_panes = "A4"  # title, scope and header rows stay in view
    formats = {}
    for code in {c.number_format for c in cols if c.number_format}:
        for bold in (False, True):
            style = NamedStyle(name=f"{code} {'bold' if bold else 'plain'}", number_format=code,
                               font=Font(bold=bold))
            book.add_named_style(style)
            formats[code, bold] = style.name
    for index, column in enumerate(cols, start=1):
        width = 18 if column.kind == "time" else (
            28 if column.key in ("key", "enterprise") else 14) if column.kind == "text" else 10
        sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(value, number_format=None, bold=False, font=None):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, str):
            value = cell_text(value)  # control characters a cell cannot hold
            if not value.startswith("=") and font is None:
                return value
            written = WriteOnlyCell(sheet)
            text_cell(written, value)
        elif value is None or (number_format is None and not bold and font is None):
            return value
        else:
            written = WriteOnlyCell(sheet, value=value)
            if number_format:
                written.style = formats[number_format, bold]
            elif bold:
                written.font = _BOLD_FONT
        if font is not None:
            written.font = font
        return written

    sheet.append([cell(str(title), font=_TITLE_FONT)])
    sheet.append([cell(str(scope))])
    sheet.append([cell(str(c.export_label or c.label), font=_BOLD_FONT) for c in cols])

    def cells(row, bold=False):
        out = []
        for column in cols:
            value = cell_value(row, column)
            if column.kind == "text" and value is not None:
                value = str(value)
            out.append(cell(value, column.number_format, bold, _BOLD_FONT if bold and isinstance(value, str) else None))
        return out

    for row in rows:
        sheet.append(cells(row))
    if total is not None:
        sheet.append(cells(total, bold=True))
    if note:
        sheet.append([])
        sheet.append([cell(str(note))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
