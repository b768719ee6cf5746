"""Importing a list with a preview: the pieces the unit import and the roster import share.

An upload is read with the question importer's guarded readers (``question_bank.importers``:
zip-bomb check, old .xls, formulas, row limit; .csv in UTF-8 or GBK where the list allows it),
the header row is found among the first rows of each sheet, and every data row is handed to
the list's own rules, which give it a verdict (新增 / 更新 / 未变 / 错误). The upload waits on
disk under a token until its uploader confirms it; the confirmation reads it again and writes
only the valid rows, in one transaction. Exports are written as text cells in the import's own
layout, so that export → import changes nothing.
"""
from __future__ import annotations

import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _, pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from ..bank.files import text_cell
from ..errors import NotFound
from ..i18n import N_  # marks a message for extraction; translated where shown



ONLY_XLSX = N_("只支持 Excel（.xlsx）文件")
ONLY_TABLES = N_("只支持 Excel（.xlsx）或 CSV（.csv）文件")
WORD_FILE = N_("这是 Word 文件：请把名单整理成 Excel 表格后再导入")
TOTAL_ROWS = {"合计", "总计", "小计", "共计", "合计:", "合计：", "总计:", "总计："}
STATUS_LABELS = {"new": "新增", "update": "更新", "same": "未变", "error": "错误"}  # shown as PreviewRow.label
UPLOAD_LIFETIME_SECONDS = 24 * 3600


@dataclass
class PreviewRow:
    """One data row's verdict; each list adds the values it reads."""

    line: int
    sheet: str | None
    status: str  # new | update | same | error
    messages: list[str]

    @property
    def where(self) -> str:
        return (_("%(sheet)s 第 %(line)s 行", sheet=self.sheet, line=self.line) if self.sheet
                else _("第 %(line)s 行", line=self.line))

    @property
    def label(self) -> str:
        return {"new": pgettext("import", "新增"), "update": pgettext("import", "更新"),
                "same": pgettext("import", "未变"), "error": pgettext("import", "错误")}[self.status]


@dataclass
class Preview:
    filename: str
    rows: list = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def importable(self) -> list:
        return [row for row in self.rows if row.status in ("new", "update")]


@dataclass
class SourceRow:
    """A data row of the upload: where it is, its cells by column key, whether it has formulas."""

    line: int
    sheet: str | None
    cell: Callable[[str], str]
    formula: bool


def header_columns(cells: list[str], headers: dict[str, list[str]]) -> dict[str, int]:
    """{key: column} for the header cells named in ``headers`` (the earlier name wins a tie)."""
    from question_bank.importers import _header_name

    columns: dict[str, tuple[int, int]] = {}
    for col, cell in enumerate(cells):
        name = _header_name(cell)
        for key, names in headers.items():
            if name in names and (key not in columns or names.index(name) < columns[key][0]):
                columns[key] = (names.index(name), col)
    return {key: col for key, (_rank, col) in columns.items()}


def read_sheets(filename: str, data: bytes, max_bytes: int, headers: dict[str, list[str]],
                max_rows: int = 20000, csv_ok: bool = False):
    """(sheets, error): [(sheet name, rows)] read with the question importer's guarded readers.

    A .csv (when ``csv_ok``) is one sheet; its delimiter is the one under which a header row
    names the most of ``headers``."""
    from question_bank import importers

    limits = importers.Limits(max_bytes=max_bytes, max_rows=max_rows)
    name = (filename or "").lower()
    if len(data) > max_bytes:
        return None, _("文件超过 %(size)s 上限", size=importers._size_text(max_bytes))
    if not data:
        return None, _("文件是空的")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return None, importers.OLD_XLS
    try:
        if data.startswith(b"PK"):
            if importers._check_zip(data, limits) == "docx":
                return None, _(WORD_FILE)
            return importers._read_workbook(data, limits), None
        if name.endswith((".xlsx", ".xlsm")):
            return None, importers.NOT_XLSX
        if not (csv_ok and name.endswith((".csv", ".txt"))):
            return None, _(ONLY_TABLES) if csv_ok else _(ONLY_XLSX)
        return [(name, _csv_sheet(data, headers, limits))], None
    except importers._FileError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a bad upload must not become a 500
        return None, _("读取文件时出错（%(error)s），请检查文件内容", error=type(exc).__name__)


def _csv_sheet(data: bytes, headers: dict[str, list[str]], limits) -> list:
    from question_bank import importers

    text, _encoding = importers._decode(data)

    def named(delimiter: str) -> int:
        rows = importers._csv_rows(text, delimiter, limit=importers._HEADER_SEARCH_ROWS)
        return max((len(header_columns(row.cells, headers)) for row in rows), default=0)

    delimiter = max((",", "\t", ";"), key=named)  # a tie keeps the comma
    rows = [row for row in importers._csv_rows(text, delimiter) if any(c.strip() for c in row.cells)]
    if len(rows) > limits.max_rows:
        raise importers._FileError(_("文件超过 %(n)s 行上限，请拆分后再导入", n=limits.max_rows))
    return rows


def source_rows(result: Preview, sheets, headers: dict[str, list[str]], key: str,
                no_header: str, empty: str) -> Iterator[SourceRow]:
    """The data rows under each sheet's header row (``key`` and one more column named).

    Skipped: the header repeated further down, rows with only a 序号 or a remark, 合计 lines.
    Problems with the whole file go to ``result.file_errors``: no header anywhere, a table
    whose header is not found (an instructions sheet is fine), no rows at all."""
    from question_bank.importers import _HEADER_SEARCH_ROWS

    readable = [(name, rows) for name, rows in sheets if rows]
    without_header = []
    tables = []
    for sheet_name, rows in readable:
        header = None
        for position, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
            columns = header_columns(row.cells, headers)
            if key in columns and len(columns) >= 2:
                header = (position, columns)
                break
        if header is None:
            if sum(1 for row in rows if sum(1 for c in row.cells if c.strip()) >= 2) >= 2:
                without_header.append(sheet_name)
        else:
            tables.append((sheet_name, rows, header))
    if not tables:
        result.file_errors.append(no_header if readable else empty)
        return
    several = len(tables) > 1
    found = 0
    for sheet_name, rows, (position, columns) in tables:
        header_cells = rows[position].cells
        for row in rows[position + 1:]:
            def cell(name: str, row=row, columns=columns) -> str:
                col = columns.get(name)
                return row.cells[col] if col is not None and col < len(row.cells) else ""

            first = columns[key]
            if first < len(row.cells) and row.cells[first].strip() == header_cells[first].strip():
                continue  # the header repeated further down
            if not any(cell(name).strip() for name in columns):
                continue  # a row with only a 序号 or a remark
            if re.sub(r"\s+", "", cell(key)) in TOTAL_ROWS:
                continue  # the 合计 line under the list is not an entry
            found += 1
            yield SourceRow(row.line, sheet_name if several else None, cell,
                            bool(row.formulas & set(columns.values())))
    result.file_errors.extend(_("工作表「%(name)s」没有找到表头，已跳过", name=name) for name in without_header)
    if not found:
        result.file_errors.append(empty)


# --------------------------------------------------------------------------- uploads


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(kind: str, data: bytes, meta: dict) -> str:
    """Store an upload until it is confirmed; its token. Uploads of ``kind`` older than a day,
    previewed but never confirmed, are dropped."""
    cutoff = time.time() - UPLOAD_LIFETIME_SECONDS
    for path in _upload_dir().glob(f"{kind}-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass
    token = secrets.token_hex(16)
    (_upload_dir() / f"{kind}-{token}.bin").write_bytes(data)
    (_upload_dir() / f"{kind}-{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def stored_upload(kind: str, token: str, **expected) -> tuple[Path, dict]:
    """An upload waiting for confirmation, if its stored meta has the ``expected`` values
    (its uploader's id, its enterprise): someone else's token is “not found”."""
    gone = NotFound(_("导入任务不存在或已过期，请重新上传。"))
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise gone
    meta_path = _upload_dir() / f"{kind}-{token}.json"
    data_path = _upload_dir() / f"{kind}-{token}.bin"
    if not meta_path.exists() or not data_path.exists():
        raise gone
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if any(meta.get(name) != value for name, value in expected.items()):
        raise gone
    return data_path, meta


def drop_upload(data_path: Path) -> None:
    data_path.unlink(missing_ok=True)
    data_path.with_suffix(".json").unlink(missing_ok=True)


# --------------------------------------------------------------------------- export


def sheet_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_row(sheet, values: list) -> None:
    """Append ``values`` as text cells (a name starting with “=” never becomes a formula)."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, start=1):
        text_cell(sheet.cell(row=row, column=column), value)


def format_sheet(sheet, widths: tuple[int, ...]) -> None:
    """Bold header row (kept in view: frozen panes below it) and column widths."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + column)].width = width
