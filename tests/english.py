"""What an English page may still show in Chinese: only user and bank data.

``data_strings`` collects every text stored in the database (names, titles, questions,
options, explanations, categories, tags …) and the statutes; ``untranslated`` removes those
from a page's visible text (and its title/alt/placeholder/aria-label attributes) and returns
each run of Chinese characters left, with its context. Anything left is interface text that
needs ``_()`` and an English translation.
"""
from __future__ import annotations

import html as html_lib
import io
import json
import re
from html.parser import HTMLParser

from sqlalchemy import JSON, String, Text, select

from question_bank.laws import statutes
from quiz.extensions import db

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]*[\u3400-\u9fff\uf900-\ufaff]+"
                 r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]*")
ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
# Not data, yet rightly Chinese on an English page: the switch back to Chinese names its language.
ALLOWED = ("中文",)


def _flatten(value):
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value[:1] in "[{" else None
        except ValueError:
            parsed = None
        if parsed is not None:
            yield from _flatten(parsed)
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)


def data_strings() -> list[str]:
    """Every stored text containing Chinese, longest first (so a long one goes before its parts)."""
    found: set[str] = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        for column in columns:
            for (value,) in db.session.execute(select(column).distinct()):
                for text in _flatten(value):
                    if text and CJK.search(str(text)):
                        found.add(str(text))
    for law, articles in statutes().items():
        found.add(law)
        for number, text in articles.items():
            found.update((number, text))
    # A 依据 is shown as 《法名》第X条: its parts are bank data too.
    for basis in list(found):
        if " 第" in basis:
            law, _, article = basis.partition(" ")
            found.update({law, article, f"《{law}》"})
    return sorted(found, key=len, reverse=True)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and dict(attrs).get("type") in ("submit", "button") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(body: bytes | str) -> str:
    if isinstance(body, bytes) and body[:2] == b"PK":  # .xlsx: every cell
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for v in row if v is not None) + "\n" + "\n".join(s.title for s in book.worksheets)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    parser = _Text()
    parser.feed(text)
    return "\n".join(parser.parts)


def untranslated(body: bytes | str, data: list[str]) -> list[str]:
    text = re.sub(r"\s+", " ", html_lib.unescape(visible_text(body)))
    for value in (*data, *ALLOWED):
        value = re.sub(r"\s+", " ", value)  # as the page's text is
        if value in text:
            text = text.replace(value, " ")
    return [f"…{text[max(0, m.start() - 20):m.end() + 20].strip()}…" for m in CJK.finditer(text)]
