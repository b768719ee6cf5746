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
