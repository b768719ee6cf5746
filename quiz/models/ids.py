"""Ids from URLs and forms."""
from __future__ import annotations



# Ids and positions are INTEGER columns (PostgreSQL's 32-bit integer): a number from a URL or
# a form beyond this is no row, and must not reach the driver (SQLite raises OverflowError).
ID_MAX = 2**31 - 1


def parse_id(raw) -> int | None:
    """An id typed into a form or query string, or None when it cannot be one (not digits,
    or beyond ID_MAX): the caller answers "not found" as for any other missing row."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= ID_MAX else None
