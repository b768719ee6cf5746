"""Certificates: the PNG and PDF pages, their QR code, Chinese text and layout.

Pure functions, no app: these tests need only Pillow, qrcode, zxing-cpp and a
font with Chinese glyphs (Debian: apt-get install fonts-noto-cjk); the tests
that draw Chinese are skipped, saying so, when the machine has no such font.
"""
from __future__ import annotations

import dataclasses
import datetime
import glob
import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageFont, PdfParser

from quiz.contests import certificates
from quiz.contests.certificates import (
    CertificateData,
    FontMissing,
    certificate_layout,
    chinese_date,
    find_cjk_font,
    is_cjk_font,
    render_image,
    render_pdf,
    render_png,
)

CJK_FONT = find_cjk_font()
needs_cjk = pytest.mark.skipif(
    CJK_FONT is None,
    reason="no font with Chinese glyphs on this machine (Debian: apt-get install fonts-noto-cjk)",
)
LATIN_FONTS = sorted(
    glob.glob("/usr/share/fonts/**/DejaVuSans.ttf", recursive=True)
    + glob.glob("/usr/share/fonts/**/LiberationSans-Regular.ttf", recursive=True)
)

PAGE = (3508, 2480)  # A4 landscape at 300 dpi

DATA = CertificateData(
    number="AQ2026-000123",
    name="张三",
    enterprise="中铁建设集团有限公司第三工程分公司",
    contest="2026年“安全生产月”全员安全知识竞赛",
    score=95,
    max_score=100,
    date=datetime.date(2026, 6, 16),
    verify_url="https://safequiz.example.cn/certificates/AQ2026-000123?k=Zx81kQ",
    theme="人人讲安全、个个会应急",
    issuer="某某市应急管理局",
)

LONG = dataclasses.replace(
    DATA,
    number="AQ2026-999999",
    name="欧阳<b>&amp;</b>娜" + "王" * 5,  # 20 characters, HTML-like
    enterprise=("国家能源投资集团有限责任公司华北区域煤炭运输与安全生产管理分公司" * 4)[:120],
    contest=("2026年全国“安全生产月”暨“人人讲安全、个个会应急——查找身边安全隐患”"
             "主题活动安全生产知识网络竞赛" * 3)[:120],
    theme="人人讲安全、个个会应急——查找身边安全隐患，" * 3,
    issuer="某某省应急管理厅、某某省总工会、某某省安全生产委员会办公室联合主办" * 2,
)


def _png_image(data: CertificateData) -> Image.Image:
    image = Image.open(io.BytesIO(render_png(data)))
    image.load()
    return image


@pytest.fixture(scope="module")
def page() -> Image.Image:
    if CJK_FONT is None:
        pytest.skip("no font with Chinese glyphs on this machine (Debian: apt-get install fonts-noto-cjk)")
    return _png_image(DATA)


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _dark_pixels(image: Image.Image) -> int:
    return sum(image.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])


# --------------------------------------------------------------------------- PNG


@needs_cjk
def test_png_is_an_a4_landscape_page_of_reasonable_size(page):
    png = render_png(DATA)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 1_500_000
    assert page.format == "PNG" and page.mode == "RGB"
    assert page.size == PAGE
    assert round(page.info["dpi"][0]) == 300


@needs_cjk
@pytest.mark.parametrize(
    "url",
    [
        DATA.verify_url,
        "https://安全.example.cn/verify/AQ2026-000124?token=" + "x7Q9" * 40,  # long, non-ASCII host
    ],
)
def test_qr_code_decodes_to_the_verification_url(url):
    data = dataclasses.replace(DATA, verify_url=url)
    image = _png_image(data)
    found = [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert [r.text for r in found] == [url]
    # It is where the layout says, with its caption below it.
    qr = certificate_layout(data).qr
    corner = found[0].position.top_left
    assert qr[0] <= corner.x <= qr[2] and qr[1] <= corner.y <= qr[3]
    (caption,) = certificate_layout(data).boxes("qr_caption")
    assert caption.text == "扫码验证" and caption.box[1] >= qr[3] - 40


@needs_cjk
def test_chinese_name_is_drawn_not_tofu():
    first = dataclasses.replace(DATA, name="张三")
    second = dataclasses.replace(DATA, name="李四光")
    (box_1,) = certificate_layout(first).boxes("name")
    (box_2,) = certificate_layout(second).boxes("name")
    assert box_1.text == "张三" and box_2.text == "李四光"
    region = (min(box_1.box[0], box_2.box[0]), min(box_1.box[1], box_2.box[1]),
              max(box_1.box[2], box_2.box[2]), max(box_1.box[3], box_2.box[3]))
    crop_1 = _png_image(first).crop(region)
    crop_2 = _png_image(second).crop(region)
    assert _dark_pixels(crop_1) > 500 and _dark_pixels(crop_2) > 500
    assert ImageChops.difference(crop_1, crop_2).getbbox() is not None
    # Each character differs from the font's .notdef box (what tofu would be).
    font = ImageFont.truetype(CJK_FONT, 96, index=certificates.cjk_face_index(CJK_FONT))
    tofu = font.getmask("\U0010fffd").getbbox()
    for char in "张三李四光荣誉证书":
        assert font.getmask(char).getbbox() != tofu or char.isspace()


@needs_cjk
def test_the_page_shows_title_date_number_theme_and_issuer():
    layout = certificate_layout(DATA)
    texts = {box.role: box.text for box in layout.lines}
    assert texts["header"] == "安全知识竞赛"
    assert texts["title"] == "合格证书"
    assert texts["theme"] == "人人讲安全、个个会应急"
    assert texts["issuer"] == "某某市应急管理局"
    assert texts["date"] == "2026年6月16日"
    assert texts["number"] == "证书编号：AQ2026-000123"
    body = "".join(box.text for box in layout.boxes("body"))
    assert body == (
        "张三 同志（中铁建设集团有限公司第三工程分公司）在《2026年“安全生产月”全员安全知识竞赛》"
        "中成绩 95 分（满分 100 分），成绩合格，特发此证。"
    )
    plain = certificate_layout(dataclasses.replace(DATA, theme="", issuer=" "))
    assert not plain.boxes("theme") and not plain.boxes("issuer")
    assert plain.boxes("date")


def test_chinese_date():
    assert chinese_date(datetime.date(2026, 6, 16)) == "2026年6月16日"
    assert chinese_date(datetime.date(2026, 12, 1)) == "2026年12月1日"


# --------------------------------------------------------------------------- layout


def _check_inside_page(data: CertificateData):
    layout = certificate_layout(data)
    assert layout.size == PAGE
    content = layout.content
    assert _inside(content, (0, 0, *PAGE))
    assert _inside(layout.qr, content)
    placed = [line for line in layout.lines if line.role != "name"]  # name: part of a body line
    for line in layout.lines:
        assert _inside(line.box, content), (line, content)
        assert not _overlap(line.box, layout.qr), line
    for index, line in enumerate(placed):
        for other in placed[index + 1:]:
            assert not _overlap(line.box, other.box), (line, other)
    return layout


@needs_cjk
def test_longest_allowed_texts_wrap_inside_the_page_without_being_cut():
    assert (len(LONG.name), len(LONG.enterprise), len(LONG.contest)) == (20, 120, 120)
    layout = _check_inside_page(LONG)
    body = layout.boxes("body")
    assert len(body) >= 4
    text = "".join(box.text for box in body)
    assert "…" not in text
    assert LONG.name in text and LONG.enterprise in text and LONG.contest in text
    assert len(layout.boxes("theme")) <= 2 and len(layout.boxes("issuer")) <= 3
    # Body lines start at the left margin (the first one indented) and fill the width.
    assert body[1].box[0] - layout.content[0] < 40
    assert layout.content[2] - body[1].box[2] < 120


@needs_cjk
@pytest.mark.parametrize(
    "changes",
    [
        {"enterprise": "A" * 120, "contest": "Safety" * 20},  # words wider than a line
        {"enterprise": "很长的单位名称" * 200, "contest": "很长的竞赛名称" * 200,
         "issuer": "主办单位" * 100, "theme": "主题" * 200, "number": "AQ" + "9" * 80},
        {"name": "", "enterprise": "", "contest": "", "theme": "", "issuer": ""},
        {"name": "王\n\t小\u200b明\x00", "enterprise": "  甲\r\n乙  "},
    ],
)
def test_any_text_stays_inside_the_page(changes):
    layout = _check_inside_page(dataclasses.replace(DATA, **changes))
    for line in layout.lines:
        assert not re.search(r"[\x00-\x1f\u200b]", line.text)
    if "name" in changes and changes["name"].startswith("王"):
        assert layout.boxes("name")[0].text == "王 小明"


@needs_cjk
def test_nothing_is_drawn_between_the_frame_and_the_content_area():
    """Checked on the pixels, independently of the layout's own boxes."""
    data = dataclasses.replace(LONG, enterprise="很长的单位名称" * 200, issuer="主办单位" * 100)
    image = render_image(data)
    left, top, right, bottom = certificate_layout(data).content
    frame = round(16 / 25.4 * 300)  # the frame's lines and corner ornaments end before 16 mm
    strips = [
        (frame, frame, left, PAGE[1] - frame),
        (right, frame, PAGE[0] - frame, PAGE[1] - frame),
        (frame, frame, PAGE[0] - frame, top),
        (frame, bottom, PAGE[0] - frame, PAGE[1] - frame),
    ]
    for strip in strips:
        colours = image.crop(strip).getcolors()
        assert colours is not None and len(colours) == 1, strip


# --------------------------------------------------------------------------- PDF


@needs_cjk
def test_pdf_is_one_a4_landscape_page_with_the_certificate():
    pdf = render_pdf(DATA)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    parser = PdfParser.PdfParser(buf=pdf)
    assert len(parser.pages) == 1
    page = parser.read_indirect(parser.pages[0])
    x0, y0, x1, y1 = (float(v) for v in page[b"MediaBox"])
    assert abs((x1 - x0) - 841.89) < 1 and abs((y1 - y0) - 595.28) < 1  # A4 landscape, points
    # The page is the certificate's image, whose QR code still decodes.
    (name,) = page[b"Resources"][b"XObject"].values()
    stream = parser.read_indirect(name)
    image = Image.open(io.BytesIO(stream.buf))
    assert image.size == PAGE
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [DATA.verify_url]


# --------------------------------------------------------------------------- fonts


@needs_cjk
def test_found_font_draws_chinese_with_the_simplified_face():
    assert is_cjk_font(CJK_FONT)
    index = certificates.cjk_face_index(CJK_FONT)
    family = ImageFont.truetype(CJK_FONT, 20, index=index).getname()[0]
    if "CJK" in family:  # Noto CJK / Source Han collections: the SC face, not JP or KR
        assert family.endswith("SC")
    assert certificate_layout(DATA).font_path == CJK_FONT


@pytest.mark.skipif(not LATIN_FONTS, reason="no Latin-only font (DejaVu, Liberation) to test with")
@pytest.mark.parametrize("path", LATIN_FONTS)
def test_a_latin_only_font_is_rejected_with_a_chinese_message(path):
    assert not is_cjk_font(path)
    for render in (render_png, render_pdf):
        with pytest.raises(FontMissing) as raised:
            render(DATA, font_path=path)
        message = str(raised.value)
        assert "中文" in message and "apt-get install fonts-noto-cjk" in message
        assert path in message


def test_missing_font_file_raises_font_missing():
    with pytest.raises(FontMissing, match="fonts-noto-cjk"):
        render_png(DATA, font_path="/nonexistent/NotoSansCJK-Regular.ttc")
    assert not is_cjk_font("/nonexistent/font.ttf")


def test_no_font_on_the_machine_raises_font_missing(monkeypatch):
    monkeypatch.setattr(certificates, "find_cjk_font", lambda: None)
    with pytest.raises(FontMissing) as raised:
        render_pdf(DATA)
    assert "未找到可显示中文的字体" in str(raised.value)
    assert "apt-get install fonts-noto-cjk" in str(raised.value)


@needs_cjk
def test_font_from_the_environment_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv(certificates.FONT_ENV, CJK_FONT)
    assert find_cjk_font() == CJK_FONT
    # A font there that cannot draw Chinese is passed over, not used.
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    monkeypatch.setenv(certificates.FONT_ENV, str(bogus))
    assert find_cjk_font() is not None and find_cjk_font() != str(bogus)


@needs_cjk
def test_a_font_given_by_path_without_a_bold_sibling_is_used(tmp_path):
    """The title then gets a stroked (fake) bold; the page still renders and scans."""
    link = tmp_path / ("chinese" + CJK_FONT[CJK_FONT.rfind("."):])
    link.symlink_to(CJK_FONT)
    data = dataclasses.replace(DATA, name="赵六")
    assert certificate_layout(data, font_path=str(link)).font_path == str(link)
    image = Image.open(io.BytesIO(render_png(data, font_path=str(link))))
    assert image.size == PAGE
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [DATA.verify_url]
    assert render_pdf(data, font_path=str(link)).startswith(b"%PDF-")


# --------------------------------------------------------------------------- issue 17: text, seal


@needs_cjk
def test_whole_number_scores_print_without_a_decimal_point():
    """Scores are stored as floats: 80.0 prints as 80, 92.5 stays 92.5."""
    body = lambda data: "".join(b.text for b in certificate_layout(data).boxes("body"))  # noqa: E731
    text = body(dataclasses.replace(DATA, score=80.0, max_score=100.0))
    assert "成绩 80 分（满分 100 分）" in text and ".0" not in text
    assert "成绩 92.5 分（满分 100 分）" in body(dataclasses.replace(DATA, score=92.5, max_score=100.0))


FORBIDDEN_AT_LINE_START = "，。、；：？！"


@needs_cjk
def test_no_line_starts_with_closing_punctuation():
    """Whatever the lengths of the names, the breaking never leaves ，。、；：？！ (nor a
    closing bracket) at the start of a line of the body, the theme or the issuer."""
    filler = "安全生产管理有限公司"
    starts = []
    for length in range(0, 48):
        enterprise = (filler * 7)[:length]
        for contest in (("全员安全知识竞赛", "安全生产月知识竞赛：危险化学品专场（第二期）")[length % 2],):
            data = dataclasses.replace(
                DATA, enterprise=enterprise, contest=contest, score=80.0,
                theme="人人讲安全、个个会应急——查找身边安全隐患，" + "安" * (length % 9),
                issuer="某某市应急管理局、某某市总工会；" + "主办" * (length % 7))
            layout = certificate_layout(data)
            for line in layout.lines:
                if line.role in ("body", "theme", "issuer"):
                    starts.append((line.text[:1], line.role, length, line.text))
    bad = [s for s in starts if s[0] in FORBIDDEN_AT_LINE_START + "）》」』】〕〉”’"]
    assert not bad, bad[:5]


def _seal_png(size=(400, 400), mode="RGBA") -> bytes:
    from PIL import ImageDraw

    seal = Image.new(mode, size, (255, 255, 255, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(seal)
    draw.ellipse((8, 8, size[0] - 8, size[1] - 8), outline=(200, 20, 20), width=18)
    draw.regular_polygon((size[0] // 2, size[1] // 2, size[0] // 6), 5, fill=(200, 20, 20))
    out = io.BytesIO()
    seal.save(out, "PNG")
    return out.getvalue()


@needs_cjk
def test_the_seal_is_placed_over_the_issuer_and_date_inside_the_page():
    data = dataclasses.replace(DATA, seal=_seal_png())
    layout = _check_inside_page(data)
    seal = layout.seal
    assert seal is not None and _inside(seal, layout.content)
    (date,) = layout.boxes("date")
    assert _overlap(seal, date.box)  # a seal stamps the date, as on paper
    assert not _overlap(seal, layout.qr)
    for line in layout.boxes("body"):
        assert not _overlap(seal, line.box)
    width_mm = (seal[2] - seal[0]) * 25.4 / 300
    assert 30 <= width_mm <= 45
    # Drawn in red over the text (multiplied, so the date still shows through).
    image = render_image(data)
    centre = image.getpixel(((seal[0] + seal[2]) // 2, (seal[1] + seal[3]) // 2))
    assert centre[0] > 150 and centre[1] < 80 and centre[2] < 80
    plain = render_image(DATA)
    assert ImageChops.difference(plain.crop(date.box), image.crop(date.box)).getbbox() is not None
    assert certificate_layout(DATA).seal is None


def test_a_seal_image_is_checked_and_made_a_png():
    good = certificates.prepare_seal(_seal_png())
    assert good.startswith(b"\x89PNG\r\n\x1a\n")
    jpeg = io.BytesIO()
    Image.new("RGB", (300, 300), (255, 255, 255)).save(jpeg, "JPEG")
    converted = certificates.prepare_seal(jpeg.getvalue())
    assert converted.startswith(b"\x89PNG") and Image.open(io.BytesIO(converted)).size == (300, 300)
    large = certificates.prepare_seal(_seal_png((1600, 1600)))
    assert max(Image.open(io.BytesIO(large)).size) <= certificates.SEAL_MAX_PIXELS
    gif = io.BytesIO()
    Image.new("RGB", (200, 200)).save(gif, "GIF")
    for raw, words in ((b"", "请选择"), (b"GIF89a not an image", "PNG 或 JPG"), (gif.getvalue(), "PNG 或 JPG"),
                       (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "无法读取"),
                       (b"x" * (certificates.SEAL_MAX_BYTES + 1), "300 KB"),
                       (_seal_png((20, 20)), "太小")):
        with pytest.raises(certificates.SealRefused) as refused:
            certificates.prepare_seal(raw)
        assert words in str(refused.value), (words, str(refused.value))
