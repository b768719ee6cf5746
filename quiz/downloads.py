"""Files the app hands out (every .xlsx export): one Content-Disposition for all of them.

The header names the file twice (RFC 6266): ``filename*=UTF-8''…`` with its Chinese name, for
the browsers that read it, and a plain ``filename="…"`` in ASCII for the clients that do not
(some mail and office clients, old download managers). Werkzeug's own fallback drops every
non-ASCII character, so "活动进展情况统计表-2026年….xlsx" became "-2026.xlsx"; here the caller
gives a readable English fallback ("statistics-2026.xlsx").
"""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
# What a cell of an .xlsx must not hold: the C0 controls XML 1.0 refuses (openpyxl raises
# IllegalCharacterError for them: a name like "\x07" made an export a 500), DEL and the C1
# controls (legal XML, but invisible garbage in Excel), lone surrogates and U+FFFE/U+FFFF.
# Tab, line feed and carriage return stay: they are whitespace an explanation may hold.
_NOT_IN_CELLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def cell_text(value):
    """``value`` as it may go into a workbook cell (or a sheet or chart title): text without the
    characters above; anything else unchanged. Every .xlsx export writes its text through this
    (directly, or through ``bank.files.text_cell``), so a value stored before input was cleaned,
    or inserted past the forms, never breaks an export."""
    if isinstance(value, str):
        return _NOT_IN_CELLS.sub("", value)
    return value


def ascii_name(text: str) -> str:
    """``text`` with anything but letters, digits, ".", "_" and "-" turned into "-"."""
    cleaned = _NOT_SAFE.sub("-", text).strip("-.") or "download"
    return cleaned[:120]


def disposition(kind: str, name: str, fallback: str) -> str:
    """``attachment``/``inline`` with the UTF-8 name and an ASCII fallback name."""
    # RFC 5987 attr-char: what may stay unescaped in filename*.
    quoted = quote(name.replace("/", "-").replace("\\", "-"), safe="!#$&+-.^_`|~")
    return f"{kind}; filename=\"{ascii_name(fallback)}\"; filename*=UTF-8''{quoted}"


def attachment(body: bytes, name: str, fallback: str, mimetype: str = XLSX) -> Response:
    """A download: ``name`` as the browser saves it, ``fallback`` (ASCII) for older clients."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition("attachment", name, fallback)
    return response
