"""Certificates (安全知识竞赛合格证书) as PNG and PDF, drawn with Pillow.

Pure functions: no Flask app, no database. The certificate itself stays Chinese in every
interface language: it is an official Chinese document (the pages around it are translated).
The refusals below (no CJK font, an unusable seal) are interface messages: they go through
flask_babel's gettext, which gives the Chinese id back outside a request. The page is an A4-landscape image
(``DPI`` dots per inch); the PDF is that same image on one A4 page, so it shows
the Chinese text exactly as the PNG does without embedding any font.

Chinese needs a font with CJK glyphs. ``find_cjk_font`` looks for one
(``SAFEQUIZ_CJK_FONT`` first, then Noto CJK, Source Han, WenQuanYi, Droid Sans
Fallback, AR PL, the fonts of macOS and Windows, then ``fc-list :lang=zh``) and
checks that it really draws Chinese; without one, rendering raises
``FontMissing`` with a message in Chinese saying what to install
(Debian: ``apt-get install fonts-noto-cjk``).

Everything is placed by ``certificate_layout``, which measures the text with the
font, wraps long names of enterprises and contests inside the page (shrinking
the body text, and as a last resort shortening it with “…”), and returns the
boxes of all the lines it places so that tests can check them.
"""
from __future__ import annotations

import datetime
import functools
import glob
import io
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field

import qrcode
from flask_babel import gettext as _
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps
from qrcode.constants import ERROR_CORRECT_M

from ..i18n import N_

DPI = 300
PAGE_MM = (297.0, 210.0)  # A4 landscape
FONT_ENV = "SAFEQUIZ_CJK_FONT"

INSTALL_HINT = N_(
    "请安装中文字体后重试：Debian/Ubuntu 上以 root 运行 apt-get install fonts-noto-cjk"
    "（其他系统可安装 Noto Sans CJK SC、思源黑体或文泉驿字体），"
    "或用环境变量 %(env)s 指定一个含中文字形的字体文件（.ttf/.otf/.ttc）。"
)


def _install_hint() -> str:
    return _(INSTALL_HINT, env=FONT_ENV)

RED = (182, 22, 30)
GOLD = (196, 152, 62)
INK = (34, 30, 28)
GREY = (96, 90, 86)
PAPER = (255, 252, 244)

Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels, right/bottom exclusive)


class FontMissing(Exception):
    """No usable font with Chinese glyphs; the message (in Chinese) says how to install one."""


@dataclass(frozen=True)
class CertificateData:
    number: str  # certificate number, e.g. "AQ2026-000123"
    name: str  # participant name (any user text)
    enterprise: str
    contest: str  # contest title
    score: float  # printed as "80", not "80.0" (see ``points``)
    max_score: float
    date: datetime.date
    verify_url: str  # absolute URL of the public verification page (QR code)
    theme: str = ""  # campaign theme slogan, e.g. 人人讲安全、个个会应急
    issuer: str = ""  # the issuing body (主办单位)
    seal: bytes | None = None  # the issuer's seal, a PNG made by ``prepare_seal``


# --------------------------------------------------------------------------- fonts

# Characters every certificate prints; a font must draw these to be accepted.
_PROBE = "安全知识竞赛合格证书同志成绩满分特发此编号扫码验证年月日"
_NOTDEF_PROBE = "\U0010fffd"  # plane-16 private use: no font maps it, so it draws .notdef

_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    os.path.expanduser("~/.local/share/fonts"),
    os.path.expanduser("~/.fonts"),
    "/System/Library/Fonts",
    "/Library/Fonts",
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts"),
)

# Known places, most suitable first (a serif 宋体-like face looks most formal).
_KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-serif-cjk-vf-fonts/NotoSerifCJK-VF.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-vf-fonts/NotoSansCJK-VF.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/adobe-source-han-serif/SourceHanSerif-Regular.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSans-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
    "/System/Library/Fonts/Supplemental/Songti.ttc",  # macOS
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "simsun.ttc"),  # Windows
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "msyh.ttc"),
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "simhei.ttf"),
)

# File-name patterns searched under _FONT_DIRS when no known path matched.
_FONT_PATTERNS = (
    "*NotoSerifCJK*", "*NotoSansCJK*", "*NotoSerifSC*", "*NotoSansSC*", "*SourceHan*",
    "*wqy*", "*DroidSansFallback*", "*uming*", "*ukai*", "*simsun*", "*msyh*", "*simhei*",
)


def _face_names(path: str) -> list[tuple[int, str]]:
    """(index, "Family Style") of each face in a font file; [] when it is no font."""
    faces = []
    for index in range(32):
        try:
            font = ImageFont.truetype(path, 24, index=index)
        except (OSError, ValueError):
            break
        family, style = font.getname()
        faces.append((index, f"{family or ''} {style or ''}".strip()))
        if not path.lower().endswith((".ttc", ".otc")):
            break
    return faces


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (96, 96))
    ImageDraw.Draw(image).text((16, 16), char, font=font, fill=255)
    return image.tobytes()


def _draws_chinese(path: str, index: int) -> bool:
    """Whether this face draws every probe character as a real glyph (not blank, not tofu)."""
    try:
        font = ImageFont.truetype(path, 48, index=index)
    except (OSError, ValueError):
        return False
    notdef = _glyph(font, _NOTDEF_PROBE)
    blank = bytes(96 * 96)
    glyphs = set()
    for char in _PROBE:
        drawn = _glyph(font, char)
        if drawn == notdef or drawn == blank:
            return False
        glyphs.add(drawn)
    # A font drawing one fallback shape for everything is no Chinese font either.
    return len(glyphs) == len(set(_PROBE))


def cjk_face_index(path: str) -> int | None:
    """Index of the face to use in the font file (Simplified Chinese preferred), or None."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError, TypeError):
        return None
    if not os.path.isfile(path):
        return None
    return _chinese_face_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _chinese_face_cached(path: str, _mtime: int, _size: int) -> int | None:
    faces = _face_names(path)

    def rank(face: tuple[int, str]) -> tuple[int, int]:
        index, name = face
        words = set(re.split(r"[\s\-_]+", name.upper()))
        simplified = bool(words & {"SC", "CN", "GB", "HANS", "SIMPLIFIED"})
        return (0 if simplified else 1, 1 if "MONO" in words else 0)

    for index, _name in sorted(faces, key=rank):
        if _draws_chinese(path, index):
            return index
    return None


def is_cjk_font(path: str) -> bool:
    """Whether the font file at ``path`` has a face that draws Chinese."""
    return cjk_face_index(path) is not None


def _candidates():
    env = os.environ.get(FONT_ENV)
    if env:
        yield env
    yield from _KNOWN_FONTS
    for directory in _FONT_DIRS:
        if os.path.isdir(directory):
            for pattern in _FONT_PATTERNS:
                found = glob.glob(os.path.join(directory, "**", pattern), recursive=True)
                # Regular weights before others, so body text is not set in Bold or Light.
                yield from sorted(found, key=lambda p: ("Regular" not in p, p))
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        yield from sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())


def find_cjk_font() -> str | None:
    """Path of an installed font that draws Chinese (checked), or None."""
    seen = set()
    for path in _candidates():
        if path in seen:
            continue
        seen.add(path)
        if is_cjk_font(path):
            return path
    return None


@dataclass(frozen=True)
class _Faces:
    regular: tuple[str, int]
    bold: tuple[str, int] | None  # None: fake bold with a stroke

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        path, index = (self.bold or self.regular) if bold else self.regular
        return ImageFont.truetype(path, max(1, round(size)), index=index)

    def fake_bold(self, size: float) -> int:
        return 0 if self.bold else max(1, round(size / 36))


@functools.lru_cache(maxsize=16)
def _faces(path: str) -> _Faces:
    index = cjk_face_index(path)
    if index is None:
        raise FontMissing(_("字体 %(path)s 不含中文字形，无法生成证书。", path=path) + _install_hint())
    bold = None
    base = os.path.basename(path)
    for weight in ("Bold", "Medium", "SemiBold"):
        for plain in ("Regular", "regular"):
            if plain in base:
                candidate = os.path.join(os.path.dirname(path), base.replace(plain, weight))
                bold_index = cjk_face_index(candidate) if candidate != path else None
                if bold is None and bold_index is not None:
                    bold = (candidate, bold_index)
    return _Faces((path, index), bold)


def _resolve_font(font_path: str | None) -> _Faces:
    if font_path is None:
        found = find_cjk_font()
        if found is None:
            raise FontMissing(_("未找到可显示中文的字体，无法生成证书。") + _install_hint())
        return _faces(found)
    if not os.path.isfile(font_path):
        raise FontMissing(_("字体文件 %(path)s 不存在或无法读取，无法生成证书。", path=font_path) + _install_hint())
    if not is_cjk_font(font_path):
        raise FontMissing(_("字体 %(path)s 不含中文字形，无法生成证书。", path=font_path) + _install_hint())
    return _faces(font_path)


# --------------------------------------------------------------------------- text

def _clean(text: str, limit: int = 0) -> str:
    """One line of printable text: control and format characters dropped, spaces collapsed,
    at most ``limit`` characters (cut with “…”) when a limit is given."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Zl", "Zp") or char in "\t\n\r\v\f":
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(char)
    text = re.sub(r"\s+", " ", "".join(kept)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _mm(value: float) -> int:
    return round(value * DPI / 25.4)


def _pt(value: float) -> float:
    return value * DPI / 72


@dataclass(frozen=True)
class _Style:
    font: ImageFont.FreeTypeFont
    fill: tuple[int, int, int]
    stroke: int = 0
    underline: bool = False
    role: str | None = None  # reported as a box of its own (e.g. "name")
    _widths: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def length(self, text: str) -> float:
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self.font.getlength(text)
        return width


@dataclass
class _Token:
    text: str
    style: _Style
    width: float = 0.0
    x: float = 0.0

    @property
    def space(self) -> bool:
        return self.text.isspace()


# May not begin a line (行首禁则) / may not end one (行尾禁则).
_NO_START = set("，。、；：！？）》」』】〕〉”’…—%·,.;:!?)]}>")
_NO_END = set("（《「『【〔〈“‘([{<")
_WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f][0-9A-Za-z\u00c0-\u024f'’._@/+#&-]*|\s+|.", re.S)
_ELLIPSIS = "…"


def _tokens(runs: list[tuple[str, _Style]], width: float) -> list[_Token]:
    tokens: list[_Token] = []
    for text, style in runs:
        for piece in _WORD.findall(text):
            if tokens and unicodedata.category(piece[0]).startswith("M"):
                tokens[-1].text += piece  # a combining mark stays with its letter
                tokens[-1].width = tokens[-1].style.length(tokens[-1].text)
                continue
            if piece.isspace():
                piece = " "
            token = _Token(piece, style, style.length(piece))
            if token.width > width and len(piece) > 1:  # a word wider than the line: by letters
                tokens.extend(_Token(c, style, style.length(c)) for c in piece)
            else:
                tokens.append(token)
    return tokens


def _strip(line: list[_Token]) -> list[_Token]:
    while line and line[-1].space:
        line.pop()
    while line and line[0].space:
        line.pop(0)
    return line


def _carry_for(line: list[_Token]) -> list[_Token]:
    """The tokens to take from the end of ``line`` so that a following punctuation mark that
    may not begin a line (，。、；：？！ and closing brackets, 行首禁则) goes down with the
    character before it: back past any run of such marks (“分），”), spaces dropped. Takes
    nothing when that would empty the line."""
    index = len(line)
    while index > 0:
        index -= 1
        if line[index].space:
            continue
        if line[index].text[0] not in _NO_START:
            break
    else:
        return []
    if not any(not t.space for t in line[:index]):
        return []
    carry = [t for t in line[index:] if not t.space]
    del line[index:]
    _strip(line)
    return carry


def _break(tokens: list[_Token], width: float, indent: float = 0.0) -> list[list[_Token]]:
    """Greedy line breaking with the usual Chinese rules for punctuation at line ends."""
    lines: list[list[_Token]] = []
    line: list[_Token] = []
    used = indent
    for token in tokens:
        if token.space and not line:
            continue
        if not line and lines and token.text[0] in _NO_START:
            line = _carry_for(lines[-1])  # the line just ended at a space: take its last word
            used = sum(t.width for t in line)
        if used + token.width <= width or not any(not t.space for t in line):
            line.append(token)
            used += token.width
            continue
        if token.space:
            lines.append(_strip(line))
            line, used = [], 0.0
            continue
        carry: list[_Token] = []
        if token.text[0] in _NO_START:
            carry = _carry_for(line)
        while len(line) >= 2 and line[-1].text[-1] in _NO_END:
            carry.insert(0, line.pop())
        lines.append(_strip(line))
        line = carry + [token]
        used = sum(t.width for t in line)
    if _strip(line):
        lines.append(line)
    return lines


def _shorten(lines: list[list[_Token]], max_lines: int, width: float) -> list[list[_Token]]:
    """At most ``max_lines`` lines, the last ending in “…” when text was cut."""
    if len(lines) <= max_lines:
        return lines
    lines = lines[:max_lines]
    last = lines[-1]
    style = last[-1].style
    mark = _Token(_ELLIPSIS, style, style.length(_ELLIPSIS))
    while last and sum(t.width for t in last) + mark.width > width:
        last.pop()
    _strip(last)
    last.append(mark)
    return lines


@dataclass(frozen=True)
class TextBox:
    role: str  # header, title, theme, body, name, number, qr_caption, issuer, date
    text: str
    box: Box  # ink bounding box in page pixels


@dataclass(frozen=True)
class _Draw:
    x: float
    baseline: float
    text: str
    style: _Style


@dataclass(frozen=True)
class Layout:
    """Where everything goes on the page; ``render_*`` draw exactly this."""

    size: tuple[int, int]  # page pixels
    content: Box  # all text and the QR code stay inside this box (the frame is outside it)
    lines: tuple[TextBox, ...]  # every line of text placed, in reading order
    qr: Box  # the QR code, quiet zone included
    body_px: int  # size the body text came out at after fitting
    font_path: str
    seal: Box | None = None  # the seal, when there is one: over the issuer and the date
    _seal_image: Image.Image | None = field(default=None, repr=False, compare=False)
    _draws: tuple[_Draw, ...] = field(default=(), repr=False, compare=False)
    _rules: tuple[tuple[Box, tuple[int, int, int]], ...] = field(default=(), repr=False, compare=False)
    _qr_image: Image.Image | None = field(default=None, repr=False, compare=False)

    def boxes(self, role: str) -> list[TextBox]:
        return [line for line in self.lines if line.role == role]


def _ink(token_x: float, baseline: float, text: str, style: _Style) -> Box:
    left, top, right, bottom = style.font.getbbox(text, anchor="ls", stroke_width=style.stroke)
    return (
        int(token_x + left), int(baseline + top),
        int(token_x + right + 0.999), int(baseline + bottom + 0.999),
    )


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes), min(b[1] for b in boxes),
        max(b[2] for b in boxes), max(b[3] for b in boxes),
    )


class _Page:
    """Collects what to draw and the boxes of the lines placed."""

    def __init__(self) -> None:
        self.draws: list[_Draw] = []
        self.rules: list[tuple[Box, tuple[int, int, int]]] = []
        self.lines: list[TextBox] = []

    def place(
        self,
        lines: list[list[_Token]],
        role: str,
        left: float,
        width: float,
        top: float,
        align: str = "left",
        indent: float = 0.0,
        leading: float = 1.0,
    ) -> float:
        """Draw wrapped lines from ``top``; returns the bottom (metrics, not ink)."""
        y = top
        for number, line in enumerate(lines):
            ascent = max(t.style.font.getmetrics()[0] for t in line)
            descent = max(t.style.font.getmetrics()[1] for t in line)
            if number:
                y += (leading - 1.0) * (ascent + descent)
            baseline = y + ascent
            first = indent if number == 0 else 0.0
            used = sum(t.width for t in line)
            gap = 0.0
            if align == "justify" and number < len(lines) - 1 and len(line) > 1:
                spare = width - first - used
                if 0 < spare < 2.5 * line[0].style.font.size:
                    gap = spare / (len(line) - 1)
            x = left + first
            if align == "center":
                x = left + (width - used) / 2
            elif align == "right":
                x = left + width - used
            boxes, by_role = [], {}
            for token in line:
                token.x = x
                box = None
                if not token.space:
                    self.draws.append(_Draw(x, baseline, token.text, token.style))
                    box = _ink(x, baseline, token.text, token.style)
                    boxes.append(box)
                if token.style.role:
                    by_role.setdefault(token.style.role, []).append((token, box))
                x += token.width + gap
            text = "".join(t.text for t in line)
            if boxes:
                self.lines.append(TextBox(role, text, _union(boxes)))
            for sub_role, items in by_role.items():
                while items and items[-1][1] is None:
                    items.pop()  # a trailing space
                if not items:
                    continue
                sub_text = "".join(t.text for t, _ in items)
                sub_boxes = [b for _, b in items if b is not None]
                self.lines.append(TextBox(sub_role, sub_text, _union(sub_boxes)))
                style = items[0][0].style
                if style.underline:
                    x0 = items[0][0].x
                    x1 = items[-1][0].x + items[-1][0].width
                    thick = max(2, round(style.font.size / 24))
                    under = round(baseline + style.font.size * 0.16)
                    self.rules.append(((round(x0), under, round(x1), under + thick), style.fill))
            y = baseline + descent
        return y

    def tracked(self, text: str, style: _Style, role: str, center: float, top: float,
                tracking: float) -> float:
        """One centred line with extra space between the characters."""
        widths = [style.font.getlength(c) for c in text]
        total = sum(widths) + tracking * (len(text) - 1)
        ascent, descent = style.font.getmetrics()
        baseline = top + ascent
        x = center - total / 2
        boxes = []
        for char, width in zip(text, widths):
            self.draws.append(_Draw(x, baseline, char, style))
            boxes.append(_ink(x, baseline, char, style))
            x += width + tracking
        self.lines.append(TextBox(role, text, _union(boxes)))
        return baseline + descent


def _lines(runs: list[tuple[str, _Style]], width: float, indent: float = 0.0):
    return _break(_tokens(runs, width), width, indent)


def _fit(make_runs, sizes, width, max_height, indent_em=0.0, leading=1.0, max_lines=None):
    """Largest of ``sizes`` (descending) whose wrapped text fits; else the smallest,
    shortened with “…”. Binary search: smaller text never needs more room."""

    def attempt(size):
        lines = _lines(make_runs(size), width, indent_em * size)
        fits = (max_lines is None or len(lines) <= max_lines) and _height(lines, leading) <= max_height
        return fits, lines

    best = None
    low, high = 0, len(sizes) - 1
    while low <= high:
        middle = (low + high) // 2
        fits, lines = attempt(sizes[middle])
        if fits:
            best, high = (sizes[middle], lines), middle - 1
        else:
            low = middle + 1
    if best is not None:
        return best
    size = sizes[-1]
    lines = attempt(size)[1]
    fitting = max_lines or len(lines)
    while fitting > 1 and _height(lines[:fitting], leading) > max_height:
        fitting -= 1
    return size, _shorten(lines, fitting, width)


def _height(lines: list[list[_Token]], leading: float) -> float:
    total = 0.0
    for number, line in enumerate(lines):
        ascent = max(t.style.font.getmetrics()[0] for t in line)
        descent = max(t.style.font.getmetrics()[1] for t in line)
        total += (ascent + descent) * (leading if number else 1.0)
    return total


def _sizes(largest_pt: float, smallest_pt: float, step_pt: float = 0.5) -> list[float]:
    sizes, size = [], largest_pt
    while size >= smallest_pt - 1e-9:
        sizes.append(_pt(size))
        size -= step_pt
    return sizes


def chinese_date(date: datetime.date) -> str:
    """The date as the certificate prints it; the verification page shows the same string."""
    return f"{date.year}年{date.month}月{date.day}日"


def points(value: float) -> str:
    """A score as people write it: 80 (not 80.0), 92.5; the same as the pages' ``score`` filter."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


# --------------------------------------------------------------------------- seal

SEAL_MAX_BYTES = 300 * 1024  # an upload larger than this is refused
SEAL_MAX_PIXELS = 1000  # longest side kept (38 mm at 300 dpi needs ~450)
SEAL_MIN_PIXELS = 60
SEAL_MM = 38.0  # printed size (a 公章 is 38–42 mm across)
_SEAL_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class SealRefused(Exception):
    """An uploaded seal image that cannot be used; the message (in Chinese) says why."""


def prepare_seal(raw: bytes) -> bytes:
    """An uploaded seal image (PNG or JPEG, checked by its content, not its name), as a PNG
    of at most ``SEAL_MAX_PIXELS`` on its longest side, transparency kept."""
    if not raw:
        raise SealRefused(_("请选择印章图片（PNG 或 JPG 格式）。"))
    if len(raw) > SEAL_MAX_BYTES:
        raise SealRefused(_("印章图片不能超过 %(max)s KB（所选文件约 %(size)s KB），请缩小或压缩后再上传。",
                            max=SEAL_MAX_BYTES // 1024, size=-(-len(raw) // 1024)))
    if not raw.startswith(_SEAL_SIGNATURES):
        raise SealRefused(_("印章图片只能是 PNG 或 JPG 格式（请勿只改文件的扩展名）。"))
    unreadable = _("无法读取这张图片：文件可能已损坏，请重新导出为 PNG 或 JPG 后上传。")
    try:
        image = Image.open(io.BytesIO(raw), formats=("PNG", "JPEG"))
        if image.width * image.height > 16_000_000:
            raise SealRefused(_("印章图片的尺寸过大，请缩小到 1000×1000 像素左右再上传。"))
        image.load()
        image = ImageOps.exif_transpose(image)
    except SealRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise SealRefused(unreadable) from None
    if min(image.size) < SEAL_MIN_PIXELS:
        raise SealRefused(_("印章图片太小（%(width)s×%(height)s 像素），打印会模糊；请上传至少 %(min)s×%(min)s 像素的图片。",
                            width=image.width, height=image.height, min=SEAL_MIN_PIXELS))
    image = image.convert("RGBA")
    image.thumbnail((SEAL_MAX_PIXELS, SEAL_MAX_PIXELS), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _seal_image(png: bytes | None, size: int) -> Image.Image | None:
    """The stored seal fitted in a ``size`` square; None without one (or if unreadable)."""
    if not png:
        return None
    try:
        image = Image.open(io.BytesIO(png), formats=("PNG", "JPEG"))
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    image = image.convert("RGBA")
    scale = size / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.LANCZOS)


# --------------------------------------------------------------------------- QR

def _qr_image(url: str, target: int) -> tuple[Image.Image, int]:
    """The QR code of ``url`` (level M, 4-module quiet zone), about ``target`` pixels wide,
    and the width of its quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()  # quiet zone included
    count = len(matrix)
    modules = Image.new("RGB", (count, count), PAPER)
    modules.putdata([(0, 0, 0) if dark else PAPER for row in matrix for dark in row])
    scale = max(1, target // count)
    return modules.resize((count * scale, count * scale), Image.Resampling.NEAREST), 4 * scale


# --------------------------------------------------------------------------- layout

def certificate_layout(data: CertificateData, font_path: str | None = None) -> Layout:
    """Place everything on the page; raises FontMissing without a Chinese font."""
    faces = _resolve_font(font_path)
    width_px, height_px = _mm(PAGE_MM[0]), _mm(PAGE_MM[1])
    content = (_mm(24), _mm(19), width_px - _mm(24), height_px - _mm(17))
    left, top, right, bottom = content
    left, right = left + _mm(1), right - _mm(1)  # room for ink overhanging a glyph's advance
    width = right - left
    page = _Page()

    def style(size, fill=INK, bold=False, **kw) -> _Style:
        return _Style(faces.font(size, bold), fill, faces.fake_bold(size) if bold else 0, **kw)

    # Heading: 安全知识竞赛 / 合格证书, then the theme.
    header = style(_pt(24), RED)
    y = page.tracked("安全知识竞赛", header, "header", left + width / 2, top, _pt(24) * 0.3)
    title = style(_pt(62), RED, bold=True)
    y = page.tracked("合格证书", title, "title", left + width / 2, y - _pt(62) * 0.12, _pt(62) * 0.45)
    ornament_y = round(y + _mm(1.5))
    page.rules.append(((round(left + width / 2 - _mm(40)), ornament_y,
                        round(left + width / 2 + _mm(40)), ornament_y + _mm(0.5)), GOLD))
    y = ornament_y + _mm(2.5)
    theme = _clean(data.theme, 80)
    if theme:
        size, lines = _fit(lambda s: [(theme, style(s, RED))], _sizes(18, 12), width, _pt(18) * 3,
                           max_lines=2)
        y = page.place(lines, "theme", left, width, y, align="center", leading=1.1)

    # Footer, from the bottom up: QR code and caption at the left, issuer and date at the right.
    qr, quiet = _qr_image(data.verify_url, _mm(34))
    caption = style(_pt(12), GREY)
    caption_h = sum(caption.font.getmetrics())
    qr_box = (left, bottom - caption_h - qr.height, left + qr.width, bottom - caption_h)
    page.place([_lines([("扫码验证", caption)], qr.width)[0]], "qr_caption",
               qr_box[0], qr.width, qr_box[3], align="center")

    column = _mm(112)
    date_style = style(_pt(18))
    date_h = sum(date_style.font.getmetrics())
    date_top = bottom - date_h - _mm(4)
    page.place(_lines([(chinese_date(data.date), date_style)], column), "date",
               right - column, column, date_top, align="right")
    date_box = page.lines[-1].box
    issuer = _clean(data.issuer, 160)
    footer_top = min(qr_box[1], date_top)
    seal_middle = (date_box[1] + date_box[3]) / 2
    if issuer:
        size, lines = _fit(lambda s: [(issuer, style(s))], _sizes(18, 13), column,
                           _pt(18) * 1.45 * 3, leading=1.0, max_lines=3)
        issuer_h = _height(lines, 1.0)
        issuer_top = date_top - _mm(1.5) - issuer_h
        page.place(lines, "issuer", right - column, column, issuer_top, align="right")
        footer_top = min(footer_top, issuer_top)
        seal_middle = (page.lines[-1].box[3] + date_box[1]) / 2  # between issuer and date

    # The seal stamps the issuer's last line and the date, as on paper, inside the margins.
    seal = _seal_image(data.seal, _mm(SEAL_MM))
    seal_box = None
    if seal is not None:
        x0 = round((date_box[0] + date_box[2]) / 2 - seal.width / 2)
        y0 = round(seal_middle - seal.height / 2)
        x0 = max(right - column, min(x0, content[2] - seal.width))
        y0 = min(y0, content[3] - seal.height)
        seal_box = (x0, y0, x0 + seal.width, y0 + seal.height)
        footer_top = min(footer_top, y0)

    number_left = qr_box[2] + _mm(5)
    number_width = (right - column - _mm(8)) - number_left
    number_text = "证书编号：" + _clean(data.number, 64)
    size, lines = _fit(lambda s: [(number_text, style(s, GREY))], _sizes(13, 9), number_width,
                       _pt(13) * 1.45 * 2, max_lines=2)
    number_h = _height(lines, 1.0)
    page.place(lines, "number", number_left, number_width,
               qr_box[3] - quiet - number_h)

    # Body: one paragraph, as large as fits between heading and footer.
    area_top = y + _mm(4)
    area_bottom = footer_top - _mm(5)
    name = _clean(data.name, 40) or "　　"
    enterprise = _clean(data.enterprise, 200)
    contest = _clean(data.contest, 200)

    def body_runs(size: float) -> list[tuple[str, _Style]]:
        text = style(size)
        runs = [(name, style(size * 1.2, bold=True, underline=True, role="name")),
                (" 同志", text)]
        if enterprise:
            runs.append((f"（{enterprise}）", text))
        runs.append((f"在《{contest}》中" if contest else "在本次安全知识竞赛中", text))
        runs += [("成绩 ", text), (points(data.score), style(size * 1.1, RED, bold=True)),
                 (f" 分（满分 {points(data.max_score)} 分），成绩合格，特发此证。", text)]
        return runs

    leading = 1.3
    measure = width
    size, lines = _fit(body_runs, _sizes(22, 12), measure, area_bottom - area_top,
                       indent_em=2.0, leading=leading)
    body_h = _height(lines, leading)
    body_top = area_top + max(0.0, (area_bottom - area_top - body_h) * 0.4)
    page.place(lines, "body", left, measure, body_top, align="justify", indent=2.0 * size,
               leading=leading)

    return Layout(
        size=(width_px, height_px),
        content=content,
        lines=tuple(page.lines),
        qr=qr_box,
        body_px=round(size),
        font_path=faces.regular[0],
        seal=seal_box,
        _seal_image=seal,
        _draws=tuple(page.draws),
        _rules=tuple(page.rules),
        _qr_image=qr,
    )


# --------------------------------------------------------------------------- drawing

def _frame(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    width, height = size

    def rect(inset: float, line: float, colour) -> None:
        draw.rectangle((_mm(inset), _mm(inset), width - 1 - _mm(inset), height - 1 - _mm(inset)),
                       outline=colour, width=max(1, _mm(line)))

    rect(6, 4.2, RED)
    rect(11.4, 0.7, GOLD)
    rect(12.8, 0.3, RED)
    # Corner ornaments: a gold square with a red square inside, on the gold line's corners.
    outer, inner = _mm(3.2), _mm(1.6)
    for cx in (_mm(11.75), width - 1 - _mm(11.75)):
        for cy in (_mm(11.75), height - 1 - _mm(11.75)):
            draw.rectangle((cx - outer, cy - outer, cx + outer, cy + outer), fill=GOLD)
            draw.rectangle((cx - inner, cy - inner, cx + inner, cy + inner), fill=RED)


def render_image(data: CertificateData, font_path: str | None = None) -> Image.Image:
    """The certificate as an RGB Pillow image (A4 landscape at ``DPI``)."""
    layout = certificate_layout(data, font_path)
    image = Image.new("RGB", layout.size, PAPER)
    draw = ImageDraw.Draw(image)
    _frame(draw, layout.size)
    for box, colour in layout._rules:
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=colour)
    for item in layout._draws:
        draw.text((item.x, item.baseline), item.text, font=item.style.font, fill=item.style.fill,
                  anchor="ls", stroke_width=item.style.stroke, stroke_fill=item.style.fill)
    image.paste(layout._qr_image, layout.qr[:2])
    if layout._seal_image is not None:
        # Red ink over the text: multiplied, so the date and the issuer still show through.
        ink = Image.new("RGB", layout._seal_image.size, (255, 255, 255))
        ink.paste(layout._seal_image, mask=layout._seal_image.getchannel("A"))
        image.paste(ImageChops.multiply(image.crop(layout.seal), ink), layout.seal[:2])
    image.info["dpi"] = (DPI, DPI)
    return image


def render_png(data: CertificateData, font_path: str | None = None) -> bytes:
    """The certificate as a PNG (A4 landscape, ``DPI`` dots per inch)."""
    image = render_image(data, font_path)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI), compress_level=6)
    return out.getvalue()


def render_pdf(data: CertificateData, font_path: str | None = None) -> bytes:
    """The certificate as a one-page A4-landscape PDF (the page image, so no font is embedded)."""
    image = render_image(data, font_path)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=DPI, quality=85, subsampling=0,
               title=f"安全知识竞赛合格证书 {_clean(data.number)}", creator="SafeQuiz")
    return out.getvalue()
