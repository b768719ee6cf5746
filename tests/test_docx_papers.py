"""Word papers (.docx, built here with python-docx) and answer keys at the end of a paper
(.txt and .docx): the exact questions and the exact per-question messages."""
from __future__ import annotations

import io
import os
import re
import zipfile

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from sqlalchemy import func, select

from question_bank.importers import ImportedQuestion, Limits, ParseResult, parse_file
from quiz.extensions import db
from quiz.models import Question

from .conftest import csrf_token

Q = ImportedQuestion
JUDGE = ["正确", "错误"]


def accepted(result: ParseResult) -> list[tuple[str, str, str]]:
    return [(row.question.qtype, row.question.stem, row.question.answer)
            for row in result.rows if row.question is not None]


def rejected(result: ParseResult) -> list[tuple[int, list[str]]]:
    return [(row.line, row.errors) for row in result.rows if row.question is None]


def paper(text: str) -> ParseResult:
    return parse_file("试卷.txt", text.encode("utf-8"))


# --------------------------------------------------------------------------- keys in text papers

SECTIONS = """2025年安全知识竞赛试卷
一、单选题
1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 有限空间作业应当坚持（ ）的原则。
A. 先作业后检测  B. 先通风、再检测、后作业
二、多选题
1. 下列属于特种作业的有（ ）。
A. 电工作业  B. 焊接与热切割作业  C. 文秘工作
2. 动火作业现场应当配备（ ）。
A. 灭火器材  B. 监护人  C. 音响
三、判断题
1. 动火作业结束后应清理现场、确认无残留火种。
2. 进入有限空间作业可以用纯氧通风换气。

参考答案
一、单选题
1-2 AB
二、多选题
1-2 AB AB
三、判断题
1-2 √×
"""


def test_key_at_the_end_per_section_with_numbers_restarting():
    result = paper(SECTIONS)
    assert (rejected(result), result.errors) == ([], [])
    assert accepted(result) == [
        ("single", "动火作业前应当办理（　）。", "A"),
        ("single", "有限空间作业应当坚持（　）的原则。", "B"),
        ("multi", "下列属于特种作业的有（　）。", "AB"),
        ("multi", "动火作业现场应当配备（　）。", "AB"),
        ("judge", "动火作业结束后应清理现场、确认无残留火种。", "A"),
        ("judge", "进入有限空间作业可以用纯氧通风换气。", "B"),
    ]


def test_key_written_after_each_section_heading_on_one_line():
    questions, _ = SECTIONS.split("参考答案")
    for key in ("参考答案\n一、单选题 1-2 AB\n二、多选题：1-2 AB,AB\n（三）判断题 1-2 对错\n",
                "答案：\n一、1-2 AB\n二、1-2 AB AB\n三、1-2 √×\n"):
        result = paper(questions + key)
        assert (rejected(result), result.errors) == ([], [])
        assert [a for _, _, a in accepted(result)] == ["A", "B", "AB", "AB", "A", "B"]


def test_key_on_one_answer_line_with_groups_and_multi_answers_spaced():
    text = """1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 有限空间作业应当坚持（ ）的原则。
A. 先作业后检测  B. 先通风、再检测、后作业
3. 下列属于特种作业的有（ ）。
A. 电工作业  B. 焊接与热切割作业  C. 文秘工作
4. 动火作业现场应当配备（ ）。
A. 灭火器材  B. 监护人  C. 音响
5. 进入有限空间作业可以用纯氧通风换气。（ ）
答案：1-2 AB 3～4：AB ABC 5 ×
"""
    result = paper(text)
    assert (rejected(result), result.errors) == ([], [])
    assert [(q, a) for q, _, a in accepted(result)] == [
        ("single", "A"), ("single", "B"), ("multi", "AB"), ("multi", "ABC"), ("judge", "B")]


def test_key_as_numbered_entries_across_and_down_and_judge_words():
    across = """1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 动火作业结束后应清理现场。
3. 进入有限空间作业可以用纯氧通风换气。
1.A 2.对 3、错
"""
    down = """1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 动火作业结束后应清理现场。
3. 进入有限空间作业可以用纯氧通风换气。
【参考答案】
1.A
2.√
3.×
"""
    brackets = across.replace("1.A 2.对 3、错", "（1）a （2）√ （3）×")
    for text in (across, down, brackets):
        result = paper(text)
        assert (rejected(result), result.errors) == ([], [])
        assert [(q, a) for q, _, a in accepted(result)] == [("single", "A"), ("judge", "A"), ("judge", "B")]


def test_key_with_explanations_at_the_end():
    text = """1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 进入有限空间作业可以用纯氧通风换气。

参考答案及解析
1.【答案】A【解析】动火作业实行许可管理。
未办理许可证不得动火。

2. ×。解析：纯氧会助燃，易引发火灾。
"""
    result = paper(text)
    assert (rejected(result), result.errors) == ([], [])
    assert [(row.question.answer, row.question.explanation) for row in result.rows] == [
        ("A", "动火作业实行许可管理。\n未办理许可证不得动火。"), ("B", "纯氧会助燃，易引发火灾。")]


def test_a_key_that_does_not_match_the_questions_says_so_per_question():
    text = """1. 动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
2. 有限空间作业应当坚持（ ）的原则。
A. 先作业后检测  B. 先通风、再检测、后作业
3. 动火作业现场应当配备（ ）。
A. 灭火器材  B. 监护人
答案：A
4. 下列属于特种作业的是（ ）。
A. 电工作业  B. 文秘工作
5. 有限空间作业前应当检测（ ）。
A. 氧含量  B. 气温

参考答案
1-2 A
3.B 7.A
"""
    result = paper(text)
    assert accepted(result) == []
    assert rejected(result) == [
        (1, ["答案表「1-2」有 1 个答案，与 2 道题不符，无法确定本题答案"]),
        (3, ["答案表「1-2」有 1 个答案，与 2 道题不符，无法确定本题答案"]),
        (5, ["答案「A」与答案表中的「B」不一致"]),
        (8, ["答案表中没有第 4 题的答案"]),
        (10, ["答案表中没有第 5 题的答案"]),
    ]
    assert result.errors == ["答案表中第 7 题在试卷中找不到，这些答案未使用"]


def test_a_key_under_unnumbered_questions_does_not_hide_them():
    text = """动火作业前应当办理（ ）。
A. 动火作业许可证  B. 出入证
答案：A

进入有限空间作业可以用纯氧通风换气。

1.A 2.错
"""
    result = paper(text)
    assert accepted(result) == [("single", "动火作业前应当办理（　）。", "A")]
    assert rejected(result) == []  # unnumbered: a block without options or answer is a note
    assert result.errors == ["答案表中第 1、2 题在试卷中找不到，这些答案未使用"]


def test_lines_that_only_look_like_keys_stay_questions():
    text = """1.A级动火作业由谁审批（ ）。
A. 厂长  B. 班长
答案：A
2. A、B两类危险源中，哪类是第一类（ ）。
A. A类  B. B类
答案：A
"""
    result = paper(text)
    assert (rejected(result), result.errors) == ([], [])
    assert [s for _, s, _ in accepted(result)] == ["A级动火作业由谁审批（　）。", "A、B两类危险源中，哪类是第一类（　）。"]


# --------------------------------------------------------------------------- Word papers


def word(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_word_paper_headings_options_over_several_paragraphs_and_answer_lines():
    def build(d):
        d.add_heading("2025年安全生产月知识竞赛试卷", level=1)
        d.add_paragraph("一、单选题（每题2分）")
        d.add_paragraph("1. 动火作业前应当办理（ ）。")
        d.add_paragraph("A．动火作业许可证")
        d.add_paragraph("B．出入证")
        d.add_paragraph("C．通行证")
        d.add_paragraph("【答案】A")
        d.add_paragraph("二、多选题")
        p = d.add_paragraph("2. 下列属于特种作业的有（ ）。")
        p.add_run().add_break()  # Shift+Enter inside the paragraph
        p.add_run("A．电工作业  B．焊接与热切割作业")
        d.add_paragraph("C．文秘工作")
        d.add_paragraph("正确答案：AB")
        d.add_paragraph("三、判断题")
        d.add_paragraph("3. 进入有限空间作业可以用纯氧通风换气。")
        d.add_paragraph("答案：错")

    result = parse_file("试卷.docx", word(build))
    assert (result.format, rejected(result), result.errors) == ("docx", [], [])
    questions = [row.question for row in result.rows]
    assert questions == [
        Q("single", "动火作业前应当办理（　）。", ["动火作业许可证", "出入证", "通行证"], "A"),
        Q("multi", "下列属于特种作业的有（　）。", ["电工作业", "焊接与热切割作业", "文秘工作"], "AB"),
        Q("judge", "进入有限空间作业可以用纯氧通风换气。", JUDGE, "B"),
    ]
    assert [row.line for row in result.rows] == [3, 9, 13]  # paragraph numbers


def test_word_paper_with_options_in_a_table_and_the_key_in_a_table_at_the_end():
    def build(d):
        d.add_paragraph("一、单选题")
        d.add_paragraph("1. 动火作业前应当办理（ ）。")
        options = d.add_table(rows=1, cols=2)
        options.cell(0, 0).text = "A．动火作业许可证"
        options.cell(0, 1).text = "B．出入证"
        d.add_paragraph("2. 有限空间作业应当坚持（ ）的原则。")
        d.add_paragraph("A．先作业后检测")
        d.add_paragraph("B．先通风、再检测、后作业")
        d.add_paragraph("二、判断题")
        d.add_paragraph("3. 进入有限空间作业可以用纯氧通风换气。")
        d.add_paragraph("参考答案")
        key = d.add_table(rows=2, cols=4)
        for col, (number, answer) in enumerate([("题号", "答案"), ("1", "A"), ("2", "B"), ("3", "×")]):
            key.cell(0, col).text = number
            key.cell(1, col).text = answer

    result = parse_file("试卷.docx", word(build))
    assert (rejected(result), result.errors) == ([], [])
    assert accepted(result) == [
        ("single", "动火作业前应当办理（　）。", "A"),
        ("single", "有限空间作业应当坚持（　）的原则。", "B"),
        ("judge", "进入有限空间作业可以用纯氧通风换气。", "B"),
    ]


def test_word_paper_key_table_in_columns_and_a_text_key_at_the_end():
    def questions(d):
        d.add_paragraph("1. 动火作业前应当办理（ ）。")
        d.add_paragraph("A．动火作业许可证  B．出入证")
        d.add_paragraph("2. 动火作业现场应当配备（ ）。")
        d.add_paragraph("A．灭火器材  B．监护人  C．音响")

    def columns(d):
        questions(d)
        key = d.add_table(rows=3, cols=2)
        for row, (number, answer) in enumerate([("题号", "参考答案"), ("1", "A"), ("2", "AB")]):
            key.cell(row, 0).text = number
            key.cell(row, 1).text = answer

    def text_key(d):
        questions(d)
        d.add_paragraph("答案：1-2 A AB")

    def unlabelled(d):
        questions(d)
        d.add_paragraph("参考答案")
        key = d.add_table(rows=2, cols=2)
        for col, (number, answer) in enumerate([("1", "A"), ("2", "AB")]):
            key.cell(0, col).text = number
            key.cell(1, col).text = answer

    def trailing(d):
        d.add_paragraph("1. 动火作业前应当办理（ ）。")
        d.add_paragraph("A．动火作业许可证  B．出入证\t答案：A")
        d.add_paragraph("2. 动火作业现场应当配备（ ）。")
        d.add_paragraph("A．灭火器材  B．监护人  C．音响    【答案】A、B")

    for build in (columns, text_key, unlabelled, trailing):
        result = parse_file("试卷.docx", word(build))
        assert (rejected(result), result.errors) == ([], [])
        assert [(q, a) for q, _, a in accepted(result)] == [("single", "A"), ("multi", "AB")]


def test_word_question_table_with_a_header_is_read_like_a_spreadsheet():
    def build(d):
        d.add_paragraph("附：题库（表格）")
        table = d.add_table(rows=4, cols=5)
        rows = [["序号", "题干", "选项", "答案", "题型"],
                ["1", "动火作业前应当办理（ ）。", "A、动火作业许可证\nB、出入证", "A", "单选"],
                ["2", "进入有限空间作业可以用纯氧通风换气。", "", "错", "判断"],
                ["3", "下列属于特种作业的有（ ）。", "A、电工作业\nB、文秘工作", "C", "单选"]]
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
        d.add_paragraph("4. 动火作业现场应当配备（ ）。")
        d.add_paragraph("A．灭火器材  B．音响  答案：A")

    result = parse_file("题库.docx", word(build))
    assert result.errors == []
    assert accepted(result) == [
        ("single", "动火作业前应当办理（　）。", "A"),
        ("judge", "进入有限空间作业可以用纯氧通风换气。", "B"),
        ("single", "动火作业现场应当配备（　）。", "A"),
    ]
    assert rejected(result) == [(5, ["答案 C 不在选项中"])]


def _png() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_word_questions_that_need_a_picture_are_refused_not_imported_without_it():
    def build(d):
        d.add_picture(_png())  # a logo above the title: not part of any question
        d.add_paragraph("一、单选题")
        d.add_paragraph("1. 下图所示安全标志的含义是（ ）。")
        d.add_picture(_png())
        d.add_paragraph("A．禁止吸烟  B．当心火灾")
        d.add_paragraph("答案：A")
        d.add_paragraph("2. 表示“必须戴安全帽”的标志是（ ）。")
        option = d.add_paragraph("A．")
        option.add_run().add_picture(_png())
        d.add_paragraph("B．")
        d.add_paragraph("答案：A")
        formula = d.add_paragraph("3. 氧含量低于（ ）时不得进入有限空间，即 ")
        math = OxmlElement("m:oMath")  # an Equation Editor formula: its text is not in the runs
        run, text = OxmlElement("m:r"), OxmlElement("m:t")
        text.text = "19.5%"
        run.append(text)
        math.append(run)
        formula._p.append(math)
        d.add_paragraph("A．正确  B．错误")
        d.add_paragraph("4. 动火作业前应当办理（ ）。")
        d.add_paragraph("A．动火作业许可证  B．出入证")
        d.add_paragraph("答案：A")
        d.add_paragraph("解析：见下图。")
        d.add_picture(_png())

    result = parse_file("试卷.docx", word(build))
    picture = "题目含图片或公式，无法导入：请把图片、公式改写成文字，或删掉这道题"
    assert rejected(result) == [(3, [picture]), (7, [picture]), (11, [picture])]
    assert [(row.question.stem, row.question.explanation) for row in result.rows if row.question] == [
        ("动火作业前应当办理（　）。", "见下图。")]


def _numbered(document, numbering_xml_levels):
    """A numbering definition in the document's numbering part; returns its numId."""
    numbering = document.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    for level, (fmt, text) in enumerate(numbering_xml_levels):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        for tag, value in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            lvl.append(child)
        abstract.append(lvl)
    numbering.insert(0, abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), "90")
    num.append(ref)
    numbering.append(num)
    return "90"


def _list_item(paragraph, num_id: str, level: int) -> None:
    props = paragraph._p.get_or_add_pPr()
    num_pr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", str(level)), ("w:numId", num_id)):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        num_pr.append(child)
    props.append(num_pr)


def test_word_automatic_numbering_of_questions_and_option_letters():
    def build(d):
        num = _numbered(d, [("decimal", "%1."), ("upperLetter", "%2.")])
        d.add_paragraph("一、单选题")
        for stem, options in (("动火作业前应当办理（ ）。", ["动火作业许可证", "出入证"]),
                              ("有限空间作业应当坚持（ ）的原则。", ["先作业后检测", "先通风、再检测、后作业"])):
            _list_item(d.add_paragraph(stem), num, 0)
            for option in options:
                _list_item(d.add_paragraph(option), num, 1)
        d.add_paragraph("参考答案：1-2 AB")

    result = parse_file("试卷.docx", word(build))
    assert (rejected(result), result.errors) == ([], [])
    assert [row.question.options for row in result.rows] == [
        ["动火作业许可证", "出入证"], ["先作业后检测", "先通风、再检测、后作业"]]
    assert [a for _, _, a in accepted(result)] == ["A", "B"]


def test_word_numbering_from_the_list_style_and_restarted_per_section():
    def build(d):
        num = _numbered(d, [("decimal", "%1、"), ("upperLetter", "%2.")])
        restart = OxmlElement("w:num")  # "重新开始编号": the same list, counting from 1 again
        restart.set(qn("w:numId"), "91")
        for tag, attrs in (("w:abstractNumId", {"w:val": "90"}),):
            ref = OxmlElement(tag)
            for k, v in attrs.items():
                ref.set(qn(k), v)
            restart.append(ref)
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start = OxmlElement("w:startOverride")
        start.set(qn("w:val"), "1")
        override.append(start)
        restart.append(override)
        d.part.numbering_part.element.append(restart)
        d.add_paragraph("一、单选题")
        d.add_paragraph("动火作业前应当办理（ ）。", style="List Number")  # numbered by its style
        d.add_paragraph("A．动火作业许可证  B．出入证")
        d.add_paragraph("有限空间作业应当坚持（ ）的原则。", style="List Number")
        d.add_paragraph("A．先作业后检测  B．先通风、再检测、后作业")
        d.add_paragraph("二、判断题")
        _list_item(d.add_paragraph("动火作业结束后应清理现场。"), num, 0)
        _list_item(d.add_paragraph("进入有限空间作业可以用纯氧通风换气。"), num, 0)
        d.add_paragraph("三、多选题")
        _list_item(d.add_paragraph("动火作业现场应当配备（ ）。"), "91", 0)  # 1、 again
        d.add_paragraph("A．灭火器材  B．监护人  C．音响")
        _list_item(d.add_paragraph("下列属于特种作业的有（ ）。"), num, 0)  # continues: 2、
        d.add_paragraph("A．电工作业  B．文秘工作  C．焊接与热切割作业")
        d.add_paragraph("参考答案")
        d.add_paragraph("一、单选题 1-2 AB")
        d.add_paragraph("二、判断题 1-2 √×")
        d.add_paragraph("三、多选题 1-2 AB AC")

    result = parse_file("试卷.docx", word(build))
    assert (rejected(result), result.errors) == ([], [])
    assert [(q, a) for q, _, a in accepted(result)] == [
        ("single", "A"), ("single", "B"), ("judge", "A"), ("judge", "B"), ("multi", "AB"), ("multi", "AC")]


def test_word_file_guards_and_old_doc():
    def big(d):
        d.add_paragraph("1. 动火作业前应当办理（ ）。")
        d.add_paragraph("A．动火作业许可证  B．出入证")
        d.add_paragraph("答案：A")
        d.part.package  # an embedded part that does not compress
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part
        blob = os.urandom(200 * 1024)
        d.part.relate_to(Part(PackURI("/word/media/filler.bin"), "application/octet-stream", blob,
                              d.part.package), "http://example.com/filler")

    data = word(big)
    assert Limits().max_docx_uncompressed == 50 * 1024 * 1024
    assert len(accepted(parse_file("试卷.docx", data))) == 1
    refused = parse_file("试卷.docx", data, Limits(max_docx_uncompressed=100 * 1024))
    assert (refused.rows, refused.errors) == ([], ["Word 文件解压后超过 100 KB 上限，已拒绝"])
    old = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2048)
    assert parse_file("试卷.doc", old).errors == ["不支持旧版 Word .doc 文件，请在 Word 中另存为 .docx 后再导入"]
    assert parse_file("试卷.docx", b"not a zip at all").errors == ["文件不是有效的 Word（.docx）文件"]
    assert parse_file("空白.docx", word(lambda d: None)).errors == ["文件中没有找到题目"]


def test_word_files_that_are_not_docx_get_a_clear_message():
    save_as = "不支持旧版 Word .doc 文件，请在 Word 中另存为 .docx 后再导入"
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2048)
    assert parse_file("改了扩展名.docx", ole).errors == [save_as]
    encrypted = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512) + "EncryptedPackage".encode("utf-16-le")
    assert parse_file("有密码.docx", encrypted).errors == ["文件设有打开密码，请在 Office 中取消密码后再导入"]
    assert parse_file("试卷.doc", rb"{\rtf1\ansi 1. A" + b"}").errors == [save_as]
    assert parse_file("试卷.doc", "<html><body>1. 题目</body></html>".encode()).errors == [save_as]
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(word(lambda d: d.add_paragraph("1. 题目")))) as source, \
            zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"document.main+xml", b"template.main+xml")
            target.writestr(item, body)
    result = parse_file("模板.dotx", buffer.getvalue())
    assert (result.format, result.errors) == ("docx", ["这是 Word 模板或启用宏的文档，请在 Word 中另存为 .docx 后再导入"])


# --------------------------------------------------------------------------- web and command line


def _key_paper(d):
    d.add_paragraph("一、单选题")
    d.add_paragraph("1. 办理一级动火许可证前应当由谁审批（ ）。")
    d.add_paragraph("A．主要负责人")
    d.add_paragraph("B．班组长")
    d.add_paragraph("2. 受限空间作业监护人可以离开现场吗（ ）。")
    d.add_paragraph("A．可以")
    d.add_paragraph("B．不可以")
    d.add_paragraph("参考答案")
    d.add_paragraph("1-3 AB")


def test_web_import_accepts_word_papers(app, organiser_client):
    from .test_bank_pages import new_category

    new_category()  # categories are a managed list: the organiser makes this one
    token = csrf_token(organiser_client, "/admin/questions/import")
    response = organiser_client.post("/admin/questions/import", data={
        "file": (io.BytesIO(word(_key_paper)), "试卷.docx"), "category": "导入测试", "csrf_token": token},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html  # nothing importable: both questions refused
    assert "Word 试卷" in html and "拒绝 2 行" in html
    assert "答案表「1-3」有 2 个答案，与 3 道题不符，无法确定本题答案" in html
    assert ".docx" in organiser_client.get("/admin/questions/import").get_data(as_text=True)


def test_cli_imports_a_word_paper(app, tmp_path):
    def good(d):
        _key_paper(d)
        d.paragraphs[-1].text = "1-2 AB"

    from .test_bank_pages import new_category

    new_category()
    path = tmp_path / "试卷.docx"
    path.write_bytes(word(good))
    before = db.session.scalar(select(func.count(Question.id)))
    result = app.test_cli_runner().invoke(args=["bank", "import", str(path), "--category", "导入测试"])
    assert result.exit_code == 0, result.output
    assert "读取 2，导入 2，跳过 0，拒绝 0，更新 0，未变 0。" in result.output
    assert db.session.scalar(select(func.count(Question.id))) == before + 2
    answers = db.session.scalars(select(Question.answer).where(Question.source == "导入:试卷.docx")).all()
    assert sorted(answers) == ["A", "B"]
