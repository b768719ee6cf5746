"""Subject review of a question bank: give-aways that let people answer without knowing.

- ``longest_option_share``: among 单选 questions where one option is *clearly longest*
  (at least ``CLEAR_RATIO`` = 1.2 × the length of the next longest option, counted in
  characters), the share whose key is that option. By chance it would be 1 in 4.
- ``multi_key_positions``: how often each option letter is keyed in 多选 questions, and which
  questions key every option.
- ``negative_spans``: the negative words of a stem (错误的是, 不得, 不属于 …), to be shown bold.
- ``pending_review``: questions citing a statute that a newer law has replaced ("待核对").
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from .laws import parse_basis

CLEAR_RATIO = 1.2
LETTERS = "ABCDEFGH"


@dataclass
class LongestShare:
    clear: int          # 单选 questions with a clearly longest option
    keyed: int          # … of which the key is that option
    ratio_15: list[str]  # uids keying an option >= 1.5 x the next

    @property
    def share(self) -> float:
        return self.keyed / self.clear if self.clear else 0.0


def clearly_longest(options: list[str]) -> tuple[int, float] | None:
    """(index, ratio to the next) of the clearly longest option, or None."""
    if len(options) < 2:
        return None
    lengths = sorted(((len(o), i) for i, o in enumerate(options)), reverse=True)
    (first, index), (second, _) = lengths[0], lengths[1]
    ratio = first / second if second else float("inf")
    return (index, ratio) if ratio >= CLEAR_RATIO else None


def longest_option_share(questions) -> LongestShare:
    clear = keyed = 0
    worst: list[str] = []
    for q in questions:
        if q.qtype != "single":
            continue
        found = clearly_longest(q.options)
        if found is None:
            continue
        clear += 1
        if LETTERS[found[0]] == q.answer:
            keyed += 1
            if found[1] >= 1.5:
                worst.append(q.uid)
    return LongestShare(clear, keyed, worst)


@dataclass
class MultiKeys:
    count: int            # 多选 questions
    keyed: Counter        # letter -> questions keying it
    offered: Counter      # letter -> questions having that option
    every: list[str]      # uids keying every option
    one_wrong: list[str]  # uids with 4+ options and a single wrong one

    def rate(self, letter: str) -> float:
        return self.keyed[letter] / self.offered[letter] if self.offered[letter] else 0.0


def multi_key_positions(questions) -> MultiKeys:
    result = MultiKeys(0, Counter(), Counter(), [], [])
    for q in questions:
        if q.qtype != "multi":
            continue
        result.count += 1
        result.keyed.update(q.answer)
        result.offered.update(LETTERS[: len(q.options)])
        if len(q.answer) == len(q.options):
            result.every.append(q.uid)
        elif len(q.options) >= 4 and len(q.options) - len(q.answer) < 2:
            result.one_wrong.append(q.uid)
    return result


# ---- negative stems -------------------------------------------------------------------------

NEGATIVE = re.compile(
    r"错误的是|错误的有|不正确|不属于|不得|不应当?|不能|不宜|不包括|不是|不符合|不可以"
)


def negative_spans(stem: str) -> list[tuple[int, int]]:
    return [m.span() for m in NEGATIVE.finditer(stem or "")]


def is_negative(stem: str) -> bool:
    return bool(NEGATIVE.search(stem or ""))


def emphasise(stem: str) -> Markup:
    """The stem, HTML-escaped, with its negative words wrapped in <strong class="neg">."""
    out: list[str] = []
    last = 0
    text = stem or ""
    for start, end in negative_spans(text):
        out.append(str(escape(text[last:start])))
        out.append(f'<strong class="neg">{escape(text[start:end])}</strong>')
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


# ---- statutes replaced by a newer law -------------------------------------------------------

@dataclass(frozen=True)
class Superseded:
    text: str        # the statute as named in a 依据 (file name before the date)
    by: str          # the law that replaced it
    since: date      # in force from


SUPERSEDED = [
    Superseded("危险化学品安全管理条例", "危险化学品安全法", date(2026, 5, 1)),
]


def superseded_by(basis: str | None, today: date | None = None) -> Superseded | None:
    """The newer law in force that replaces the statute a 依据 cites, if any."""
    parsed = parse_basis(basis or "")
    if parsed is None:
        return None
    today = today or date.today()
    for entry in SUPERSEDED:
        if entry.text == parsed[0] and entry.since <= today:
            return entry
    return None


def pending_note(basis: str | None, today: date | None = None) -> str | None:
    """"待核对" note for a question whose 依据 has been replaced, or None."""
    entry = superseded_by(basis, today)
    if entry is None:
        return None
    return (f"待核对：依据《{entry.text}》，自 {entry.since:%Y-%m-%d} 起"
            f"《{entry.by}》施行，请对照新法核对")


def pending_review(questions, today: date | None = None) -> list[str]:
    return [q.uid for q in questions if superseded_by(q.basis, today)]


def report_lines(questions, today: date | None = None) -> list[str]:
    """The figures `flask bank check` prints."""
    share = longest_option_share(questions)
    multi = multi_key_positions(questions)
    lines = [
        f"单选最长选项即答案：{share.keyed}/{share.clear} = {share.share:.0%}"
        f"（“明显最长”指比次长选项长 {CLEAR_RATIO} 倍以上，按字数计；随机约 25%）",
        f"  其中答案比次长选项长 1.5 倍以上：{len(share.ratio_15)} 道"
        + (f"（{'、'.join(share.ratio_15[:20])}{' …' if len(share.ratio_15) > 20 else ''}）"
           if share.ratio_15 else ""),
        f"多选答案位置（{multi.count} 道；字母：作答案次数/有该选项的题数）："
        + "，".join(f"{letter} {multi.keyed[letter]}/{multi.offered[letter]}"
                   f"（{multi.rate(letter):.0%}）"
                   for letter in LETTERS if multi.offered[letter]),
        f"多选全部选项都是答案：{len(multi.every)} 道"
        + (f"（{'、'.join(multi.every)}）" if multi.every else ""),
        f"多选（4 个及以上选项）只有一个错误选项：{len(multi.one_wrong)} 道",
    ]
    pending = pending_review(questions, today)
    if pending:
        by = {(e.text, e.by, e.since) for q in questions if (e := superseded_by(q.basis, today))}
        for text, new, since in sorted(by):
            lines.append(f"待核对：{len(pending)} 道题依据《{text}》，"
                         f"自 {since:%Y-%m-%d} 起已由《{new}》取代")
    return lines
