"""Reading the question files organisers already have (see IMPORT_FORMATS.md).

``parse_file(filename, data)`` turns an upload into questions shaped like the built-in bank
(types single/multi/judge, options without letters, answer as sorted letters, judge options
["正确", "错误"]) plus messages in Chinese saying row by row what could not be read.

The format is detected from the content (the extension is only a hint):

* zip magic → .xlsx (checked for zip bombs before openpyxl sees it);
* otherwise the bytes are decoded (UTF-8 with or without BOM, else GB18030) and sniffed:
  a delimited table with a recognisable header row → csv; GIFT markers → gift;
  ``ANSWER:`` lines → aiken; anything else → a plain-text paper.

Spreadsheets and csv are both turned into rows of strings with the row number a person sees,
then share one header/row reader. Every reader produces ``_Draft``s (fields as written in the
file) and one function, ``_finish``, normalises and checks them, so the rules are the same
whatever the file looked like. Pure functions: no Flask, no database.
"""
from __future__ import annotations

import csv
import contextvars
import io
import math
import re
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Callable

from .loader import normalise_stem

LETTERS = "ABCDEFGH"
JUDGE_OPTIONS = ["正确", "错误"]
FORMULA_ERROR = "单元格含公式，请粘贴为数值后再导入"
NO_QUESTIONS = "文件中没有找到题目"
NO_HEADER = "找不到表头：需要题干和答案列"
NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件"
OLD_XLS = "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"
ZIP_BOMB = "文件解压后过大，疑似压缩炸弹，已拒绝"
TOO_COMPLEX = "文件过大或过于复杂，读取超时，请拆分成几个小文件（或删去多余的工作表）后再导入"
# Columns that group questions by trade or part (作业种类, 第一部分…), not by the bank's own
# categories: their values become tags unless the organiser maps them to a category.
GROUP_COLUMNS = frozenset({"作业种类", "部分", "所属部分", "一级纲要", "知识点", "二级纲要", "题库", "所属题库"})
BAD_ENCODING = "无法识别文件编码，请另存为 UTF-8 或 GBK"
UNSUPPORTED_GIFT = "不支持的 GIFT 题型"
OLD_DOC = "不支持旧版 Word .doc 文件，请在 Word 中另存为 .docx 后再导入"
NOT_DOCX = "文件不是有效的 Word（.docx）文件"
MACRO_DOCX = "这是 Word 模板或启用宏的文档，请在 Word 中另存为 .docx 后再导入"
ENCRYPTED = "文件设有打开密码，请在 Office 中取消密码后再导入"
_DOCX_HINTS = ("docx", "docm", "dotx")
_WORD_HINTS = ("doc", "dot", "wps", "rtf", *_DOCX_HINTS)


# --------------------------------------------------------------------------- public types


@dataclass
class ImportedQuestion:
    qtype: str
    stem: str
    options: list[str]
    answer: str
    explanation: str = ""
    category: str | None = None
    difficulty: int | None = None
    basis: str | None = None
    tags: list[str] = field(default_factory=list)
    score: float | None = None
    # The header of the column the category came from (e.g. "作业种类"); None for other formats.
    category_column: str | None = field(default=None, compare=False)
    uid: str | None = None  # the 编号 column of our own export: which bank question the row is


@dataclass
class RowResult:
    line: int
    sheet: str | None
    question: ImportedQuestion | None
    errors: list[str]


@dataclass
class ParseResult:
    format: str
    rows: list[RowResult]
    errors: list[str]
    encoding: str | None = None


@dataclass(frozen=True)  # frozen: it is used as a default argument
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed: int = 64 * 1024 * 1024  # summed over every member of the zip
    max_ratio: int = 100
    max_rows: int = 20000
    # Parsing stops with TOO_COMPLEX after this long (below gunicorn's 30 s worker timeout);
    # ``clock`` is injectable so tests need not wait.
    max_seconds: float = 20.0
    clock: Callable[[], float] = time.monotonic
    max_docx_uncompressed: int = 50 * 1024 * 1024  # a Word paper is text: 50 MB unpacked is plenty


class _FileError(Exception):
    """A problem with the whole file; its message is shown to the organiser as is."""


def parse_file(filename: str, data: bytes, limits: Limits = Limits()) -> ParseResult:
    """Parse an uploaded question file. Never raises: anything unexpected becomes a file error."""
    hint = _extension(filename)
    reset = _DEADLINE.set((limits.clock, limits.clock() + limits.max_seconds))
    try:
        return _parse(hint, bytes(data), limits)
    except _FileError as exc:
        return ParseResult(_format_from_hint(hint), [], [str(exc)])
    except Exception as exc:  # noqa: BLE001 - the boundary: a bad upload must not become a 500
        return ParseResult(
            _format_from_hint(hint), [], [f"读取文件时出错（{type(exc).__name__}），请检查文件内容"]
        )
    finally:
        _DEADLINE.reset(reset)


# (clock, deadline) of the parse in progress; a ContextVar so concurrent requests (gevent) each
# have their own.
_DEADLINE: contextvars.ContextVar[tuple[Callable[[], float], float] | None] = contextvars.ContextVar(
    "import_deadline", default=None)


def _check_time() -> None:
    """Called while reading rows and checking them: a file that takes too long is refused."""
    current = _DEADLINE.get()
    if current is not None and current[0]() > current[1]:
        raise _FileError(TOO_COMPLEX)


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def _format_from_hint(hint: str) -> str:
    if hint in ("xlsx", "xlsm", "xls"):
        return "xlsx"
    if hint in ("csv", "tsv"):
        return "csv"
    if hint in ("gift", "aiken"):
        return hint
    if hint in _WORD_HINTS:
        return "docx"
    return "txt"


def _parse(hint: str, data: bytes, limits: Limits) -> ParseResult:
    if len(data) > limits.max_bytes:
        raise _FileError(f"文件超过 {_size_text(limits.max_bytes)} 上限")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # OLE compound file: Excel 97-2003, Word 97-2003, or an Office file with a password.
        if "EncryptedPackage".encode("utf-16-le") in data[:1024 * 1024]:
            raise _FileError(ENCRYPTED)
        raise _FileError(OLD_DOC if hint in _WORD_HINTS else OLD_XLS)
    if hint in _WORD_HINTS and re.match(rb"\s*(?:\{\\rtf|<)", data[:64]):
        # "Word" files that are RTF, HTML or Word 2003 XML (web exports often are)
        raise _FileError(OLD_DOC)
    if data.startswith(b"PK") and zipfile.is_zipfile(io.BytesIO(data)):
        if _check_zip(data, limits, hint) == "docx":
            result = _parse_docx(data, limits)
        else:
            result = _parse_xlsx(data, limits)
    elif hint in ("xlsx", "xlsm"):
        raise _FileError(NOT_XLSX)
    elif hint in _DOCX_HINTS:
        raise _FileError(NOT_DOCX)
    else:
        result = _parse_text(hint, data, limits)
    _reject_duplicates(result.rows)
    if not result.rows and not result.errors:
        result.errors.append(NO_QUESTIONS)
    return result


def _size_text(size: int) -> str:
    """50 MB limit as "50 MB"; limits below 1 MB (tests, small deployments) in KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


# --------------------------------------------------------------------------- drafts → questions


@dataclass
class _Draft:
    """One question as written in the file, before normalising and checking."""

    line: int
    sheet: str | None = None
    stem: str = ""
    qtype: str | None = None  # declared by a column, heading, sheet name or format; None: infer
    options: list[str] = field(default_factory=list)
    answer: str = ""  # the answer cell/line as written
    letters: str | None = None  # answer already known as letters (是否正确, （正确答案）, GIFT)
    explanation: str = ""
    category: str | None = None
    category_column: str | None = None
    difficulty: str = ""
    five_scale: bool = False  # the table's numeric 难度 runs 1–5 (some value is 4 or 5)
    basis: str = ""
    score: str = ""
    uid: str = ""
    tags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # found while reading; they end the checks

    def has_content(self) -> bool:
        return bool(self.stem.strip() or self.answer.strip() or any(o.strip() for o in self.options)
                    or self.letters)


_TRUE_WORDS = {"正确", "对", "√", "✓", "✔", "是", "T", "TRUE", "Y", "YES", "R", "RIGHT", "对的"}
_FALSE_WORDS = {"错误", "错", "×", "✗", "✘", "✕", "X", "否", "F", "FALSE", "N", "NO", "WRONG", "错的",
                "不正确", "不对", "不是", "非"}  # 判断 written as 正确/不正确, 对/不对


def _fold(text: str) -> str:
    """Width-folded, upper-case, trimmed: for comparing answers, headers and codes."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def _truth_word(text: str) -> bool | None:
    value = _fold(text).strip("。.;；!！")
    if value in _TRUE_WORDS:
        return True
    if value in _FALSE_WORDS:
        return False
    return None


def _is_judge_pair(options: list[str]) -> bool:
    return len(options) == 2 and {_truth_word(options[0]), _truth_word(options[1])} == {True, False}


def _finish(d: _Draft) -> RowResult:
    """Normalise a draft and check that its answer is consistent with its type and options."""
    _check_time()
    if d.errors:  # formula, unsupported type…: the other fields cannot be trusted
        return RowResult(d.line, d.sheet, None, list(d.errors))
    errors: list[str] = []
    stem = _clean_stem(d.stem)
    if not stem:
        errors.append("缺少题干")
    options = [_clean_text(o) for o in d.options]
    while options and not options[-1]:
        options.pop()  # trailing empty option columns are just unused
    errors.extend(f"选项 {LETTERS[i]} 为空" for i, o in enumerate(options) if not o)
    errors.extend(f"选项 {LETTERS[i]}「{o[:30]}」含有分隔符「{m.group()}」，无法可靠拆分选项"
                  for i, o in enumerate(options) if (m := _PACKING.search(o)))
    qtype = d.qtype or _infer_type(options, d)
    if qtype == "judge":
        answer = _judge_answer(options, d, errors)
        options = list(JUDGE_OPTIONS)
    else:
        answer = _choice_answer(qtype, options, d, errors)
    difficulty = _difficulty(d.difficulty, errors, d.five_scale)
    score = _score(d.score, errors)
    if errors:
        return RowResult(d.line, d.sheet, None, errors)
    question = ImportedQuestion(
        qtype=qtype,
        stem=stem,
        options=options,
        answer=answer,
        explanation=_clean_block(d.explanation),
        category=_clean_text(d.category or "") or None,
        difficulty=difficulty,
        basis=_clean_text(d.basis) or None,
        tags=[t for t in dict.fromkeys(_clean_text(t) for t in d.tags) if t],
        score=score,
        category_column=d.category_column if d.category else None,
        uid=_clean_text(d.uid)[:40] or None,
    )
    return RowResult(d.line, d.sheet, question, [])


def check_typed(qtype: str | None, stem: str, options: list[str], answer: str, explanation: str = "",
                difficulty: str = "", basis: str = "", tags: list[str] | None = None) -> RowResult:
    """A question typed in the bank's form, read by the same rules as an imported row: one
    option per entry (a leading "A." of its own letter is dropped), the answer in any of the
    import's notations (B, A、C, 对/错…), the same checks and messages. More than 8 options
    cannot be lettered and are refused here."""
    if len(options) > len(LETTERS):
        return RowResult(1, None, None, [f"选项最多 {len(LETTERS)} 个"])
    draft = _Draft(
        line=1, stem=stem, qtype=qtype, options=_strip_letters(options),
        answer=answer, explanation=explanation, difficulty=difficulty, basis=basis, tags=list(tags or []),
    )
    return _finish(draft)


def _infer_type(options: list[str], d: _Draft) -> str:
    if _is_judge_pair(options):
        return "judge"
    # With no options a choice question is impossible; only a written judgement (对/√/正确…)
    # makes it a judge question — a bare "A" is more likely a choice row missing its options.
    if not options and d.letters is None and _truth_word(d.answer) is not None:
        return "judge"
    letters = d.letters if d.letters is not None else _letters(d.answer, options)
    return "multi" if letters and len(letters) > 1 else "single"


def _judge_answer(options: list[str], d: _Draft, errors: list[str]) -> str:
    if options and not _is_judge_pair(options):
        errors.append("判断题的选项只能是 正确/错误")
        return ""
    raw = d.letters if d.letters is not None else d.answer
    if not raw.strip():
        errors.append("缺少答案")
        return ""
    truth = _truth_word(raw)
    if truth is None:
        # Position notation: A/B or 1/2 points at an option (正确/错误 unless the file lists them
        # in another order); 0 is the common boolean "false".
        value = _fold(raw)
        position = {"A": 0, "B": 1, "1": 0, "2": 1}.get(value)
        if position is not None:
            truth = _truth_word(options[position]) if options else position == 0
        elif value == "0":
            truth = False
    if truth is None:
        errors.append(f"判断题答案「{raw.strip()}」无法识别，应为 正确/错误、对/错、√/×、是/否、A/B 或 T/F")
        return ""
    return "A" if truth else "B"


def _choice_answer(qtype: str, options: list[str], d: _Draft, errors: list[str]) -> str:
    if len(options) < 2:
        errors.append("至少需要两个选项")
    letters = d.letters if d.letters is not None else _letters(d.answer, options)
    if letters is None:
        errors.append(f"答案「{d.answer.strip()}」无法识别")
        return ""
    if not letters:
        errors.append("缺少答案")
        return ""
    if len(options) < 2:
        return ""  # "不在选项中" would only repeat the missing options
    outside = [letter for letter in letters if letter not in LETTERS[: len(options)]]
    if outside:
        errors.append(f"答案 {'、'.join(outside)} 不在选项中")
    elif qtype == "single" and len(letters) > 1:
        errors.append("单选题只能有一个答案")
    elif qtype == "multi" and len(letters) < 2:
        errors.append("多选题至少需要两个正确答案")
    return letters


_ANSWER_SEPARATORS = re.compile(r"[\s,、/|;和与及]+")


def _letters(raw: str, options: list[str]) -> str | None:
    """Answer letters, sorted and unique: B, ACD, A,C, A，C, A、C, A/C/D, 1–8, or an option's text.

    "" when nothing is written, None when the answer cannot be read as letters."""
    text = _fold(raw).strip("。.")
    if not text:
        return ""
    folded_options = [_fold(o) for o in options]
    if text in folded_options and not re.fullmatch(r"[A-H]+|\d+", text):
        return LETTERS[folded_options.index(text)]  # some systems export the right option's text
    letters: list[str] = []
    for token in _ANSWER_SEPARATORS.split(text):
        if re.fullmatch(r"[A-Z]+", token):
            letters.extend(token)
        elif re.fullmatch(r"[1-9]+", token):
            # Position numbers: 1 → A. "13" without separators means options 1 and 3.
            letters.extend(chr(ord("A") + int(digit) - 1) for digit in token)
        elif token:
            return None
    return "".join(sorted(set(letters)))


_DIFFICULTY_WORDS = {
    "简单": 1, "易": 1, "容易": 1, "较易": 1, "低": 1,
    "中等": 2, "中": 2, "一般": 2, "适中": 2,
    "困难": 3, "难": 3, "较难": 3, "高": 3,
}


def _difficulty(raw: str, errors: list[str], five_scale: bool = False) -> int | None:
    value = _fold(raw)
    if not value:
        return None
    if value in _DIFFICULTY_WORDS:
        return _DIFFICULTY_WORDS[value]
    try:
        number = float(value)
    except ValueError:
        number = 0
    if number in (1, 2, 3, 4, 5):
        # A table whose 难度 reaches 4 or 5 uses a 1–5 scale, folded onto the bank's 1–3;
        # otherwise 1–3 is the bank's own scale (our export and template write it).
        if five_scale:
            return {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}[int(number)]
        return min(int(number), 3)
    errors.append(f"难度「{raw.strip()}」无法识别，应为 简单/中等/困难 或 1–5")
    return None


def _score(raw: str, errors: list[str]) -> float | None:
    value = _fold(raw).removesuffix("分")
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        score = -1
    if not math.isfinite(score) or score < 0:
        errors.append(f"分值「{raw.strip()}」不是有效的数字")
        return None
    return score


# --------------------------------------------------------------------------- cleaning text

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Control characters (C0, DEL, C1) never reach the bank, a roster or the unit list: dropped
# from every cell and line read. Tab, line feed and carriage return stay (separators and line
# breaks the readers use); vertical tab, form feed and NEL are line breaks too.
_INVISIBLE.update(dict.fromkeys(c for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (9, 10, 13)))
_INVISIBLE.update({0x0B: "\n", 0x0C: "\n", 0x85: "\n"})
# Own numbering at the start of a stem: "12." "12、" "（12）" "第12题". (?!\d) keeps "1.5米".
# "263\t氩气…": a TAB after the number is a separator too.
_NUMBERING = re.compile(
    r"^(?:第\s*\d{1,5}\s*题\s*[.．、:：]?|[（(]\s*\d{1,5}\s*[)）]|\d{1,5}\s*[.．、:：)）](?!\d)|\d{1,5}\t)\s*"
)
# A number that may be the row's own or the text's: "260.1kW以上…" (question 260 about 1 kW,
# or 260.1 kW?), "12 人以上…". Only stripped next to a clearly numbered n-1 / n+1.
_MAYBE_NUMBERING = re.compile(r"^\s*(\d{1,5})(?:[.．](?=\d)|[ \u3000]+(?=\D))")
_SURE_NUMBERING = re.compile(r"^\s*(?:第\s*(\d{1,5})\s*题|[（(]\s*(\d{1,5})\s*[)）]|(\d{1,5})\s*(?:[.．、:：)）](?!\d)|\t))")


def _strip_own_numbers(drafts: list[_Draft]) -> None:
    """Drop a stem's leading number that is not followed by a clear separator ("260.1kW以上…")
    when it runs on from the clearly numbered row before ("259.") or into the one after ("261、"):
    then it is the row's numbering. Two rows "1.5米…", "2.4米…" keep their numbers."""
    sure: list[int | None] = []
    for d in drafts:
        match = _SURE_NUMBERING.match(d.stem)
        sure.append(int(next(g for g in match.groups() if g)) if match else None)
    for i, d in enumerate(drafts):
        match = _MAYBE_NUMBERING.match(d.stem)
        if not match or sure[i] is not None:
            continue
        n = int(match.group(1))
        before = sure[i - 1] if i > 0 else None
        after = sure[i + 1] if i + 1 < len(sure) else None
        if before == n - 1 or after == n + 1:
            d.stem = d.stem[match.end():]
# Blank placeholders: empty brackets with spaces/underscores, or a run of underscores.
_PLACEHOLDER = re.compile(r"[（(][\s_＿]*[)）]|[_＿]{2,}")


def _clean_text(text: str) -> str:
    """One line: cell newlines joined, invisible characters dropped, spaces trimmed."""
    lines = [line.strip() for line in text.translate(_INVISIBLE).splitlines()]
    parts: list[str] = []
    for line in filter(None, lines):
        # Chinese text wrapped inside a cell joins without a space; Latin words keep one.
        if parts and parts[-1][-1].isascii() and line[0].isascii():
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


def _clean_block(text: str) -> str:
    """Multi-line text (explanations) keeps its line breaks, trimmed line by line."""
    lines = [line.strip() for line in text.translate(_INVISIBLE).splitlines()]
    return "\n".join(line for line in lines if line)


def _clean_stem(text: str) -> str:
    stem = _NUMBERING.sub("", _clean_text(text), count=1)
    return _PLACEHOLDER.sub("（　）", stem).strip()


# Option markers "A." "A、" "A：" "A-" "(A)" …, in full or half width.
_MARKER_SEPARATORS = r"[.．、:：)）]"


def _marker(letter: str, strict: bool) -> re.Pattern[str]:
    wide = chr(ord(letter) - ord("A") + ord("Ａ"))
    if strict:
        # Strict: the letter starts the text or follows a space/delimiter, so "维生素B、C" inside
        # an option is not taken as option B. "-" only counts here ("A-带电|B-停电").
        return re.compile(rf"(?<![^\s*|;；）)。？?])[（(]?[{letter}{wide}]\s*(?:{_MARKER_SEPARATORS}|-)")
    # Loose: options run together ("A.xxB.xxC.xx"); any preceding character is allowed.
    return re.compile(rf"[（(]?[{letter}{wide}]\s*{_MARKER_SEPARATORS}")


_MARKERS = {strict: [_marker(letter, strict) for letter in LETTERS] for strict in (True, False)}


def _split_options(text: str, strict: bool) -> tuple[str, list[str]]:
    """Split "prefix A.xx B.xx …" at markers in letter order; returns (prefix, options)."""
    found: list[re.Match[str]] = []
    position = 0
    for pattern in _MARKERS[strict]:
        match = pattern.search(text, position)
        if not match:
            break
        found.append(match)
        position = match.end()
    if not found:
        return text, []
    ends = [m.start() for m in found[1:]] + [len(text)]
    options = [text[m.end() : end].strip(" \t\r\n*|;；") for m, end in zip(found, ends)]
    return text[: found[0].start()], options


def _split_lettered(text: str) -> list[str]:
    """Options that start with letters: strict markers first; loose ones when the options are
    run together ("A.xxB.xxC.xx" gives only A under the strict rule)."""
    _, options = _split_options(text, strict=True)
    if len(options) < 2:
        _, options = _split_options(text, strict=False)
    return options


def _split_packed(cell: str) -> tuple[list[str], str | None]:
    """Options packed in one cell: **A.正确**B.错误, A-带电|B-停电, A：xx / A、xx on lines,
    生产##使用##安全. Returns (options, error): the error says why the cell cannot be split
    with confidence (the row is then refused rather than stored with options glued together)."""
    if not cell.strip():
        return [], None
    if _PACKING.search(cell):
        return _split_at_packing(cell)
    options = _split_lettered(cell)
    if len(options) < 2:  # no letters at all: one option per line or between bars
        options = [part.strip() for part in re.split(r"[\n|]", cell) if part.strip()]
    elif len(options) < len(LETTERS) and _next_letter_glued(options[-1], LETTERS[len(options)]):
        # "A.罚款 B.警告 C停产停业整顿": C has no mark, so B would swallow it
        return [], CANNOT_SPLIT.format(cell=_clean_text(cell)[:40])
    return options, None


def _next_letter_glued(option: str, letter: str) -> bool:
    """The next option's letter, without a mark, after a space inside the last option read."""
    wide = chr(ord(letter) - ord("A") + ord("Ａ"))
    return bool(re.search(rf"\s[{letter}{wide}{letter.lower()}][\u4e00-\u9fff]", option))


# "**" and "##" written between options by some exam systems: **A不要伤害自己**B不要伤害别人,
# **A、市级**B县级, **C|近2年, **D25, **c、润滑系, 生产##使用##安全##节能, A.正确##B.错误.
_PACKING = re.compile(r"\*\*|##")
# The letter at the start of a packed option, in any case or width, with whatever mark
# follows it (. 、 : | , - ) or none — but then not followed by another Latin letter: "ABS".
_PACKED_LETTER = re.compile(
    r"^\s*[（(]?([A-Ha-hＡ-Ｈａ-ｈ])\s*"
    r"(?:[)）]\s*[.．、:：|,，;；\-]?\s*|[.．、:：|,，;；\-]\s*|(?![A-Za-zＡ-Ｚａ-ｚ]))"
)
CANNOT_SPLIT = "选项无法可靠拆分（{cell}），请每个选项前写 A、B、C… 或每列一个选项"


def _split_at_packing(cell: str) -> tuple[list[str], str | None]:
    parts = [part.strip() for part in _PACKING.split(cell)]
    while parts and not parts[0]:
        parts = parts[1:]  # "**A.xx**B.xx" starts with the mark
    while parts and not parts[-1]:
        parts.pop()  # …and may end with it
    letters = [_PACKED_LETTER.match(part) for part in parts]
    own = [bool(m) and _fold(m.group(1)) == LETTERS[i] for i, m in enumerate(letters[: len(LETTERS)])]
    if len(parts) <= len(LETTERS) and all(own):
        options = [part[m.end():].strip() for part, m in zip(parts, letters)]
    elif not any(own):
        options = parts  # 生产##使用##安全: no letters at all
    else:  # some options lettered, some not, or the letters out of order
        return [], CANNOT_SPLIT.format(cell=_clean_text(cell)[:40])
    if len(options) < 2 or not all(options) or any(_PACKING.search(o) for o in options):
        return [], CANNOT_SPLIT.format(cell=_clean_text(cell)[:40])
    return options, None


# --------------------------------------------------------------------------- spreadsheet headers

# Header names as they appear in real files, best first (the first one present wins).
_FIELD_NAMES: dict[str, list[str]] = {
    "type": ["题型", "试题类型", "题目类型", "类型", "题型名称"],
    "stem": ["题干", "题目内容", "问题内容", "试题内容", "试题题干", "题目", "问题", "试题", "题目名称"],
    "answer": ["正确答案", "答案", "正确选项", "题目答案", "标准答案", "参考答案"],
    "explanation": ["解析", "答案解析", "试题解析", "题目解析", "判断题解析", "解释"],
    # The first category-like column present is the category, the others become tags
    # (e.g. 一级纲要 → category, 二级纲要 → tag).
    "category": ["分类", "题目分类", "试题分类", "所属分类", "所属题库", "题库", "作业种类",
                 "一级纲要", "知识点", "二级纲要", "部分", "所属部分"],
    "difficulty": ["难度", "难易度", "难度等级", "难易程度"],
    "basis": ["依据", "题目依据", "法律依据"],
    "score": ["分值", "试题分数", "分数", "题目分值"],
    "tags": ["标签", "关键词", "关键字"],
    "packed": ["选项", "选项内容", "备选项", "答案选项", "题目选项", "所有选项"],
    "uid": ["编号", "题目编号", "试题编号"],  # our export's 编号: a re-import updates by it
}
# The headers of the bank's English export (quiz.bank.files.export_headers), folded: read last.
for _field, _english in {"type": "TYPE", "stem": "QUESTION", "answer": "ANSWER", "explanation": "EXPLANATION",
                         "category": "CATEGORY", "difficulty": "DIFFICULTY", "basis": "LEGALBASIS", "tags": "TAGS",
                         "uid": "ID"}.items():
    _FIELD_NAMES[_field].append(_english)
_FLAG_NAMES = {"是否正确", "是否正确答案", "正确与否", "是否答案", "是否正确项", "正确项", "是否为正确答案"}
_CHINESE_DIGITS = "一二三四五六七八"
_TYPE_WORDS = [
    ("单项选择", "single"), ("单选", "single"), ("多项选择", "multi"), ("多选", "multi"),
    ("不定项", None), ("判断", "judge"), ("是非", "judge"), ("对错", "judge"),
    ("选择", None),  # 选择题 / 不定项: single or multi, decided by the number of answers
    ("SINGLE", "single"), ("MULTI", "multi"), ("TRUE/FALSE", "judge"),  # the English export's types
]
_OTHER_KINDS = ("填空", "简答", "问答", "论述", "案例", "计算", "名词解释")


def _header_name(cell: str) -> str:
    """"题型（0单选，1判断，2多选）" → "题型"; "*题干" → "题干"; "选项 a" → "选项A"."""
    name = _fold(cell)
    name = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", name)
    return re.sub(r"[\s*:：]", "", name)


def _option_index(name: str) -> int | None:
    """Column for one option: A…H, 选项A…选项H, A选项, 选项一…选项八, 选项1…选项8, OPTION A (English export)."""
    match = re.fullmatch(r"(?:选项|OPTION)?([A-H])(?:选项)?", name)
    if match:
        return LETTERS.index(match.group(1))
    match = re.fullmatch(r"选项([一二三四五六七八]|[1-8])", name)
    if match:
        value = match.group(1)
        return _CHINESE_DIGITS.index(value) if value in _CHINESE_DIGITS else int(value) - 1
    return None


def _type_codes(header: str) -> dict[str, str | None]:
    """Codes explained in the header: 题型（0单选，1判断，2多选） or 题型(单选=1,多选=2,判断=3)."""
    text = _fold(header)
    codes: dict[str, str | None] = {}
    for word, qtype in _TYPE_WORDS:
        for match in re.finditer(rf"(\d+)\s*[:=\-.、为]?\s*{word}", text):
            codes.setdefault(match.group(1), qtype)
        for match in re.finditer(rf"{word}题?\s*[:=\-为]\s*(\d+)", text):
            codes.setdefault(match.group(1), qtype)
    return codes


@dataclass
class _Columns:
    """Where each field is in a table, found from its header row."""

    fields: dict[str, int] = field(default_factory=dict)
    options: dict[int, int] = field(default_factory=dict)  # option index → column
    flags: dict[int, int] = field(default_factory=dict)  # option index → its 是否正确 column
    tag_columns: list[int] = field(default_factory=list)
    category_header: str | None = None
    type_codes: dict[str, str | None] = field(default_factory=dict)
    row_flag: int | None = None  # 是否正确项 of a table with one row per option

    def is_header(self) -> bool:
        return "stem" in self.fields and ("answer" in self.fields or bool(self.flags) or self.per_option())

    def per_option(self) -> bool:
        """One row per option: 题干 / 选项 / 是否正确项 (0-1), the stem on the option's first row."""
        return ("answer" not in self.fields and not self.flags and not self.options
                and self.row_flag is not None and "packed" in self.fields)

    def used(self) -> set[int]:
        flag = set() if self.row_flag is None else {self.row_flag}
        return {*self.fields.values(), *self.options.values(), *self.flags.values(),
                *self.tag_columns, *flag}


def _map_header(cells: list[str]) -> _Columns:
    columns = _Columns()
    candidates: dict[str, list[tuple[int, int]]] = {}
    last_option: int | None = None
    for col, cell in enumerate(cells):
        name = _header_name(cell)
        if not name:
            continue
        option = _option_index(name)
        if option is not None and option not in columns.options:
            columns.options[option] = col
            last_option = option
            continue
        if name in _FLAG_NAMES and last_option is not None:
            columns.flags[last_option] = col  # a 是否正确 column belongs to the option before it
            continue
        if name in _FLAG_NAMES and columns.row_flag is None:
            columns.row_flag = col  # no option column before it: one row per option
            continue
        for fld, names in _FIELD_NAMES.items():
            if name in names:
                candidates.setdefault(fld, []).append((names.index(name), col))
    for fld, found in candidates.items():
        found.sort()
        columns.fields[fld] = found[0][1]
        if fld == "category":
            columns.category_header = _header_name(cells[found[0][1]])
            columns.tag_columns.extend(col for _, col in found[1:])
    if "tags" in columns.fields:
        columns.tag_columns.append(columns.fields.pop("tags"))
    if "type" in columns.fields:
        columns.type_codes = _type_codes(cells[columns.fields["type"]])
        if columns.per_option() and not columns.type_codes:
            # The exam systems that export one row per option number their types 1/2/3.
            columns.type_codes = {"1": "single", "2": "multi", "3": "judge"}
    return columns


def _type_value(raw: str, codes: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(type, error) for a type cell: 单选/单选题/单项选择…, or a code explained in the header."""
    value = _fold(raw)
    if value in codes:
        return codes[value], None
    name = value.removesuffix("题")
    for word, qtype in _TYPE_WORDS:
        if name.startswith(word):
            return qtype, None
    if any(kind in name for kind in _OTHER_KINDS):
        return None, f"不支持的题型「{raw.strip()}」，只能导入单选、多选、判断题"
    return None, f"题型「{raw.strip()}」无法识别，应为 单选、多选 或 判断"


def _sheet_type(name: str | None) -> str | None:
    """One sheet per type: a sheet called 单选题 / 多选题 / 判断题 sets the type of its rows."""
    for word, qtype in _TYPE_WORDS:
        if name and word in name:
            return qtype
    return None


# --------------------------------------------------------------------------- tables (xlsx + csv)


@dataclass
class _Row:
    line: int  # as the spreadsheet shows it
    cells: list[str]
    formulas: set[int]  # columns whose cell is a formula


_HEADER_SEARCH_ROWS = 15  # title and instruction rows come before the header, never many


def _find_header(rows: list[_Row]) -> tuple[int, _Columns] | None:
    """Position of the header row: the first row with a stem-like and an answer-like header."""
    seen = 0
    for position, row in enumerate(rows):
        if not any(c.strip() for c in row.cells):
            continue
        columns = _map_header(row.cells)
        if columns.is_header():
            return position, columns
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    return None


def _table_drafts(
    rows: list[_Row], sheet: str | None, type_hint: str | None
) -> list[_Draft] | None:
    """Drafts of every question row of one table; None when no header row is found."""
    header = _find_header(rows)
    if header is None:
        return None
    position, columns = header
    header_cells = rows[position].cells
    if columns.per_option():
        drafts = _option_row_drafts(rows[position + 1 :], header_cells, columns, sheet, type_hint)
    else:
        drafts = _row_drafts(rows[position + 1 :], header_cells, columns, sheet, type_hint)
    _strip_own_numbers(drafts)
    five_scale = any(_fold(d.difficulty) in {"4", "5"} for d in drafts)
    for draft in drafts:
        draft.five_scale = five_scale
    return drafts


def _row_drafts(rows: list[_Row], header_cells: list[str], columns: _Columns, sheet: str | None,
                type_hint: str | None) -> list[_Draft]:
    drafts = []
    for row in rows:
        if _repeats_header(row.cells, header_cells, columns):
            continue  # the header repeated further down (blocks pasted one under another)
        draft = _row_draft(row, columns, sheet, type_hint)
        if draft.has_content():
            drafts.append(draft)
    return drafts


def _option_row_drafts(rows: list[_Row], header_cells: list[str], columns: _Columns, sheet: str | None,
                       type_hint: str | None) -> list[_Draft]:
    """One row per option: a question starts at a row with a (new) stem, the rows after it
    with an empty or repeated stem add its options; 是否正确项 1/是/√ marks the right ones."""
    stem_col, option_col, flag_col = columns.fields["stem"], columns.fields["packed"], columns.row_flag
    question_columns = _Columns(fields={k: v for k, v in columns.fields.items() if k != "packed"},
                                tag_columns=columns.tag_columns, type_codes=columns.type_codes)
    groups: list[list[_Row]] = []
    for row in rows:
        if _repeats_header(row.cells, header_cells, columns):
            continue
        stem = row.cells[stem_col].strip() if stem_col < len(row.cells) else ""
        if stem and (not groups or stem != groups[-1][0].cells[stem_col].strip()) or not groups:
            groups.append([row])
        else:
            groups[-1].append(row)
    drafts = []
    for group in groups:
        d = _row_draft(group[0], question_columns, sheet, type_hint)
        options, marked = [], []
        for row in group:
            text = row.cells[option_col] if option_col < len(row.cells) else ""
            flag = row.cells[flag_col] if flag_col is not None and flag_col < len(row.cells) else ""
            if not text.strip() and not flag.strip():
                continue
            if _fold(flag) == "1" or _truth_word(flag):
                marked.append(len(options))
            options.append(text)
            if row.formulas & {option_col, flag_col}:
                d.errors = [FORMULA_ERROR]
        if len(options) > len(LETTERS):
            d.errors.append(f"选项最多 {len(LETTERS)} 个")
        else:
            d.options = _strip_letters(options)
            if marked:
                d.letters = "".join(LETTERS[i] for i in marked)
        if d.has_content():
            drafts.append(d)
    return drafts


def _layout_error(rows: list[_Row]) -> str | None:
    """For a table without a usable header: a row that looks like one (a stem column and
    another known column) is named with the columns it has, so the organiser sees what was
    read and what is missing."""
    seen = 0
    for row in rows:
        if not any(c.strip() for c in row.cells):
            continue
        columns = _map_header(row.cells)
        if "stem" in columns.fields and len(columns.used()) >= 2:
            names = "、".join(c.strip() for c in row.cells if c.strip())
            return (f"第 {row.line} 行的表头（{names}）不是能读的题目布局：需要“答案”列，"
                    "或每个选项后的“是否正确”列，或“选项”+“是否正确项”每行一个选项")
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    return None


def _repeats_header(cells: list[str], header: list[str], columns: _Columns) -> bool:
    stem = columns.fields["stem"]
    return stem < len(cells) and cells[stem].strip() == header[stem].strip()


def _row_draft(row: _Row, columns: _Columns, sheet: str | None, type_hint: str | None) -> _Draft:
    def cell(col: int | None) -> str:
        return row.cells[col] if col is not None and col < len(row.cells) else ""

    f = columns.fields
    d = _Draft(line=row.line, sheet=sheet)
    d.stem = cell(f.get("stem"))
    d.answer = cell(f.get("answer"))
    d.explanation = cell(f.get("explanation"))
    d.category = cell(f.get("category"))
    d.category_column = columns.category_header
    d.difficulty = cell(f.get("difficulty"))
    d.basis = cell(f.get("basis"))
    d.score = cell(f.get("score"))
    d.uid = cell(f.get("uid"))
    d.tags = [t for col in columns.tag_columns for t in re.split(r"[,，、;；\s]+", cell(col)) if t]
    if columns.options:
        count = max(columns.options) + 1
        d.options = _strip_letters([cell(columns.options.get(i)) for i in range(count)])
    if not any(o.strip() for o in d.options):
        d.options, error = _split_packed(cell(f.get("packed")))
        if error:
            d.errors.append(error)
    packing = _PACKING.search(d.stem)
    if not d.options and packing and _PACKED_LETTER.match(d.stem[packing.end():]):
        # Options packed into the stem cell: "……（ ）**A.xx**B.xx"
        d.stem, packed = d.stem[: packing.start()], d.stem[packing.start():]
        d.options, error = _split_packed(packed)
        if error:
            d.errors.append(error)
    if columns.flags and not d.answer.strip():
        marked = [LETTERS[i] for i, col in sorted(columns.flags.items()) if _truth_word(cell(col))]
        if marked:
            d.letters = "".join(marked)
    if "type" in f and cell(f["type"]).strip():
        d.qtype, error = _type_value(cell(f["type"]), columns.type_codes)
        if error:
            d.errors.append(error)
    else:
        d.qtype = type_hint
    if row.formulas & columns.used():
        # Only formulas in columns we read matter: "=ROW()-1" in a 序号 column is harmless.
        d.errors = [FORMULA_ERROR]
    return d


def _own_letter(index: int) -> re.Pattern[str]:
    # "A-B-C（开放气道—人工呼吸—胸外按压）" is a sequence of letters, not "A-" and an option.
    return re.compile(rf"^\s*[（(]?{LETTERS[index]}\s*(?:{_MARKER_SEPARATORS}|-(?!\s*[A-Z]\s*[-—]))\s*")


def _strip_letters(options: list[str]) -> list[str]:
    """"A.直接责任人" in column 选项A → "直接责任人" (only the column's own letter). When only
    some options of the row are lettered, a mark followed by a Latin letter is the option's own
    text: "A、B级" next to "C级" and "D级" stays "A、B级"."""
    filled = [(i, o) for i, o in enumerate(options) if o.strip()]
    every = bool(filled) and all(_own_letter(i).match(o) for i, o in filled)
    stripped = []
    for i, option in enumerate(options):
        match = _own_letter(i).match(option) if i < len(LETTERS) else None
        if match and (every or not re.match(r"[A-Za-zＡ-Ｚａ-ｚ]", option[match.end():])):
            option = option[match.end():]
        stripped.append(option)
    return stripped


def _looks_like_table(rows: list[_Row]) -> bool:
    return sum(1 for row in rows if sum(1 for c in row.cells if c.strip()) >= 2) >= 2


# --------------------------------------------------------------------------- xlsx


def _check_zip(data: bytes, limits: Limits, hint: str = "") -> str:
    """Refuse zip bombs from the central directory, before anything is decompressed; say
    whether the zip is a Word document ("docx") or, presumably, a workbook ("xlsx").

    zipfile never inflates a member beyond the size its header declares, so checking the
    declared sizes bounds what openpyxl or python-docx can unpack."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _FileError(NOT_DOCX if hint in _DOCX_HINTS else NOT_XLSX) from exc
    total = 0
    for member in members:
        total += member.file_size
        # The ratio only matters for members big enough to hurt: tiny XML parts compress well.
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise _FileError(ZIP_BOMB)
    # The sum bounds what is unpacked in all: 190 sheets of 1 MB each pass the per-member check.
    packed = sum(member.compress_size for member in members)
    if total > limits.max_uncompressed or (
            total > 1024 * 1024 and total / max(packed, 1) > limits.max_ratio):
        raise _FileError(ZIP_BOMB)
    names = {m.filename for m in members}
    if "word/document.xml" in names:
        if total > limits.max_docx_uncompressed:
            raise _FileError(f"Word 文件解压后超过 {_size_text(limits.max_docx_uncompressed)} 上限，已拒绝")
        return "docx"
    if hint in _DOCX_HINTS:
        raise _FileError(NOT_DOCX)
    return "xlsx"


def _parse_xlsx(data: bytes, limits: Limits) -> ParseResult:
    sheets = _read_workbook(data, limits)
    several = len(sheets) > 1
    rows: list[RowResult] = []
    errors: list[str] = []
    without_header: list[tuple[str, str]] = []
    found_header = False
    for name, sheet_rows in sheets:
        if not any(any(c.strip() for c in r.cells) for r in sheet_rows):
            continue  # empty sheets (Sheet2, Sheet3 of a new workbook) are skipped
        drafts = _table_drafts(sheet_rows, name if several else None, _sheet_type(name))
        if drafts is None:
            if _looks_like_table(sheet_rows):
                without_header.append((name, _layout_error(sheet_rows) or NO_HEADER))
            continue
        found_header = True
        rows.extend(_finish(d) for d in drafts)
    if not found_header and without_header:
        errors.append(without_header[0][1])
    else:
        # A sheet of instructions next to the question sheets is normal; a table that we
        # cannot read is not silently skipped.
        errors.extend(f"工作表「{name}」{message}，已跳过" for name, message in without_header)
    return ParseResult("xlsx", rows, errors)


def _read_workbook(data: bytes, limits: Limits) -> list[tuple[str, list[_Row]]]:
    """Every worksheet as rows of strings. Loaded once with data_only=False: formula cells
    keep their formula (data_type "f") so they can be refused, and every other cell has the
    same value it would have with data_only=True."""
    import openpyxl  # imported here so text imports work even where openpyxl is missing

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar noise
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                return _workbook_rows(workbook, limits)
            finally:
                workbook.close()
    except _FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - broken zip/XML, here or while reading a sheet lazily
        raise _FileError(NOT_XLSX) from exc


def _workbook_rows(workbook, limits: Limits) -> list[tuple[str, list[_Row]]]:
    """(sheet name, non-empty rows) for every worksheet; stops at the row limit."""
    counted = 0
    sheets = []
    for worksheet in workbook.worksheets:
        worksheet.reset_dimensions()  # don't trust (or pad up to) the declared dimension
        rows = []
        for number, cells in enumerate(worksheet.iter_rows(), start=1):
            _check_time()
            row = _xlsx_row(number, cells)
            if row is None:
                continue
            counted += 1
            if counted > limits.max_rows:
                raise _FileError(f"文件超过 {limits.max_rows} 行上限，请拆分后再导入")
            rows.append(row)
        sheets.append((worksheet.title, rows))
    return sheets


def _xlsx_row(number: int, cells) -> _Row | None:
    values = []
    formulas = set()
    for col, cell in enumerate(cells):
        value = getattr(cell, "value", None)
        if getattr(cell, "data_type", None) == "f":
            formulas.add(col)
        values.append(_cell_text(value))
    if not any(v.strip() for v in values) and not formulas:
        return None
    line = next((c.row for c in cells if getattr(c, "row", None)), number)
    return _Row(line, values, formulas)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3.0 typed in a 难度 or 答案 column means 3
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).translate(_INVISIBLE)


# --------------------------------------------------------------------------- text files


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        if _looks_binary(text):
            break
        return text, encoding
    raise _FileError(BAD_ENCODING)


def _looks_binary(text: str) -> bool:
    """NULs (UTF-16, binary files) or many control characters: not a text file we can read."""
    if "\x00" in text:
        return True
    controls = len(_CONTROL_CHARACTERS.findall(text))
    return controls > max(2, len(text) // 200)


_CONTROL_CHARACTERS = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _parse_text(hint: str, data: bytes, limits: Limits) -> ParseResult:
    if not data.strip():
        raise _FileError(NO_QUESTIONS)
    try:
        text, encoding = _decode(data)
    except _FileError:
        if hint == "xls":
            raise _FileError(OLD_XLS) from None
        raise
    delimiter = _sniff_delimiter(text)
    if delimiter is not None:
        # Also .xls files that are really tab-separated text, as some systems export them.
        result = _parse_csv(text, delimiter, limits)
    elif hint == "xls":
        raise _FileError(OLD_XLS)  # e.g. an HTML table saved as .xls: Excel can convert it
    elif _GIFT_HINT.search(text):
        result = _drafts_result("gift", _gift_drafts(text), limits)
    elif _AIKEN_ANSWER.search(text):
        result = _drafts_result("aiken", _aiken_drafts(text), limits)
    elif hint in ("csv", "tsv"):
        # Meant as a table (the name says so) but no header: reading it as a paper would only
        # produce confusing row errors.
        message = next(filter(None, (_layout_error(_csv_rows(text, d, limit=_SNIFF_RECORDS))
                                     for d in (",", "\t", ";"))), NO_HEADER)
        result = ParseResult("csv", [], [message])
    else:
        result = _paper_result("txt", list(enumerate(text.splitlines(), start=1)), limits)
    result.encoding = encoding
    return result


def _drafts_result(fmt: str, drafts: list[_Draft], limits: Limits) -> ParseResult:
    if len(drafts) > limits.max_rows:
        raise _FileError(f"文件超过 {limits.max_rows} 道题上限，请拆分后再导入")
    return ParseResult(fmt, [_finish(d) for d in drafts], [])


# ---- csv

_SNIFF_RECORDS = 30


def _sniff_delimiter(text: str) -> str | None:
    """The delimiter when the text is a table whose header we recognise, else None.

    Of comma, tab and semicolon, the one under which the header maps the most columns wins."""
    best: tuple[int, str] | None = None
    for delimiter in (",", "\t", ";"):
        rows = _csv_rows(text, delimiter, limit=_SNIFF_RECORDS)
        header = _find_header(rows)
        if header is None:
            continue
        _, columns = header
        score = len(columns.used())
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else None


def _csv_rows(text: str, delimiter: str, limit: int | None = None) -> list[_Row]:
    """Records with their row number as Excel shows it (a quoted cell may span lines)."""
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            if limit is not None and number > limit:
                break
            _check_time()
            cells = [c.translate(_INVISIBLE) for c in cells]
            # Opened in Excel, a cell starting with "=" becomes a formula.
            formulas = {col for col, c in enumerate(cells) if c.strip().startswith("=")}
            rows.append(_Row(number, cells, formulas))
    except csv.Error as exc:
        if limit is not None:
            return rows  # sniffing: judge by what could be read
        raise _FileError(f"CSV 格式有误（第 {reader.line_num} 行附近）：{exc}") from exc
    return rows


def _parse_csv(text: str, delimiter: str, limits: Limits) -> ParseResult:
    rows = [r for r in _csv_rows(text, delimiter) if any(c.strip() for c in r.cells)]
    if len(rows) > limits.max_rows:
        raise _FileError(f"文件超过 {limits.max_rows} 行上限，请拆分后再导入")
    drafts = _table_drafts(rows, None, None)
    if drafts is None:
        return ParseResult("csv", [], [NO_HEADER])
    return ParseResult("csv", [_finish(d) for d in drafts], [])


# ---- plain-text papers

# "12." "12、" "（12）" "第12题"; (?!\d) so "1.5米…" is not a number.
_QUESTION_START = re.compile(
    r"^(?:第\s*(\d{1,5})\s*题[\s.．、:：]*|[（(]\s*(\d{1,5})\s*[)）]\s*|(\d{1,5})\s*[.．、:：)）](?!\d)\s*"
    r"|(\d{1,5})\t\s*)"
)
_KINDS = "单项选择|单选|多项选择|多选|不定项选择|不定项|选择|判断|是非|填空|简答|问答|论述|案例分析"
# "一、单选题（共50题）" "（二）多项选择题：" "第三部分 判断题": numbered headings may carry a note;
# an unnumbered one must be just the kind, e.g. "判断题" or "判断题（每题1分）".
_HEADING = re.compile(
    rf"^(?:(?:第?[一二三四五六七八九十]+(?:部分|大题)?\s*[、.．:：\s]\s*|[（(][一二三四五六七八九十]+[)）]\s*)"
    rf"(?P<kind>{_KINDS})题?[^？?]{{0,40}}"
    rf"|(?P<bare>{_KINDS})题?\s*(?:[（(][^)）]*[)）])?\s*[:：]?)$"
)
_HEADING_TYPES = {"单项选择": "single", "单选": "single", "多项选择": "multi", "多选": "multi",
                  "不定项选择": None, "不定项": None, "选择": None, "判断": "judge", "是非": "judge"}
_OPTION_LINE = re.compile(rf"^[（(]?[A-HＡ-Ｈ]\s*{_MARKER_SEPARATORS}")
# "答案：B" "答案:B" "【答案】B" "正确答案：B" — a colon or brackets are required, so a stem
# that merely starts with the word 答案 is not taken for an answer.
_KEY_LINE = re.compile(
    r"^(?:【\s*(?P<b>[^】]{1,6}?)\s*】|\[\s*(?P<s>[^\]]{1,6}?)\s*\]|(?P<c>[^:：\s]{1,6}?)\s*[:：])"
    r"\s*(?P<value>.*)$"
)
_ANSWER_KEYS = {"答案", "正确答案", "参考答案", "标准答案"}
_EXPLANATION_KEYS = {"解析", "答案解析", "试题解析", "题目解析", "解释", "判断题解析"}
_INLINE_EXPLANATION = re.compile(r"[。.;；,，\s]*(?:【解析】|\[解析\]|(?:答案)?解析\s*[:：])")
_RIGHT_MARK = re.compile(r"\s*[（(]\s*正确答案\s*[)）]")  # 问卷星 writes it after the right option
_JUDGE_MARK = re.compile(r"\s*[（(]\s*(对|错|√|×|✓|✔|✗|✘|正确|错误|不正确|不对|[xX])\s*[)）]\s*(?=[。.！!]?\s*$)")
_TYPE_TAG = re.compile(r"\s*[【\[](单选题?|多选题?|判断题?)[】\]]\s*")  # 问卷星: "1.题目【单选题】"


# An answer written at the end of a stem or option line, after spaces: "…B．出入证    答案：A".
_TRAILING_ANSWER = re.compile(
    r"^(?P<body>.*?\S)\s+(?P<key>(?:【\s*(?:正确|参考|标准)?答案\s*】|(?:正确|参考|标准)?答案\s*[:：])\s*"
    r"(?:[A-HＡ-Ｈ](?:\s*[、,，]?\s*[A-HＡ-Ｈ]){0,7}|[√×对错]|正确|错误)\s*[。.]?)$"
)


def _key(line: str) -> tuple[str, str] | None:
    """("answer" | "explanation" | a table field, value) for lines such as 答案：B or 难度：中等."""
    match = _KEY_LINE.match(line)
    if not match:
        return None
    name = _header_name(match.group("b") or match.group("s") or match.group("c") or "")
    value = match.group("value")
    if name in _ANSWER_KEYS:
        return "answer", value
    if name in _EXPLANATION_KEYS:
        return "explanation", value
    for fld in ("difficulty", "category", "basis", "score", "type"):
        if name in _FIELD_NAMES[fld]:
            return fld, value
    return None


@dataclass
class _PaperQuestion:
    """A question of a text paper while its lines are being read."""

    line: int
    number: int | None
    section_type: str | None
    section_error: str | None
    section: int = 0
    stem_lines: list[str] = field(default_factory=list)
    option_lines: list[str] = field(default_factory=list)
    answer: str | None = None
    explanation: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    mode: str = "stem"  # which part the next plain line continues: stem, options, explanation


def _paper_result(fmt: str, lines: list[tuple[int, str]], limits: Limits) -> ParseResult:
    """A text paper (or a Word paper's text) given as (line number as shown, text) pairs."""
    errors: list[str] = []
    drafts = _paper_drafts(lines, errors)
    if len(drafts) > limits.max_rows:
        raise _FileError(f"文件超过 {limits.max_rows} 道题上限，请拆分后再导入")
    return ParseResult(fmt, [_finish(d) for d in drafts], errors)


def _paper_drafts(numbered_lines: list[tuple[int, str]], errors: list[str]) -> list[_Draft]:
    lines = []
    for number, raw in numbered_lines:
        line = raw.translate(_INVISIBLE).strip()
        trailing = _TRAILING_ANSWER.match(line)
        if trailing and not _key(line):
            # "A．xx  B．xx    答案：A" (Word papers keep the answer on the options' line)
            lines.extend([(number, trailing.group("body")), (number, trailing.group("key"))])
        else:
            lines.append((number, line))
    # Key lines ("1.B 2.A") do not make a paper numbered.
    numbered = any(_QUESTION_START.match(line) and _key_items(line) is None for _, line in lines)
    section_type: str | None = None
    section_error: str | None = None
    section = 0  # how many headings so far: answer keys per section are matched by it
    current: _PaperQuestion | None = None
    drafts: list[_Draft] = []
    places: list[tuple[int | None, int]] = []  # (question number, section) of each draft
    key = _AnswerKey()
    in_key = False

    def close() -> None:
        nonlocal current
        if current is not None:
            draft = _paper_draft(current)
            # Unnumbered papers: a block with neither options nor answer is a title or a note.
            if numbered or draft.options or draft.answer or draft.letters is not None:
                drafts.append(draft)
                places.append((current.number, current.section))
        current = None

    explaining: _KeyItem | None = None  # a key entry whose explanation may go on
    for index, (number, line) in enumerate(lines):
        if not line:
            explaining = None
            if current is not None and current.mode == "explanation":
                current.mode = "done"  # an explanation runs until the next blank line
            if not numbered:
                close()  # unnumbered papers: blank lines separate questions
            continue
        # An answer key: "参考答案" over key lines, "答案：1-5 BACDA", "1.B 2.A 3.C"…
        items = _key_items(line, single=in_key)
        if items is None and in_key:
            explained = _explained_item(line)
            items = [explained] if explained else None
        title = _KEY_TITLE.match(line) or _HEADED_KEY.match(line)
        if items is None and title:
            rest = title.group("rest")
            items = _key_items(rest, single=True) if rest else None
            if items is not None and title.re is _HEADED_KEY:
                close()
                key.new_block()  # each section's key is its own block
            if not rest and _key_follows(lines, index):
                close()
                key.new_block()
                in_key = True
                continue
        if items is not None:
            close()
            if not in_key:
                key.new_block()
            in_key = True
            key.add(number, items)
            explaining = items[-1] if items[-1].explanation else None
            continue
        heading = _HEADING.match(line)
        if in_key and heading and _key_follows(lines, index):
            key.new_block()  # "一、单选题" inside the key: a new block of numbers
            explaining = None
            continue
        if in_key and explaining is not None and not heading:
            explaining.explanation += "\n" + line  # the explanation runs until a blank line
            continue
        in_key = False
        if heading and not _QUESTION_START.match(line):
            close()
            kind = heading.group("kind") or heading.group("bare")
            section_type = _HEADING_TYPES.get(kind)
            section_error = None if kind in _HEADING_TYPES else f"不支持的题型「{kind}题」，只能导入单选、多选、判断题"
            section += 1
            continue
        start = _QUESTION_START.match(line) if numbered else None
        question_number = int(next(g for g in start.groups() if g)) if start else 0
        maybe = _MAYBE_NUMBERING.match(line) if numbered and not start else None
        if (maybe and current is not None and current.number is not None
                and int(maybe.group(1)) == current.number + 1 and (current.answer is not None or current.option_lines)
                and _starts_question(current, current.number + 1)):
            # "260.1kW以上…" right after question 259: question 260, about 1 kW
            close()
            current = _PaperQuestion(number, int(maybe.group(1)), section_type, section_error)
            current.stem_lines.append(line[maybe.end():])
            continue
        if start and _starts_question(current, question_number):
            close()
            current = _PaperQuestion(number, question_number, section_type, section_error, section)
            current.stem_lines.append(line)
            continue
        if current is None:
            if numbered:
                continue  # title, instructions before question 1
            current = _PaperQuestion(number, None, section_type, section_error, section)
            current.stem_lines.append(line)
            continue
        if (not numbered and current.mode == "after_answer"
                and not _key(line) and not _OPTION_LINE.match(line)):
            close()  # unnumbered, no blank line: a new stem right after the previous answer
            current = _PaperQuestion(number, None, section_type, section_error, section)
            current.stem_lines.append(line)
            continue
        _paper_line(current, line)
    close()
    if key.blocks:
        key.apply(drafts, places, errors)
    return drafts


# ---- answer keys at the end of a paper ("参考答案  1-5 BACDA 6-10 √×√√×", "1.B 2.A", tables)

# "参考答案" "【参考答案】" "三、参考答案及解析" "单选题答案：" "答案：1-5 BACDA": a title, maybe with the key.
_KEY_TITLE = re.compile(
    r"^(?:附\s*[:：]?\s*|第?[一二三四五六七八九十]+\s*[、.．:：\s]\s*|[（(][一二三四五六七八九十]+[)）]\s*)?"
    rf"[【\[]?\s*(?:(?:{_KINDS})题?\s*)?(?:参考|标准|正确)?答案(?:及解析|部分|速查|汇总|一览)?\s*[】\]]?"
    r"\s*[:：]?\s*(?P<rest>.*)$"
)
# "一、单选题 1-5 BACDA" "判断题：1-5 √×√√×": a section's key after its heading on one line.
_HEADED_KEY = re.compile(
    r"^(?:(?:第?[一二三四五六七八九十]+\s*[、.．:：\s]\s*|[（(][一二三四五六七八九十]+[)）]\s*)"
    rf"(?:(?:{_KINDS})题?)?|(?:{_KINDS})题?)\s*[:：]?\s*(?P<rest>\d.*)$"
)
_KEY_UNIT = r"(?:[A-H]+|正确|错误|[√×✓✔✗✘对错])"
_KEY_RANGE = re.compile(r"(\d{1,4})\s*[-~—–至到]\s*(\d{1,4})\s*(?:题)?\s*[.、:)]?\s*([^\d]*)")
_KEY_ENTRY = re.compile(
    rf"(?:\(\s*(\d{{1,4}})\s*\)|(\d{{1,4}})\s*(?:题)?\s*[.、:)]?)\s*({_KEY_UNIT})(?=[\s,，;；、(]|\d|$)"
)
_KEY_SEPARATORS = re.compile(r"[\s,，;；、]*")
_KEY_TOKEN = re.compile(r"[A-H]+|正确|错误|[√×✓✔✗✘对错]")
_KEY_SINGLE = re.compile(r"[A-H]|正确|错误|[√×✓✔✗✘对错]")


@dataclass
class _KeyItem:
    number: int
    answer: str | None
    error: str | None = None
    explanation: str = ""


# "1.【答案】B【解析】……" "2. B。解析：……" "（3）【答案】√": one entry of a key with explanations.
_KEY_EXPLAINED = re.compile(
    r"^[（(]?\s*(?P<n>\d{1,4})\s*[)）]?\s*[.．、:：]?\s*"
    r"(?:[【\[]\s*(?:参考|正确|标准)?答案\s*[】\]]\s*[:：]?|(?:参考|正确|标准)?答案\s*[:：])?\s*"
    r"(?P<answer>[A-Ha-hＡ-Ｈａ-ｈ]+|正确|错误|[√×✓✔✗✘对错])\s*[。.．;；,，]?\s*"
    r"(?:(?:[【\[]\s*(?:答案|试题)?解析\s*[】\]]|(?:答案|试题)?解析\s*[:：])\s*(?P<explanation>.*))?$"
)


def _key_items(text: str, single: bool = False) -> list[_KeyItem] | None:
    """The entries of a whole line that is an answer key, else None.

    "1-5 BACDA" (one letter each), "6-8 ABC BD ACD" (space-separated), "1-5 √×√√×",
    "1.B 2.A 3.C", "1、对"; one entry alone ("1.B") only where a key is already going on."""
    text = unicodedata.normalize("NFKC", text).strip().upper()
    if not text or not (text[0].isdigit() or text[0] == "("):
        return None
    items: list[_KeyItem] = []
    ranges = 0
    pos = 0
    while pos < len(text):
        pos = _KEY_SEPARATORS.match(text, pos).end()
        if pos >= len(text):
            break
        span = _KEY_RANGE.match(text, pos)
        if span:
            first, last, answers = int(span.group(1)), int(span.group(2)), span.group(3)
            count = last - first + 1
            if not 1 <= count <= 500 or _KEY_TOKEN.sub("", answers).strip(" \t,，;；、"):
                return None
            tokens = _KEY_TOKEN.findall(answers)
            units = _KEY_SINGLE.findall(answers)
            if len(tokens) == count:
                items.extend(_KeyItem(first + i, t) for i, t in enumerate(tokens))
            elif len(tokens) < count and len(units) == count:
                items.extend(_KeyItem(first + i, t) for i, t in enumerate(units))
            else:
                given = len(tokens) if len(tokens) > 1 else len(units)
                error = (f"答案表「{first}-{last}」有 {given} 个答案，与 {count} 道题不符，"
                         "无法确定本题答案")
                items.extend(_KeyItem(first + i, None, error) for i in range(count))
            ranges += 1
            pos = span.end()
            continue
        entry = _KEY_ENTRY.match(text, pos)
        if not entry:
            return None
        items.append(_KeyItem(int(entry.group(1) or entry.group(2)), entry.group(3)))
        pos = entry.end()
    if not items or (not ranges and len(items) < 2 and not single):
        return None
    return items


def _explained_item(line: str) -> _KeyItem | None:
    match = _KEY_EXPLAINED.match(line)
    if not match:
        return None
    answer = unicodedata.normalize("NFKC", match.group("answer")).upper()
    return _KeyItem(int(match.group("n")), answer, explanation=(match.group("explanation") or "").strip())


def _key_follows(lines: list[tuple[int, str]], index: int) -> bool:
    """Whether the next line that is not blank or a heading is an answer-key line."""
    for _, line in lines[index + 1 :]:
        if not line or (_HEADING.match(line) and not _QUESTION_START.match(line)):
            continue
        title = _KEY_TITLE.match(line)
        if title and not title.group("rest"):
            continue  # "参考答案" over "一、单选题答案"
        return _key_items(line, single=True) is not None or _explained_item(line) is not None
    return False


@dataclass
class _AnswerKey:
    """Key lines collected while reading; blocks restart with each key section."""

    blocks: list[list[tuple[int, _KeyItem]]] = field(default_factory=list)

    def new_block(self) -> None:
        if not self.blocks or self.blocks[-1]:
            self.blocks.append([])

    def add(self, line: int, items: list[_KeyItem]) -> None:
        if not self.blocks:
            self.blocks.append([])
        for item in items:
            block = self.blocks[-1]
            if block and item.number <= block[-1][1].number:
                self.blocks.append([])  # numbering restarts: the next section's key
            self.blocks[-1].append((line, item))

    def apply(self, drafts: list[_Draft], places: list[tuple[int | None, int]],
              errors: list[str]) -> None:
        """Give questions without an inline answer theirs from the key; say per question
        what does not match."""
        blocks = [b for b in self.blocks if b]
        numbers = [n for n, _ in places if n is not None]
        groups: list[list[int]] = []  # draft indexes per question section
        if len(set(numbers)) == len(numbers):
            groups = [[i for i, (n, _) in enumerate(places) if n is not None]]
            blocks = [[pair for b in blocks for pair in b]]
        else:
            last: tuple[int, int] | None = None
            for i, (n, section) in enumerate(places):
                if n is None:
                    continue
                if last is None or section != last[1] or n <= last[0]:
                    groups.append([])
                groups[-1].append(i)
                last = (n, section)
            if len(blocks) != len(groups):
                unanswered = [g for g in groups if any(not _has_answer(drafts[i]) for i in g)]
                if len(blocks) == len(unanswered):
                    groups = unanswered
                else:
                    for d in drafts:
                        if not _has_answer(d) and not d.errors:
                            d.errors.append("答案表无法对应到题目：试卷各大题题号重新编号，"
                                            "答案表也请按大题分开写")
                    return
        missing: list[int] = []
        for group, block in zip(groups, blocks):
            by_number = {places[i][0]: drafts[i] for i in group}
            keyed: dict[int, _KeyItem] = {}
            for _, item in block:
                if item.number in by_number:
                    keyed.setdefault(item.number, item)
                else:
                    missing.append(item.number)
            for number, d in by_number.items():
                item = keyed.get(number)
                if d.errors:
                    continue
                if item is None:
                    if not _has_answer(d):
                        d.errors.append(f"答案表中没有第 {number} 题的答案")
                elif item.error:
                    if not _has_answer(d):
                        d.errors.append(item.error)
                elif not _has_answer(d):
                    d.answer = item.answer or ""
                    if item.explanation and not d.explanation.strip():
                        d.explanation = item.explanation
                elif _answer_sign(d.answer) != _answer_sign(item.answer or ""):
                    d.errors.append(f"答案「{d.answer}」与答案表中的「{item.answer}」不一致")
        if missing:
            listed = "、".join(str(n) for n in dict.fromkeys(missing))
            errors.append(f"答案表中第 {listed} 题在试卷中找不到，这些答案未使用")


def _has_answer(d: _Draft) -> bool:
    return bool(d.answer.strip()) or d.letters is not None


def _answer_sign(text: str) -> str:
    """正确/√/对 → T, 错误/×/错 → F, "A、C" → "AC": for comparing an inline answer with the key."""
    truth = _truth_word(text)
    if truth is not None:
        return "T" if truth else "F"
    return "".join(sorted(set(re.sub(r"[^A-H]", "", _fold(text)))))


def _starts_question(current: _PaperQuestion | None, number: int) -> bool:
    """A numbered line starts a question, except a list ("1. … 2. …") inside an explanation or
    a stem: there the numbers do not go past the current question's."""
    if current is None or current.number is None or number > current.number:
        return True
    return current.answer is not None and current.mode != "explanation"


def _paper_line(q: _PaperQuestion, line: str) -> None:
    key = _key(line)
    if key:
        name, value = key
        if name == "answer":
            # "答案：B。解析：……" on one line
            parts = _INLINE_EXPLANATION.split(value, maxsplit=1)
            q.answer = parts[0].strip(" 。.;；")
            if len(parts) > 1:
                q.explanation.append(parts[1])
                q.mode = "explanation"
            else:
                q.mode = "after_answer"
        elif name == "explanation":
            q.explanation.append(value)
            q.mode = "explanation"
        else:
            q.fields[name] = value
    elif _OPTION_LINE.match(line) and q.mode in ("stem", "options"):
        q.option_lines.append(line)
        q.mode = "options"
    elif q.mode == "explanation":
        q.explanation.append(line)
    elif q.mode == "options":
        q.option_lines[-1] += line  # an option wrapped onto the next line
    elif q.mode == "stem":
        q.stem_lines.append(line)
    # anything else after the answer (page footers, notes) is not part of the question


def _paper_draft(q: _PaperQuestion) -> _Draft:
    d = _Draft(line=q.line, qtype=q.section_type)
    if q.section_error:
        d.errors.append(q.section_error)
    stem = "\n".join(q.stem_lines)
    tag = _TYPE_TAG.search(stem)
    if tag:
        d.qtype = _sheet_type(tag.group(1))
        stem = _TYPE_TAG.sub("", stem)
    option_text = "\n".join(q.option_lines)
    packing = _PACKING.search(stem)
    if not option_text and packing and _PACKED_LETTER.match(stem[packing.end():]):
        stem, option_text = stem[: packing.start()], stem[packing.start():]  # "……（ ）**A.xx**B.xx"
    if not option_text:
        # Options written on the stem's own line: "……是（ ）。A.xx B.xx C.xx" or "（ ）A.xxB.xx"
        prefix, options = _split_options(stem, strict=True)
        if options and len(_split_lettered(stem[len(prefix) :])) >= 2:
            stem, option_text = prefix, stem[len(prefix) :]
    d.options, error = _split_packed(option_text) if option_text else ([], None)
    if error:
        d.errors.append(error)
    marked = []
    for i, option in enumerate(d.options):
        if _RIGHT_MARK.search(option):
            marked.append(LETTERS[i])
            d.options[i] = _RIGHT_MARK.sub("", option)
    judge_mark = _JUDGE_MARK.search(stem)
    if judge_mark and not d.options:
        stem = stem[: judge_mark.start()] + stem[judge_mark.end() :]
        if d.qtype is None:
            d.qtype = "judge"
    d.stem = stem
    if q.answer is not None:
        d.answer = q.answer
    elif judge_mark and not d.options:
        d.answer = judge_mark.group(1)
    elif marked:
        d.letters = "".join(marked)
    d.explanation = "\n".join(q.explanation)
    d.difficulty = q.fields.get("difficulty", "")
    d.category = q.fields.get("category")
    d.basis = q.fields.get("basis", "")
    d.score = q.fields.get("score", "")
    if q.fields.get("type"):
        d.qtype, error = _type_value(q.fields["type"], {})
        if error:
            d.errors.append(error)
    return d


# ---- Aiken

_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*(.*)$", re.MULTILINE)
_AIKEN_OPTION = re.compile(r"^([A-H])\s*[.)]\s*(.*)$")


def _aiken_drafts(text: str) -> list[_Draft]:
    """Stem line(s), "A. …" / "A) …" options, "ANSWER: B". Aiken is single choice only."""
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_INVISIBLE).strip()
        if not line:
            continue
        answer = _AIKEN_ANSWER.match(line)
        if answer:
            if current is not None:
                current.answer = answer.group(1)
                drafts.append(_aiken_type(current))
            current = None
            continue
        option = _AIKEN_OPTION.match(line)
        if current is None:
            current = _Draft(line=number, stem=line)
        elif option and (current.options or option.group(1) == "A"):
            current.options.append(option.group(2))
        elif current.options:
            current.options[-1] += line
        else:
            current.stem += "\n" + line
    if current is not None:  # the last question has no ANSWER line
        drafts.append(_aiken_type(current))
    return drafts


def _aiken_type(d: _Draft) -> _Draft:
    # Aiken has single choice only; 正确/错误 as the two options is still a judge question.
    d.qtype = "judge" if _is_judge_pair([_clean_text(o) for o in d.options]) else "single"
    return d


# ---- GIFT (Moodle)

_GIFT_HINT = re.compile(
    r"^\s*\$CATEGORY:|^\s*::[^\n]*?::|\{\s*(?:[=~#]|(?:T|F|TRUE|FALSE)\s*[#}])",
    re.MULTILINE | re.IGNORECASE,
)
# Escaped special characters are swapped for private-use characters while parsing, so plain
# string operations never mistake "\=" for an answer; they are restored at the end.
_ESCAPES = {char: chr(0xE000 + i) for i, char in enumerate(":#={}~\\")}
_RESTORE = str.maketrans({v: k for k, v in _ESCAPES.items()})


def _gift_protect(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        char = match.group(1)
        return "\n" if char == "n" else _ESCAPES.get(char, char)

    return re.sub(r"\\(.)", swap, text)


def _gift_restore(text: str) -> str:
    return text.translate(_RESTORE).strip()


def _gift_drafts(text: str) -> list[_Draft]:
    drafts: list[_Draft] = []
    category: str | None = None
    block: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal block
        if block:
            drafts.append(_gift_question(start, "\n".join(block), category))
        block = []

    for number, raw in enumerate(text.splitlines(), start=1):
        line = _gift_protect(raw.translate(_INVISIBLE))
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped.upper().startswith("$CATEGORY:"):
            flush()
            segments = [s.strip() for s in stripped[len("$CATEGORY:") :].split("/") if s.strip()]
            category = _gift_restore(segments[-1]) if segments else None
            continue
        if not stripped:
            # Blank lines separate questions, except inside an answer block left open.
            joined = "\n".join(block)
            if joined.count("{") <= joined.count("}"):
                flush()
            continue
        if not block:
            start = number
        block.append(line)
    flush()
    return drafts


def _gift_question(line: int, text: str, category: str | None) -> _Draft:
    d = _Draft(line=line, category=category)
    text = re.sub(r"^\s*::.*?::", "", text, count=1, flags=re.DOTALL)  # the title
    text = re.sub(r"^\s*\[(?:html|moodle|plain|markdown)\]", "", text, flags=re.IGNORECASE)
    opening = text.find("{")
    closing = text.find("}", opening + 1)
    if opening < 0 or closing < 0:
        d.errors.append(UNSUPPORTED_GIFT)  # a description item, or a malformed question
        return d
    before, inner, after = text[:opening].strip(), text[opening + 1 : closing], text[closing + 1 :]
    after = after.strip()
    # "Missing word" questions have text after the answers: keep it, with a blank placeholder.
    d.stem = _gift_restore(f"{before}（　）{after}" if after else before)
    inner, _, general = inner.partition("####")
    inner = inner.strip()
    if not _gift_answers(d, inner):
        d.errors.append(UNSUPPORTED_GIFT)
        return d
    if general.strip():
        d.explanation = _gift_restore(general)
    return d


_GIFT_TRUE_FALSE = r"(TRUE|FALSE|T|F)\s*((?:#[^#]*){0,2})"  # {T} {FALSE#wrong#right}


def _gift_answers(d: _Draft, inner: str) -> bool:
    """Fill options/answer from the text inside {…}; False for kinds we do not support."""
    if not inner or inner.startswith("#"):
        return False  # essay, numeric
    true_false = re.fullmatch(_GIFT_TRUE_FALSE, inner, re.IGNORECASE | re.DOTALL)
    if true_false:
        d.qtype = "judge"
        d.letters = "A" if true_false.group(1).upper().startswith("T") else "B"
        feedback = [_gift_restore(f) for f in true_false.group(2).split("#")]
        d.explanation = "；".join(f for f in feedback if f)
        return True
    tokens = re.findall(r"([=~])([^=~]*)", inner)
    if not tokens or "~" not in inner or any("->" in body for _, body in tokens):
        return False  # short answer (only "="), matching ("->")
    letters, feedback = [], []
    for index, (kind, body) in enumerate(tokens):
        weight = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", body)
        if weight:
            body = body[weight.end() :]
        right = kind == "=" or (weight is not None and float(weight.group(1)) > 0)
        option, _, note = body.partition("#")
        d.options.append(_gift_restore(option))
        if right and index < len(LETTERS):
            letters.append(LETTERS[index])
            if _gift_restore(note):
                feedback.append(_gift_restore(note))
    if len(d.options) > len(LETTERS):
        d.errors.append(f"选项最多 {len(LETTERS)} 个")
    d.letters = "".join(letters)
    d.explanation = "；".join(feedback)
    return True


# --------------------------------------------------------------------------- Word papers (.docx)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_NS = {"w": _W[1:-1], "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
         "m": "http://schemas.openxmlformats.org/officeDocument/2006/math"}
# Runs directly in the paragraph or in hyperlinks, insertions, fields, content controls; not
# deleted or moved-away text, text boxes, or the fallback copy of a drawing.
_TEXT_PARTS = (".//w:r[not(ancestor::mc:Fallback or ancestor::w:txbxContent or ancestor::w:del"
               " or ancestor::w:moveFrom)]"
               "/*[self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:sym"
               " or self::w:drawing or self::w:pict or self::w:object or self::mc:AlternateContent]"
               " | .//m:oMath[not(ancestor::m:oMath)]")
# Where a picture (a safety sign, a diagram) was: a question that needs it cannot be imported.
_PICTURE = "\ue0ff"
PICTURE_ERROR = "题目含图片或公式，无法导入：请把图片、公式改写成文字，或删掉这道题"
_TEXT_XPATH = None  # compiled on first use (lxml is imported only for Word files)
# Wingdings ticks and crosses, as Word's Insert Symbol writes them.
_SYMBOLS = {"F0FC": "√", "F0FB": "×", "F0FE": "√", "F0FD": "×", "F052": "√", "F04F": "×", "F050": "√"}
_KEY_NUMBER_HEADERS = {"题号", "题目", "序号", "题次"}


def _parse_docx(data: bytes, limits: Limits) -> ParseResult:
    """A Word paper: paragraphs and tables in document order become the lines of a text paper
    (Word's automatic numbering written out), read by the same reader as a .txt paper. A
    line's number is its paragraph's (a table row counts as one)."""
    import docx  # imported here so other imports work even where python-docx is missing

    try:
        try:
            document = docx.Document(io.BytesIO(data))
        except ValueError as exc:
            if "content type" in str(exc):  # .docm, .dotx: python-docx reads plain documents only
                raise _FileError(MACRO_DOCX) from exc
            raise
        body = document.element.body
        numbering = _Numbering(document)
        lines: list[tuple[int, str]] = []
        table_drafts: list[_Draft] = []  # tables with a 题干/答案 header, read as spreadsheets
        count = 0
        for block in _docx_blocks(body):
            if block.tag == f"{_W}p":
                texts = [numbering.label(block) + _docx_text(block)]
            else:
                rows = _docx_table_rows(block, numbering)
                drafts = None if _table_key(rows) is not None else _table_drafts(
                    [_Row(count + i + 1, cells, set()) for i, cells in enumerate(rows)], None, None)
                if drafts is not None:
                    table_drafts.extend(drafts)
                    count += len(rows)
                    continue
                texts = _docx_table_lines(rows)
            for text in texts:
                count += 1
                lines.extend((count, part) for part in text.split("\n"))
            if count > 4 * limits.max_rows:
                raise _FileError(f"文件超过 {limits.max_rows} 道题上限，请拆分后再导入")
    except _FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - broken XML, a zip that only looks like Word
        raise _FileError(NOT_DOCX) from exc
    if not table_drafts and not any(text.strip() for _, text in lines):
        raise _FileError(NO_QUESTIONS)
    errors: list[str] = []
    drafts = _paper_drafts(lines, errors) + table_drafts
    for d in drafts:
        if any(_PICTURE in f for f in [d.stem, d.answer, *d.options]) and not d.errors:
            d.errors.append(PICTURE_ERROR)
        d.explanation = d.explanation.replace(_PICTURE, "")  # the 解析 reads without its figure
    if len(drafts) > limits.max_rows:
        raise _FileError(f"文件超过 {limits.max_rows} 道题上限，请拆分后再导入")
    rows = sorted((_finish(d) for d in drafts), key=lambda row: row.line)
    return ParseResult("docx", rows, errors)


def _docx_blocks(parent):
    """Paragraphs and tables in document order, also inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _docx_blocks(child)


def _docx_text(paragraph) -> str:
    parts = []
    global _TEXT_XPATH
    if _TEXT_XPATH is None:
        from lxml import etree

        _TEXT_XPATH = etree.XPath(_TEXT_PARTS, namespaces=_W_NS)
    for element in _TEXT_XPATH(paragraph):
        tag = element.tag[len(_W):]
        if tag == "t":
            parts.append(element.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag in ("br", "cr"):
            parts.append("\n")
        elif tag in ("drawing", "pict", "object") or element.tag.endswith(("}AlternateContent", "}oMath")):
            parts.append(_PICTURE)
        elif tag == "sym":
            code = (element.get(f"{_W}char") or "").upper()
            if code in _SYMBOLS:
                parts.append(_SYMBOLS[code])
            elif code and not code.startswith("F0"):
                try:
                    parts.append(chr(int(code, 16)))
                except ValueError:
                    pass
    return "".join(parts)


def _docx_cell_text(cell, numbering: _Numbering) -> str:
    lines = []
    for block in _docx_blocks(cell):
        if block.tag == f"{_W}p":
            lines.append(numbering.label(block) + _docx_text(block))
        else:
            lines.extend(_docx_table_lines(_docx_table_rows(block, numbering)))
    return "\n".join(line for line in lines if line.strip())


def _docx_table_rows(table, numbering: _Numbering) -> list[list[str]]:
    return [[_docx_cell_text(cell, numbering) for cell in row.iterchildren(f"{_W}tc")]
            for row in table.iterchildren(f"{_W}tr")]


def _docx_table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines: an answer-key table (题号 / 答案 rows or columns) becomes key
    lines; any other row becomes its cells side by side (e.g. "A.…  B.…")."""
    key = _table_key(rows)
    if key is not None:
        return key
    lines = []
    for cells in rows:
        filled = [c for c in cells if c.strip()]
        if len(filled) == 1:
            lines.extend(filled[0].split("\n"))
        elif filled:
            lines.append("  ".join(c.replace("\n", " ") for c in filled))
    return lines


def _table_key(rows: list[list[str]]) -> list[str] | None:
    """题号 | 1 | 2 … over 答案 | B | A … (or 题号 and 答案 columns) → ["参考答案", "1：B 2：A …"]."""
    names = [[_header_name(c) for c in row] for row in rows]
    pairs: list[tuple[str, str]] = []
    found = False
    for i, row in enumerate(names):
        if row and row[0] in _KEY_NUMBER_HEADERS and i + 1 < len(rows) and names[i + 1] \
                and names[i + 1][0] in _ANSWER_KEYS:
            found = True
            pairs.extend(zip(rows[i][1:], rows[i + 1][1:]))
    if not found:
        for i, row in enumerate(names):
            columns = [(c, c + 1) for c in range(len(row) - 1)
                       if row[c] in _KEY_NUMBER_HEADERS and row[c + 1] in _ANSWER_KEYS]
            if columns:
                found = True
                for cells in rows[i + 1 :]:
                    pairs.extend((cells[a], cells[b]) for a, b in columns if b < len(cells))
                break
    if not found:
        # No labels: a row of question numbers over a row of answers (1 | 2 | 3 over B | A | C).
        for i in range(len(rows) - 1):
            numbers = [c for c in rows[i] if c.strip()]
            answers = [c for c in rows[i + 1] if c.strip()]
            if (len(numbers) >= 2 and all(re.fullmatch(r"\d{1,4}", _fold(c)) for c in numbers)
                    and answers and all(re.fullmatch(rf"{_KEY_UNIT}", _fold(c)) for c in answers)):
                found = True
                pairs.extend(zip(rows[i], rows[i + 1]))
    if not found:
        return None
    entries = [f"{n.strip()}：{a.strip()}" for n, a in pairs
               if re.fullmatch(r"\d{1,4}(?:\s*[-－~～—–]\s*\d{1,4})?", _fold(n)) and a.strip()]
    return ["参考答案", " ".join(entries)] if entries else []


_CHINESE_NUMERALS = "零一二三四五六七八九"


def _w_val(element, default):
    """An element's w:val, or the default when the element or the attribute is missing."""
    if element is None:
        return default
    return element.get(f"{_W}val", default)


def _chinese_number(n: int) -> str:
    if n < 10:
        return _CHINESE_NUMERALS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CHINESE_NUMERALS[tens]) + "十" + (_CHINESE_NUMERALS[ones] if ones else "")
    return str(n)


class _Numbering:
    """Word's automatic list numbering ("1." "A." "一、" that are not in the text), written out
    so the paper reader sees the numbers and letters a person sees. Lists sharing a
    definition continue each other's count unless one restarts it (a start override); a
    paragraph style (列表编号) may carry the numbering too."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # abstractNumId → levels
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstractNumId, restarts)
        self.styles: dict[str, tuple[str | None, int | None]] = {}  # styleId → (numId, ilvl)
        self.counters: dict[str, list[int]] = {}
        self.started: set[str] = set()
        root = None
        for rel in document.part.rels.values():
            if rel.reltype.endswith("/numbering") and not rel.is_external:
                root = rel.target_part.element
        if root is None:
            return
        for node in root.iterchildren(f"{_W}abstractNum"):
            levels = {}
            for lvl in node.iterchildren(f"{_W}lvl"):
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = (
                    _w_val(lvl.find(f"{_W}numFmt"), "decimal"),
                    _w_val(lvl.find(f"{_W}lvlText"), ""),
                    int(_w_val(lvl.find(f"{_W}start"), "1")),
                )
            self.levels[node.get(f"{_W}abstractNumId")] = levels
        for node in root.iterchildren(f"{_W}num"):
            ref = _w_val(node.find(f"{_W}abstractNumId"), "")
            restarts = {}
            for override in node.iterchildren(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    restarts[int(override.get(f"{_W}ilvl", "0"))] = int(_w_val(start, "1"))
            if ref in self.levels:
                self.nums[node.get(f"{_W}numId")] = (ref, restarts)
        styles = document.styles.element
        based: dict[str, str] = {}
        for style in styles.iterchildren(f"{_W}style"):
            style_id = style.get(f"{_W}styleId")
            parent = style.find(f"{_W}basedOn")
            if parent is not None:
                based[style_id] = _w_val(parent, "")
            props = style.find(f"{_W}pPr/{_W}numPr")
            if props is not None:
                ilvl = props.find(f"{_W}ilvl")
                self.styles[style_id] = (_w_val(props.find(f"{_W}numId"), None),
                                         int(_w_val(ilvl, "0")) if ilvl is not None else None)
        for style_id in list(based):  # numbering inherited through basedOn (a few steps)
            seen, current = set(), style_id
            while current not in self.styles and current in based and current not in seen:
                seen.add(current)
                current = based[current]
            if current in self.styles and style_id not in self.styles:
                self.styles[style_id] = self.styles[current]

    def label(self, paragraph) -> str:
        style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        num_id, level = self.styles.get(_w_val(style, ""), (None, None)) if style is not None else (None, None)
        props = paragraph.find(f"{_W}pPr/{_W}numPr")
        if props is not None:
            num = props.find(f"{_W}numId")
            ilvl = props.find(f"{_W}ilvl")
            if num is not None:
                num_id = _w_val(num, None)
            if ilvl is not None:
                level = int(_w_val(ilvl, "0"))
        level = level or 0
        if num_id not in self.nums or not 0 <= level < 9:
            return ""  # not numbered, or numId 0: numbering switched off
        abstract, restarts = self.nums[num_id]
        levels = self.levels[abstract]
        if level not in levels:
            return ""
        counters = self.counters.setdefault(abstract, [0] * 9)
        if num_id not in self.started:
            self.started.add(num_id)
            for k, start in restarts.items():
                if 0 <= k < 9:
                    counters[k] = start - 1
        fmt, text, start = levels[level]
        counters[level] = max(counters[level] + 1, start)
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        if fmt in ("bullet", "none") or not text:
            return ""

        def value(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            kfmt, _, kstart = levels.get(k, ("decimal", "", 1))
            return self._format(kfmt, counters[k] or kstart)

        return re.sub(r"%([1-9])", value, text) + " "

    @staticmethod
    def _format(fmt: str, n: int) -> str:
        if fmt == "upperLetter":
            return chr(64 + (n - 1) % 26 + 1)
        if fmt == "lowerLetter":
            return chr(96 + (n - 1) % 26 + 1)
        if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting",
                   "japaneseCounting", "ideographDigital"):
            return _chinese_number(n)
        if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
            return chr(0x2460 + n - 1)
        return str(n)


# --------------------------------------------------------------------------- duplicates


def duplicate_key(qtype: str, stem: str, options: list[str]) -> tuple:
    """What makes two questions the same: stem, kind and options (in any order), compared
    without punctuation, spaces and width. "以下说法中，错误的是（）" with other options, or a 判断
    and a 单选 on one stem, are different questions; a 单选 and a 多选 with the same stem and
    options are one question written twice with different answers."""
    kind = "judge" if qtype == "judge" else "choice"
    return kind, normalise_stem(stem), tuple(sorted(normalise_stem(o) for o in options))


def _reject_duplicates(rows: list[RowResult]) -> None:
    """Reject later questions that repeat an earlier accepted one (same stem, type and
    options, see ``duplicate_key``); the message points at the first."""
    first: dict[tuple, RowResult] = {}
    for row in rows:
        if row.question is None:
            continue
        q = row.question
        key = duplicate_key(q.qtype, q.stem, q.options)
        original = first.get(key)
        if original is None:
            first[key] = row
            continue
        where = f"第 {original.line} 行"
        if original.sheet != row.sheet and original.sheet:
            where = f"工作表「{original.sheet}」{where}"
        row.question = None
        row.errors.append(f"与{where}重复")
