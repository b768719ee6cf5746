"""The examples in docs/import-formats.md are read as the page says they are.

Each example is marked ``<!-- example: NAME [accepted=N] -->`` followed by a fenced block (or,
for the .xlsx unit list, a Markdown table). Question examples go through the importer and must
give N questions and no error; the unit and roster examples go through their previews and every
row must be new."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from question_bank.importers import parse_file
from quiz.units import rosters
from quiz.units import rules as units
from quiz.extensions import db
from quiz.models import Department

from .conftest import make_enterprise

DOC = Path(__file__).resolve().parent.parent / "docs" / "import-formats.md"
MARKER = re.compile(r"^<!-- example: (?P<name>\S+)(?: accepted=(?P<accepted>\d+))? -->$", re.MULTILINE)


def examples() -> dict[str, tuple[int | None, str]]:
    """{name: (accepted, body)}: the fenced block, or the Markdown table, after each marker."""
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for match in MARKER.finditer(text):
        rest = text[match.end() + 1:]
        fence = re.match(r"```[^\n]*\n(.*?)\n```", rest, re.DOTALL)
        body = fence.group(1) if fence else "\n".join(
            line for line in rest.split("\n\n", 1)[0].splitlines() if line.startswith("|"))
        accepted = match.group("accepted")
        found[match.group("name")] = (int(accepted) if accepted else None, body)
    return found


QUESTION_EXAMPLES = {name: value for name, value in examples().items() if value[0] is not None}


def test_the_page_has_its_examples():
    assert len(QUESTION_EXAMPLES) >= 7
    assert {"units.xlsx", "roster.csv"} <= set(examples())


@pytest.mark.parametrize("name", sorted(QUESTION_EXAMPLES))
def test_question_example_is_read_as_documented(name):
    accepted, body = QUESTION_EXAMPLES[name]
    result = parse_file(name, body.encode("utf-8"))
    assert result.errors == []
    assert [(row.line, row.errors) for row in result.rows if row.errors] == []
    assert sum(1 for row in result.rows if row.question) == accepted


def test_question_example_in_gbk_reads_the_same():
    accepted, body = QUESTION_EXAMPLES["paper.txt"]
    result = parse_file("paper.txt", body.encode("gbk"))
    assert result.encoding == "gb18030"
    assert sum(1 for row in result.rows if row.question) == accepted


def test_unit_example_is_read_as_documented(app):
    _, body = examples()["units.xlsx"]
    book = openpyxl.Workbook()
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in body.splitlines()]
    for cells in [rows[0], *rows[2:]]:  # the |---| line is Markdown, not a row
        book.active.append([cell or None for cell in cells])
    data = io.BytesIO()
    book.save(data)
    preview = units.preview_import("units.xlsx", data.getvalue(), 1024 * 1024)
    assert preview.file_errors == []
    assert [(row.status, row.messages) for row in preview.rows] == [("new", []), ("new", [])]
    assert [row.industry for row in preview.rows] == ["危险化学品", "仓储物流"]


def test_roster_example_is_read_as_documented(app):
    _, body = examples()["roster.csv"]
    enterprise = make_enterprise("示范化工有限公司", "HGQY")
    for name in ("安全环保部", "生产一车间", "仓储部"):
        db.session.add(Department(enterprise_id=enterprise.id, name=name, headcount=0))
    db.session.commit()
    preview = rosters.preview_import(enterprise.id, "roster.csv", body.encode("utf-8"), 1024 * 1024)
    assert preview.file_errors == []
    assert [(row.status, row.messages) for row in preview.rows] == [("new", [])] * 3
    assert preview.rows[1].phone == "13900139000"
