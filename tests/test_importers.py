"""The question-file importer: every layout and notation of IMPORT_FORMATS.md, built in memory,
with the exact questions and the exact row-by-row messages; and hostile files."""
from __future__ import annotations

import io
import random
import re
import struct
import zipfile

import openpyxl
import pytest

from question_bank.importers import (
    ImportedQuestion,
    Limits,
    ParseResult,
    RowResult,
    parse_file,
)

Q = ImportedQuestion
FOUR = ["直接责任人", "第一责任人", "间接责任人", "主要监督人"]
JUDGE = ["正确", "错误"]
FORMULA = "单元格含公式，请粘贴为数值后再导入"


# --------------------------------------------------------------------------- helpers


def xlsx(*sheets: tuple[str, list[list]], merge: dict[str, str] | None = None) -> bytes:
    """An .xlsx with the given (sheet name, rows); merge maps a sheet name to a range to merge."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if merge and name in merge:
            sheet.merge_cells(merge[name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def accepted(result: ParseResult) -> list[tuple[int, ImportedQuestion]]:
    return [(row.line, row.question) for row in result.rows if row.question is not None]


def rejected(result: ParseResult) -> list[tuple[int, list[str]]]:
    return [(row.line, row.errors) for row in result.rows if row.question is None]


def only_question(result: ParseResult) -> ImportedQuestion:
    assert result.errors == [], result.errors
    assert rejected(result) == []
    [(_, question)] = accepted(result)
    return question


# --------------------------------------------------------------------------- xlsx layouts

HEADER = ["序号", "题型（0单选，1判断，2多选）", "题干", "选项A", "选项B", "选项C", "选项D",
          "答案", "解析", "难度", "分类", "依据", "分值"]


def test_xlsx_title_and_instruction_rows_before_the_header_type_codes_and_cleaning():
    data = xlsx(("题库", [
        ["2024年安全生产月知识竞赛题库"],  # merged title row
        ["填写说明：题型填 0/1/2；答案填写选项字母，多选题不用分隔"],
        HEADER,
        [1, 0, "12.生产经营单位的主要负责人是本单位安全生产的（  ）。  ", "A.直接责任人", "第一责任人 ",
         "间接责任人", "主要监督人", "B", "《安全生产法》第五条。", "简单", "安全生产法律法规",
         "安全生产法 第五条", 2],
        [2, 2, "（13）下列属于安全生产\n“三同时”要求的有(    )", "同时设计", "同时施工", "同时投入生产和使用",
         "同时验收", "ABC", "第三十一条", "中等", "安全生产法律法规", None, 2.5],
        [3, 1, "13、安全帽可以不系下颏带。", None, None, None, None, "错误", "", "困难", None, None, None],
        [4, 0, "发现火灾应拨打（____）。", "110", "119", "120", None, "B", None, 4, None, None, None],
    ]), merge={"题库": "A1:M1"})
    result = parse_file("题库.xlsx", data)
    assert result.format == "xlsx"
    assert result.errors == []
    assert accepted(result) == [
        (4, Q("single", "生产经营单位的主要负责人是本单位安全生产的（　）。", FOUR, "B",
              "《安全生产法》第五条。", "安全生产法律法规", 1, "安全生产法 第五条", [], 2.0)),
        (5, Q("multi", "下列属于安全生产“三同时”要求的有（　）",
              ["同时设计", "同时施工", "同时投入生产和使用", "同时验收"], "ABC", "第三十一条",
              "安全生产法律法规", 2, None, [], 2.5)),
        (6, Q("judge", "安全帽可以不系下颏带。", JUDGE, "B", "", None, 3)),
        (7, Q("single", "发现火灾应拨打（　）。", ["110", "119", "120"], "B", difficulty=3)),
    ]
    assert all(row.sheet is None for row in result.rows)  # one sheet: no sheet name


@pytest.mark.parametrize(
    "header",
    [
        ["试题类型", "题目内容", "A", "B", "C", "D", "正确答案", "答案解析", "题目分类", "难度", "题目依据", "试题分数"],
        ["题目类型", "问题", "选项一", "选项二", "选项三", "选项四", "正确选项", "试题解析", "所属题库", "难度", "依据", "分值"],
        ["题型", "问题内容", "选项1", "选项2", "选项3", "选项4", "题目答案", "判断题解析", "知识点", "难度", "依据", "分值"],
        ["题型", "试题", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "作业种类", "难度", "依据", "分值"],
        ["题型", "题目", "选项a", "选项b", "选项c", "选项d", "答案", "解析", "一级纲要", "难度", "依据", "分值"],
        ["*题型", "*题干 ", "Ａ", "Ｂ", "Ｃ", "Ｄ", "*答案（多选题连写）", "解析", "分类", "难度", "依据", "分值"],
    ],
)
def test_xlsx_header_name_variants(header):
    data = xlsx(("Sheet1", [header, ["单选题", "主要负责人是（ ）", *FOUR, "B", "第五条", "法规", "易",
                                     "安全生产法 第五条", "1"]]))
    assert only_question(parse_file("x.xlsx", data)) == Q(
        "single", "主要负责人是（　）", FOUR, "B", "第五条", "法规", 1, "安全生产法 第五条", [], 1.0
    )


def test_xlsx_options_e_to_h_and_category_levels_and_tags():
    data = xlsx(("Sheet1", [
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "选项G", "选项H", "答案",
         "一级纲要", "二级纲要", "标签"],
        ["多项选择", "个人防护用品包括（ ）", "安全帽", "安全带", "防护眼镜", "绝缘手套", "防尘口罩", "耳塞",
         "防护服", "安全鞋", "A/C/D/H", "职业健康", "个体防护", "防护用品，劳保"],
    ]))
    assert only_question(parse_file("x.xlsx", data)) == Q(
        "multi", "个人防护用品包括（　）",
        ["安全帽", "安全带", "防护眼镜", "绝缘手套", "防尘口罩", "耳塞", "防护服", "安全鞋"], "ACDH",
        category="职业健康", tags=["个体防护", "防护用品", "劳保"],
    )


@pytest.mark.parametrize(
    ("type_header", "value", "expected"),
    [
        ("题型", "单选", "single"), ("题型", "单选题", "single"), ("题型", "单项选择", "single"),
        ("题型", "单项选择题", "single"), ("题型", "多选", "multi"), ("题型", "多选题", "multi"),
        ("题型", "多项选择", "multi"), ("题型", "判断", "judge"), ("题型", "判断题", "judge"),
        ("题型", "是非题", "judge"),
        ("题型（0单选，1判断，2多选）", 0, "single"), ("题型（0单选，1判断，2多选）", 1, "judge"),
        ("题型（0单选，1判断，2多选）", 2, "multi"),
        ("题型(1-单选题,2-多选题,3-判断题)", 1, "single"), ("题型(1-单选题,2-多选题,3-判断题)", 2, "multi"),
        ("题型(1-单选题,2-多选题,3-判断题)", 3, "judge"),
    ],
)
def test_type_names_and_codes(type_header, value, expected):
    options = {"single": ["甲", "乙", "丙"], "multi": ["甲", "乙", "丙"], "judge": ["正确", "错误", None]}[expected]
    answer = {"single": "A", "multi": "AB", "judge": "A"}[expected]
    data = xlsx(("Sheet1", [[type_header, "题干", "A", "B", "C", "答案"], [value, "某题", *options, answer]]))
    question = only_question(parse_file("x.xlsx", data))
    assert (question.qtype, question.answer) == (expected, answer)


@pytest.mark.parametrize(
    ("answer", "letters"),
    [("B", "B"), ("ACD", "ACD"), ("A,C", "AC"), ("A，C", "AC"), ("A、C", "AC"), ("A/C/D", "ACD"),
     ("a c", "AC"), (" B ", "B"), ("ＢＤ", "BD"), ("2", "B"), (4, "D"), ("1,3", "AC"), ("CA", "AC")],
)
def test_choice_answer_notations_and_type_inference(answer, letters):
    data = xlsx(("Sheet1", [["题干", "选项A", "选项B", "选项C", "选项D", "答案"],
                            ["某题（ ）", "甲", "乙", "丙", "丁", answer]]))
    question = only_question(parse_file("x.xlsx", data))
    assert question.answer == letters
    assert question.qtype == ("multi" if len(letters) > 1 else "single")


@pytest.mark.parametrize(
    ("answer", "letter"),
    [("正确", "A"), ("错误", "B"), ("对", "A"), ("错", "B"), ("√", "A"), ("×", "B"), ("是", "A"),
     ("否", "B"), ("A", "A"), ("B", "B"), ("T", "A"), ("F", "B"), (True, "A"), (False, "B"), (1, "A"),
     (2, "B"), ("正确。", "A")],
)
def test_judge_answer_notations(answer, letter):
    data = xlsx(("Sheet1", [["题型", "题干", "答案"], ["判断", "动火作业前应进行气体检测。", answer]]))
    assert only_question(parse_file("x.xlsx", data)) == Q("judge", "动火作业前应进行气体检测。", JUDGE, letter)


def test_judge_inferred_without_type_column():
    data = xlsx(("Sheet1", [
        ["题干", "选项A", "选项B", "答案"],
        ["电气设备着火应先切断电源。", "正确", "错误", "A"],
        ["可以用湿手触摸开关。", "对", "错", "B"],
        ["可以用水扑救带电设备火灾。", "错误", "正确", "A"],  # options listed the other way round
        ["安全出口可以上锁。", None, None, "×"],
        ["灭火器应定期检查。", None, None, "B"],  # a bare letter without options is not a judgement
    ]))
    result = parse_file("x.xlsx", data)
    assert accepted(result) == [
        (2, Q("judge", "电气设备着火应先切断电源。", JUDGE, "A")),
        (3, Q("judge", "可以用湿手触摸开关。", JUDGE, "B")),
        (4, Q("judge", "可以用水扑救带电设备火灾。", JUDGE, "B")),
        (5, Q("judge", "安全出口可以上锁。", JUDGE, "B")),
    ]
    assert rejected(result) == [(6, ["至少需要两个选项"])]


@pytest.mark.parametrize(
    ("cell", "options"),
    [
        ("**A.正确**B.错误", ["正确", "错误"]),
        ("A-带电|B-停电|C-验电", ["带电", "停电", "验电"]),
        ("A：带电\nB：停电\nC：验电", ["带电", "停电", "验电"]),
        ("A、带电\nB、停电\nC、验电", ["带电", "停电", "验电"]),
        ("A.带电\nB.停电\nC.验电", ["带电", "停电", "验电"]),
        ("A:带电\nB:停电\nC:验电", ["带电", "停电", "验电"]),
        ("A.带电 B.停电 C.验电", ["带电", "停电", "验电"]),
        ("A.带电B.停电C.验电", ["带电", "停电", "验电"]),
        ("带电|停电|验电", ["带电", "停电", "验电"]),
        ("A.富含维生素B、C的蔬菜\nB.油炸食品", ["富含维生素B、C的蔬菜", "油炸食品"]),  # B、 inside a text
    ],
)
def test_xlsx_options_packed_in_one_cell(cell, options):
    data = xlsx(("Sheet1", [["题型", "题目", "选项", "正确答案"], ["单选", "检修时应（ ）", cell, "B"]]))
    assert only_question(parse_file("x.xlsx", data)) == Q("single", "检修时应（　）", options, "B")


def test_xlsx_packed_judge_options_make_a_judge_question():
    data = xlsx(("Sheet1", [["题目", "选项", "答案"], ["高处作业必须系安全带。", "**A.正确**B.错误", "A"]]))
    assert only_question(parse_file("x.xlsx", data)) == Q("judge", "高处作业必须系安全带。", JUDGE, "A")


def test_xlsx_each_option_with_its_own_correct_column():
    data = xlsx(("Sheet1", [
        ["题干", "选项一", "是否正确", "选项二", "是否正确", "选项三", "是否正确", "选项四", "是否正确"],
        ["灭火的基本方法有（ ）", "冷却法", "是", "窒息法", "是", "隔离法", "是", "加热法", "否"],
        ["火警电话是（ ）", "110", "", "119", "√", "120", "", None, None],
        ["报警电话是（ ）", "110", "", "119", "", "120", "", None, None],
    ]))
    result = parse_file("x.xlsx", data)
    assert accepted(result) == [
        (2, Q("multi", "灭火的基本方法有（　）", ["冷却法", "窒息法", "隔离法", "加热法"], "ABC")),
        (3, Q("single", "火警电话是（　）", ["110", "119", "120"], "B")),
    ]
    assert rejected(result) == [(4, ["缺少答案"])]


def test_xlsx_one_sheet_per_type_with_empty_and_instruction_sheets():
    data = xlsx(
        ("填写说明", [["请按模板填写，每种题型一个工作表。"]]),
        ("单选题", [["题干", "A", "B", "C", "D", "答案"],
                   ["主要负责人是（ ）", *FOUR, "B"],
                   ["负责人是（ ）", *FOUR, "AB"]]),
        ("多选题", [["题干", "A", "B", "C", "D", "答案"],
                   ["三同时包括（ ）", "同时设计", "同时施工", "同时投入生产和使用", "同时报废", "ABC"],
                   ["主要负责人是( )", *FOUR, "BC"]]),
        ("判断题", [["题干", "答案"], ["安全帽可以不系下颏带。", "错"]]),
        ("Sheet3", []),
    )
    result = parse_file("x.xlsx", data)
    assert result.errors == []
    assert [(row.sheet, row.line, row.question.qtype if row.question else row.errors) for row in result.rows] == [
        ("单选题", 2, "single"),
        ("单选题", 3, ["单选题只能有一个答案"]),  # the sheet name set the type
        ("多选题", 2, "multi"),
        ("多选题", 3, ["与工作表「单选题」第 2 行重复"]),
        ("判断题", 2, "judge"),
    ]


def test_xlsx_row_errors_with_their_row_numbers():
    data = xlsx(("Sheet1", [
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "难度"],
        ["单选", "主要负责人是（ ）", *FOUR, "B", None],
        ["单选", "安全生产方针是（ ）", "甲", "乙", "丙", "丁", None, None],
        ["单选", "火警电话是（ ）", "110", "119", "120", None, "E", None],
        ["单选", "急救电话是（ ）", "110", "119", "120", None, "AC", None],
        ["多选", "三同时是（ ）", "甲", "乙", "丙", None, "A", None],
        ["单选", "只有一个选项（ ）", "甲", None, None, None, "A", None],
        ["单选", None, "甲", "乙", None, None, "A", None],
        ["单选", "12. 主要负责人是（　）", *FOUR, "A", None],
        ["填空题", "我国的火警电话是____", None, None, None, None, "119", None],
        ["问答", "某题", "甲", "乙", None, None, "A", None],
        ["单选", "选项中间空着（ ）", "甲", None, "丙", None, "A", None],
        ["单选", "答案写错了（ ）", "甲", "乙", None, None, "对", None],
        ["判断", "判断题答案写错了。", None, None, None, None, "可能", None],
        ["判断", "判断题写了别的选项。", "可以", "不可以", None, None, "A", None],
        ["单选", "难度写错了（ ）", "甲", "乙", None, None, "A", "极难"],
        ["多选", "多个问题（ ）", "甲", None, None, None, "AE", None],
        [None, None, None, None, None, None, None, None],
        ["单选", None, None, None, None, None, None, None],  # a template row: only the type is filled
    ]))
    result = parse_file("x.xlsx", data)
    assert result.errors == []
    assert accepted(result) == [(2, Q("single", "主要负责人是（　）", FOUR, "B"))]
    assert rejected(result) == [
        (3, ["缺少答案"]),
        (4, ["答案 E 不在选项中"]),
        (5, ["单选题只能有一个答案"]),
        (6, ["多选题至少需要两个正确答案"]),
        (7, ["至少需要两个选项"]),
        (8, ["缺少题干"]),
        (9, ["与第 2 行重复"]),
        (10, ["不支持的题型「填空题」，只能导入单选、多选、判断题"]),
        (11, ["不支持的题型「问答」，只能导入单选、多选、判断题"]),
        (12, ["选项 B 为空"]),
        (13, ["答案「对」无法识别"]),
        (14, ["判断题答案「可能」无法识别，应为 正确/错误、对/错、√/×、是/否、A/B 或 T/F"]),
        (15, ["判断题的选项只能是 正确/错误"]),
        (16, ["难度「极难」无法识别，应为 简单/中等/困难 或 1–5"]),
        (17, ["至少需要两个选项"]),
    ]


@pytest.mark.parametrize(
    ("value", "level"),
    [("简单", 1), ("易", 1), ("中等", 2), ("中", 2), ("困难", 3), ("难", 3),
     (1, 1), (2, 2), (3, 3), (4, 3), (5, 3), ("", None)],
)
def test_difficulty_scales(value, level):
    data = xlsx(("Sheet1", [["题干", "答案", "难度"], ["安全出口可以上锁。", "错", value]]))
    assert only_question(parse_file("x.xlsx", data)).difficulty == level


def test_a_table_reaching_4_or_5_uses_the_five_step_scale():
    stems = ["安全出口可以上锁。", "灭火器可以挪作他用。", "消防通道可以堆物。", "电梯可以用于火灾逃生。", "燃气泄漏时可以开灯。"]
    rows = [["题干", "答案", "难度"]] + [[stem, "错", i] for i, stem in enumerate(stems, start=1)]
    parsed = parse_file("x.xlsx", xlsx(("Sheet1", rows)))
    assert [r.question.difficulty for r in parsed.rows] == [1, 1, 2, 3, 3]


def test_xlsx_formulas_are_refused_only_where_they_are_read():
    data = xlsx(("Sheet1", [
        ["序号", "题干", "选项A", "选项B", "答案"],
        ["=ROW()-1", "消防车道可以占用。", "正确", "错误", "B"],  # a formula in a column we ignore
        [2, "=A1&\"题\"", "正确", "错误", "B"],
        [3, "电梯可以用于火灾逃生。", "正确", "错误", '=IF(1,"B","A")'],
    ]))
    result = parse_file("x.xlsx", data)
    assert accepted(result) == [(2, Q("judge", "消防车道可以占用。", JUDGE, "B"))]
    assert rejected(result) == [(3, [FORMULA]), (4, [FORMULA])]


def test_xlsx_with_a_wrong_declared_dimension_is_read_to_the_end():
    # Some exporters write <dimension ref="A1"/>; read-only openpyxl would stop after row 1.
    data = xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"], ["消防车道可以占用。", "错"]]))
    source, patched = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes '<dimension ref="A1:B3" />' or, with lxml, without the space.
                content, replaced = re.subn(rb'<dimension ref="A1:B3"\s*/>', b'<dimension ref="A1" />', content)
                assert replaced == 1
            target.writestr(member, content)
    assert [line for line, _ in accepted(parse_file("x.xlsx", patched.getvalue()))] == [2, 3]


def test_xlsx_with_only_a_header_or_only_empty_sheets_has_no_questions():
    only_header = xlsx(("Sheet1", [["题型", "题干", "答案"]]))
    empty = xlsx(("Sheet1", []), ("Sheet2", [[None, None]]))
    for data in (only_header, empty):
        result = parse_file("x.xlsx", data)
        assert (result.format, result.rows, result.errors) == ("xlsx", [], ["文件中没有找到题目"])


def test_xlsx_without_a_recognisable_header():
    data = xlsx(("Sheet1", [["名称", "内容", "备注"], ["主要负责人是（ ）", "B", ""], ["消防", "119", ""]]))
    assert parse_file("x.xlsx", data).errors == ["找不到表头：需要题干和答案列"]


def test_a_table_sheet_without_header_next_to_a_good_sheet_is_reported():
    data = xlsx(
        ("单选题", [["题干", "A", "B", "答案"], ["火警电话是（ ）", "110", "119", "B"]]),
        ("多选题", [["题面", "A", "B", "C", "结果"], ["三同时是（ ）", "甲", "乙", "丙", "AB"],
                   ["灭火方法（ ）", "甲", "乙", "丙", "AB"]]),
    )
    result = parse_file("x.xlsx", data)
    assert [(r.sheet, r.line, r.question.answer) for r in result.rows] == [("单选题", 2, "B")]
    assert result.errors == ["工作表「多选题」找不到表头：需要题干和答案列，已跳过"]


# --------------------------------------------------------------------------- hostile xlsx


def test_random_bytes_named_xlsx():
    result = parse_file("题库.xlsx", random.Random(1).randbytes(4096))
    assert (result.format, result.rows, result.errors) == ("xlsx", [], ["文件不是有效的 Excel（.xlsx）文件"])


def test_a_zip_that_is_not_a_workbook_and_a_truncated_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    good = xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]]))
    for data in (buffer.getvalue(), good[: len(good) // 2]):
        assert parse_file("x.xlsx", data).errors == ["文件不是有效的 Excel（.xlsx）文件"]


def test_a_broken_word_document_is_refused_clearly():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    result = parse_file("试卷.docx", buffer.getvalue())
    assert (result.format, result.rows, result.errors) == ("docx", [], ["文件不是有效的 Word（.docx）文件"])


@pytest.mark.parametrize("name", ["题库.xls", "题库.xlsx", "题库.csv"])
def test_old_binary_xls_is_refused(name):
    data = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2048)
    result = parse_file(name, data)
    assert (result.format, result.rows, result.errors) == (
        "csv" if name.endswith("csv") else "xlsx", [], ["不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"]
    )


def test_xls_that_is_really_text():
    tab_separated = "题干\t答案\n安全出口可以上锁。\t错\n".encode("gbk")
    result = parse_file("导出.xls", tab_separated)
    assert (result.format, result.encoding) == ("csv", "gb18030")
    assert accepted(result) == [(2, Q("judge", "安全出口可以上锁。", JUDGE, "B"))]
    html = "<html><table><tr><td>题干</td><td>答案</td></tr></table></html>".encode()
    assert parse_file("导出.xls", html).errors == ["不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"]


def test_zip_bomb_of_300_mb_zeros_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    assert len(buffer.getvalue()) < 5 * 1024 * 1024
    result = parse_file("bomb.xlsx", buffer.getvalue())
    assert (result.rows, result.errors) == ([], ["文件解压后过大，疑似压缩炸弹，已拒绝"])


def test_zip_bomb_by_ratio_alone_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", bytes(20 * 1024 * 1024))  # 20 MB: under the total limit
    assert parse_file("x.xlsx", buffer.getvalue()).errors == ["文件解压后过大，疑似压缩炸弹，已拒绝"]


def test_member_header_claiming_a_huge_size_is_refused():
    data = bytearray(xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]])))
    central = data.index(b"PK\x01\x02")  # first central directory entry
    struct.pack_into("<I", data, central + 24, 0xFFFF_0000)  # its uncompressed size
    assert parse_file("x.xlsx", bytes(data)).errors == ["文件解压后过大，疑似压缩炸弹，已拒绝"]


def test_member_inflating_beyond_its_declared_size_is_not_read():
    # zipfile stops at the declared size and fails the CRC: the sheet is never fully inflated.
    data = bytearray(xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]])))
    name = b"xl/worksheets/sheet1.xml"
    central = next(i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i)
                   and data[i + 46 : i + 46 + len(name)] == name)
    struct.pack_into("<I", data, central + 24, 10)
    assert parse_file("x.xlsx", bytes(data)).errors == ["文件不是有效的 Excel（.xlsx）文件"]


def test_total_uncompressed_limit():
    data = xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]]))
    assert parse_file("x.xlsx", data, Limits(max_uncompressed=1000)).errors == [
        "文件解压后过大，疑似压缩炸弹，已拒绝"
    ]


def test_upload_size_limit():
    data = xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]]))
    assert parse_file("x.xlsx", data, Limits(max_bytes=len(data))).errors == []
    result = parse_file("x.xlsx", data, Limits(max_bytes=len(data) - 1))
    assert result.rows == [] and result.errors[0].startswith("文件超过 ")
    assert parse_file("x.csv", b"x" * (1024 * 1024 + 1), Limits(max_bytes=1024 * 1024)).errors == [
        "文件超过 1 MB 上限"
    ]
    assert parse_file("x.txt", b"x" * 2049, Limits(max_bytes=2048)).errors == ["文件超过 2 KB 上限"]
    assert parse_file("x.xlsx", bytes(50 * 1024 * 1024 + 1)).errors == ["文件超过 50 MB 上限"]


def test_row_limit():
    rows = [["题干", "答案"]] + [[f"第{i}条说法正确。", "对"] for i in range(5)]
    data = xlsx(("Sheet1", rows))
    assert len(accepted(parse_file("x.xlsx", data, Limits(max_rows=6)))) == 5
    result = parse_file("x.xlsx", data, Limits(max_rows=5))
    assert (result.rows, result.errors) == ([], ["文件超过 5 行上限，请拆分后再导入"])
    text = "\n".join(f"{i}. 第{i}条说法正确。（√）" for i in range(1, 5))
    assert parse_file("x.txt", text.encode(), Limits(max_rows=3)).errors == ["文件超过 3 道题上限，请拆分后再导入"]


@pytest.mark.parametrize("name", ["x.xlsx", "x.xls", "x.csv", "x.txt", "x.gift", "x", ""])
def test_never_raises_on_garbage(name):
    generator = random.Random(name)
    for size in range(0, 20 * 37, 37):
        data = generator.randbytes(size)
        result = parse_file(name, data)
        assert isinstance(result, ParseResult)
        assert result.errors and result.rows == []


# --------------------------------------------------------------------------- csv

CSV_TEXT = (
    "题型,题干,选项A,选项B,选项C,选项D,答案,解析\n"
    "单选,生产经营单位的主要负责人是本单位安全生产的（  ）。,直接责任人,第一责任人,间接责任人,主要监督人,B,第五条\n"
    '多选,"下列属于\n特种作业的有（ ）",电工作业,焊接与热切割作业,高处作业,办公室文员,"A,B,C",\n'
    "判断,安全帽可以不系下颏带。,,,,,×,\n"
)
CSV_EXPECTED = [
    (2, Q("single", "生产经营单位的主要负责人是本单位安全生产的（　）。", FOUR, "B", "第五条")),
    (3, Q("multi", "下列属于特种作业的有（　）", ["电工作业", "焊接与热切割作业", "高处作业", "办公室文员"], "ABC")),
    (4, Q("judge", "安全帽可以不系下颏带。", JUDGE, "B")),
]


@pytest.mark.parametrize(
    ("encoding", "reported"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030")]
)
def test_csv_encodings(encoding, reported):
    result = parse_file("题库.csv", csv_bytes(CSV_TEXT, encoding))
    assert (result.format, result.encoding, result.errors) == ("csv", reported, [])
    assert accepted(result) == CSV_EXPECTED


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_delimiters(delimiter):
    text = CSV_TEXT.replace(",", delimiter).replace('"A\tB\tC"', '"A,B,C"').replace('"A;B;C"', '"A,B,C"')
    result = parse_file("题库.txt", csv_bytes(text))  # content decides, not the .txt name
    assert result.format == "csv"
    assert accepted(result) == CSV_EXPECTED


def test_csv_with_title_row_and_packed_options():
    text = ("安全生产月题库,,\n"
            "问题,选项,正确答案\n"
            '检修时应（ ）,"A-带电|B-停电",B\n'
            "消防车道可以占用。,**A.正确**B.错误,B\n")
    result = parse_file("x.csv", csv_bytes(text))
    assert accepted(result) == [
        (3, Q("single", "检修时应（　）", ["带电", "停电"], "B")),
        (4, Q("judge", "消防车道可以占用。", JUDGE, "B")),
    ]


def test_csv_header_repeated_between_pasted_blocks_and_choice_type_left_open():
    text = ("题型,题干,选项A,选项B,选项C,答案\n"
            "选择题,火警电话是（ ）,110,119,120,B\n"
            "题型,题干,选项A,选项B,选项C,答案\n"
            "不定项选择,灭火方法有（ ）,冷却,窒息,加热,AB\n")
    result = parse_file("x.csv", csv_bytes(text))
    assert result.rows == [
        RowResult(2, None, Q("single", "火警电话是（　）", ["110", "119", "120"], "B"), []),
        RowResult(4, None, Q("multi", "灭火方法有（　）", ["冷却", "窒息", "加热"], "AB"), []),
    ]


def test_csv_formula_cells():
    text = "题干,选项A,选项B,答案\n消防车道可以占用。,正确,错误,B\n=HYPERLINK(\"http://x\"),正确,错误,A\n"
    result = parse_file("x.csv", csv_bytes(text))
    assert rejected(result) == [(3, [FORMULA])]


@pytest.mark.parametrize(
    "data",
    [
        "题干,答案\n安全出口可以上锁。,错\n".encode("utf-16"),  # BOM and NULs
        "题干,答案\n".encode("utf-16-le"),
        b"\xff\xfe\xfd\x80\x81 \xff\xff",  # invalid in UTF-8 and in GB18030
    ],
)
def test_csv_in_an_unknown_encoding(data):
    result = parse_file("x.csv", data)
    assert (result.format, result.rows, result.errors) == ("csv", [], ["无法识别文件编码，请另存为 UTF-8 或 GBK"])


def test_csv_without_header():
    result = parse_file("x.csv", csv_bytes("a,b,c\n1,2,3\n"))
    assert (result.format, result.errors) == ("csv", ["找不到表头：需要题干和答案列"])


def test_empty_file():
    assert parse_file("x.csv", b"").errors == ["文件中没有找到题目"]
    assert parse_file("x.txt", "\n  \n".encode()).errors == ["文件中没有找到题目"]


def test_xlsx_content_wins_over_a_csv_name():
    data = xlsx(("Sheet1", [["题干", "答案"], ["安全出口可以上锁。", "错"]]))
    result = parse_file("题库.csv", data)
    assert result.format == "xlsx"
    assert accepted(result) == [(2, Q("judge", "安全出口可以上锁。", JUDGE, "B"))]


# --------------------------------------------------------------------------- plain-text papers

PAPER = """2024年“安全生产月”知识竞赛试卷
姓名：________  单位：________

一、单选题（共50题，每题1分）
1. 生产经营单位的主要负责人是本单位安全生产的（  ）。
A. 直接责任人  B. 第一责任人
C. 间接责任人  D. 主要监督人
答案：B
解析：《安全生产法》第五条。

2、安全生产工作坚持（ ）的方针。
A.安全第一、预防为主、综合治理B.预防为主、防消结合C.以人为本、防治结合
答案:A
（3）全国统一的安全生产举报投诉电话是（ ）。A．12345  B．12350  C．12315
【答案】B
第4题 燃气泄漏时应当（ ）。
A、打开排气扇
B、关闭阀门并开窗通风
C、打电话报警
正确答案：B
5. 发现有人触电，首先应（ ）。
A：切断电源
B：用手拉开
答案：A。解析：先断电再施救，
否则施救者也会触电。
二、多项选择题（每题2分）
6. 灭火的基本方法有（ ）。
A. 冷却法
B. 窒息法
C. 隔离法
D. 加热法
答案：A、B、C
解析：常用方法如下：
1. 冷却法；
2. 窒息法；
3. 隔离法。
7. 下列属于特种作业的有（ ）
A. 电工作业（正确答案）
B. 焊接与热切割作业（正确答案）
C. 办公室文员
三、判断题
8. 安全帽可以不系下颏带。（×）
9. 发生火灾时可以乘坐普通电梯逃生（错）。
10. 进入有限空间前应先通风、再检测、后作业。（√）
11. 安全出口应保持畅通（对）
12. 动火作业必须办理动火审批手续。
答案：正确
四、填空题
13. 我国的火警电话是______。
答案：119
"""


def test_plain_text_paper():
    result = parse_file("试卷.txt", PAPER.encode("utf-8"))
    assert (result.format, result.errors, result.encoding) == ("txt", [], "utf-8")
    assert accepted(result) == [
        (5, Q("single", "生产经营单位的主要负责人是本单位安全生产的（　）。", FOUR, "B", "《安全生产法》第五条。")),
        (11, Q("single", "安全生产工作坚持（　）的方针。",
               ["安全第一、预防为主、综合治理", "预防为主、防消结合", "以人为本、防治结合"], "A")),
        (14, Q("single", "全国统一的安全生产举报投诉电话是（　）。", ["12345", "12350", "12315"], "B")),
        (16, Q("single", "燃气泄漏时应当（　）。", ["打开排气扇", "关闭阀门并开窗通风", "打电话报警"], "B")),
        (21, Q("single", "发现有人触电，首先应（　）。", ["切断电源", "用手拉开"], "A",
               "先断电再施救，\n否则施救者也会触电。")),
        (27, Q("multi", "灭火的基本方法有（　）。", ["冷却法", "窒息法", "隔离法", "加热法"], "ABC",
               "常用方法如下：\n1. 冷却法；\n2. 窒息法；\n3. 隔离法。")),
        (37, Q("multi", "下列属于特种作业的有（　）", ["电工作业", "焊接与热切割作业", "办公室文员"], "AB")),
        (42, Q("judge", "安全帽可以不系下颏带。", JUDGE, "B")),
        (43, Q("judge", "发生火灾时可以乘坐普通电梯逃生。", JUDGE, "B")),
        (44, Q("judge", "进入有限空间前应先通风、再检测、后作业。", JUDGE, "A")),
        (45, Q("judge", "安全出口应保持畅通", JUDGE, "A")),
        (46, Q("judge", "动火作业必须办理动火审批手续。", JUDGE, "A")),
    ]
    assert rejected(result) == [(49, ["不支持的题型「填空题」，只能导入单选、多选、判断题"])]


def test_paper_gbk_and_problems_row_by_row():
    paper = """一、单选题
1. 火警电话是（ ）。
A. 110  B. 119  C. 120
2. 急救电话是（ ）。
A. 110  B. 119  C. 120
答案：E
3. 报警电话是（ ）。
A. 110  B. 119  C. 120
答案：AB
4. 匪警电话是（　）
A. 110  B. 119
答案：A
5. 匪警电话是( )。
A. 110  B. 119
答案：A
二、多选题
6. 三同时是（ ）
A. 同时设计 B. 同时施工
答案：A
"""
    result = parse_file("paper.txt", paper.encode("gbk"))
    assert (result.format, result.encoding, result.errors) == ("txt", "gb18030", [])
    assert accepted(result) == [(10, Q("single", "匪警电话是（　）", ["110", "119"], "A"))]
    assert rejected(result) == [
        (2, ["缺少答案"]),
        (4, ["答案 E 不在选项中"]),
        (7, ["单选题只能有一个答案"]),
        (13, ["与第 10 行重复"]),
        (17, ["多选题至少需要两个正确答案"]),
    ]


def test_wenjuanxing_export_with_type_tags():
    paper = """1. 您的单位是否开展了应急演练？【判断题】
A. 正确
B. 错误（正确答案）
2. 燃气泄漏时应（ ）【多选题】
A. 关闭阀门（正确答案）
B. 开窗通风（正确答案）
C. 开灯检查
"""
    result = parse_file("wjx.txt", paper.encode())
    assert accepted(result) == [
        (1, Q("judge", "您的单位是否开展了应急演练？", JUDGE, "B")),
        (4, Q("multi", "燃气泄漏时应（　）", ["关闭阀门", "开窗通风", "开灯检查"], "AB")),
    ]


def test_unnumbered_paper_separated_by_blank_lines():
    paper = """安全知识测试

主要负责人是本单位安全生产的（ ）
A. 直接责任人
B. 第一责任人
答案：B

消防车道可以占用。（×）
"""
    assert accepted(parse_file("x.txt", paper.encode())) == [
        (3, Q("single", "主要负责人是本单位安全生产的（　）", ["直接责任人", "第一责任人"], "B")),
        (8, Q("judge", "消防车道可以占用。", JUDGE, "B")),
    ]


def test_pasted_text_keeps_key_lines_for_difficulty_and_category():
    paper = "1. 火警电话是（ ）\nA. 110 B. 119\n答案：B\n难度：困难\n分类：消防安全\n依据：消防法 第四十四条\n"
    assert only_question(parse_file("", paper.encode())) == Q(
        "single", "火警电话是（　）", ["110", "119"], "B", category="消防安全", difficulty=3,
        basis="消防法 第四十四条",
    )


# --------------------------------------------------------------------------- Aiken

AIKEN = """生产经营单位的主要负责人是本单位安全生产的（　）。
A. 直接责任人
B. 第一责任人
C. 间接责任人
D. 主要监督人
ANSWER: B

Which number is the fire emergency line in China?
A) 110
B) 119
C) 120
ANSWER: B
消防车道可以占用吗？
A. 正确
B. 错误
ANSWER: B
哪两个是火灾报警方式？
A. 打119
B. 按手动报警按钮
C. 等待
ANSWER: AB
急救电话是？
A. 110
B. 120
ANSWER: E
最后一题没有答案
A. 甲
B. 乙
"""


def test_aiken():
    result = parse_file("quiz.txt", AIKEN.encode())
    assert (result.format, result.errors) == ("aiken", [])
    assert accepted(result) == [
        (1, Q("single", "生产经营单位的主要负责人是本单位安全生产的（　）。", FOUR, "B")),
        (8, Q("single", "Which number is the fire emergency line in China?", ["110", "119", "120"], "B")),
        (13, Q("judge", "消防车道可以占用吗？", JUDGE, "B")),
    ]
    assert rejected(result) == [
        (17, ["单选题只能有一个答案"]),
        (22, ["答案 E 不在选项中"]),
        (26, ["缺少答案"]),
    ]


# --------------------------------------------------------------------------- GIFT

GIFT = r"""// 安全生产月题库，从 Moodle 导出
$CATEGORY: $course$/top/安全生产/消防安全

::Q1:: 消防工作贯彻（　）的方针。 {
  =预防为主、防消结合#《消防法》第二条。
  ~安全第一、预防为主
  ~谁主管、谁负责
}

::Q2:: 安全出口可以上锁。{F#不得封闭安全出口。}

::Q3:: 应急照明应定期检查。{TRUE}

// 多选：正权重为正确答案
::Q4:: 灭火的基本方法有（　）{~%50%冷却法 ~%50%窒息法 ~%-100%加热法 ####冷却、窒息、隔离。}

$CATEGORY: 用电安全
::Q5\:电压:: 我国民用电压为 220V\, 比例 1\:1，符号 \= \# \{ \} \~ 都要转义。 {=220V ~110V}

::Q6:: 用电设备着火，首先应 {=切断电源 ~用水扑救} 再灭火。

::Q7:: 发现有人触电应{T}

::匹配:: 将电话与用途匹配 {=119 -> 火警 =120 -> 急救}

::数字:: 火警电话是多少 {#119}

::简答:: 火警电话是 {=119 =幺幺九}

::问答:: 谈谈你对安全生产的认识 {}
"""


def test_gift():
    result = parse_file("moodle.gift", GIFT.encode())
    assert (result.format, result.errors) == ("gift", [])
    assert accepted(result) == [
        (4, Q("single", "消防工作贯彻（　）的方针。", ["预防为主、防消结合", "安全第一、预防为主", "谁主管、谁负责"],
              "A", "《消防法》第二条。", "消防安全")),
        (10, Q("judge", "安全出口可以上锁。", JUDGE, "B", "不得封闭安全出口。", "消防安全")),
        (12, Q("judge", "应急照明应定期检查。", JUDGE, "A", "", "消防安全")),
        (15, Q("multi", "灭火的基本方法有（　）", ["冷却法", "窒息法", "加热法"], "AB", "冷却、窒息、隔离。", "消防安全")),
        (18, Q("single", "我国民用电压为 220V, 比例 1:1，符号 = # { } ~ 都要转义。", ["220V", "110V"], "A",
               "", "用电安全")),
        (20, Q("single", "用电设备着火，首先应（　）再灭火。", ["切断电源", "用水扑救"], "A", "", "用电安全")),
        (22, Q("judge", "发现有人触电应", JUDGE, "A", "", "用电安全")),
    ]
    assert rejected(result) == [
        (24, ["不支持的 GIFT 题型"]),
        (26, ["不支持的 GIFT 题型"]),
        (28, ["不支持的 GIFT 题型"]),
        (30, ["不支持的 GIFT 题型"]),
    ]


def test_gift_false_long_form_and_duplicate():
    gift = "安全出口可以上锁。{FALSE}\n\n安全出口可以上锁 {FALSE}\n"
    result = parse_file("x.txt", gift.encode())
    assert result.format == "gift"
    assert accepted(result) == [(1, Q("judge", "安全出口可以上锁。", JUDGE, "B"))]
    assert rejected(result) == [(3, ["与第 1 行重复"])]


# --------------------------------------------------------------------------- duplicates


def test_duplicates_ignore_punctuation_spaces_numbering_and_width():
    text = ("题干,选项A,选项B,答案\n"
            "1. 主要负责人是本单位安全生产的（ ）。,甲,乙,A\n"
            "2、主要负责人是本单位 安全生产的( ),甲,乙,A\n"
            "主要负责人是本单位安全生产的第一责任人。,正确,错误,A\n"
            "ＡＢＣ是什么？,甲,乙,A\n"
            "ABC是什么?,甲,乙,B\n")
    result = parse_file("x.csv", csv_bytes(text))
    assert [line for line, _ in accepted(result)] == [2, 4, 5]
    assert rejected(result) == [(3, ["与第 2 行重复"]), (6, ["与第 5 行重复"])]


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate():
    text = "题干,选项A,选项B,答案\n火警电话是（ ）,110,119,\n火警电话是（ ）,110,119,B\n"
    result = parse_file("x.csv", csv_bytes(text))
    assert rejected(result) == [(2, ["缺少答案"])]
    assert accepted(result) == [(3, Q("single", "火警电话是（　）", ["110", "119"], "B"))]


def test_the_number_column_of_our_export_is_read_as_the_question_uid():
    """编号 (our export's column) says which bank question a row is; a re-import updates it."""
    rows = [["编号", "分类", "题型", "题干", "选项A", "选项B", "答案"],
            ["law-001", "法规", "单选", "主要负责人是（　）。", "第一责任人", "监督人", "A"],
            ["", "法规", "判断", "可以违章指挥。", None, None, "错误"],
            [" imp-0a1b2c3d4e ", "法规", "判断", "应当遵守规程。", None, None, "正确"]]
    result = parse_file("题库导出.xlsx", xlsx(("题库", rows)))
    assert [q.uid for _, q in accepted(result)] == ["law-001", None, "imp-0a1b2c3d4e"]
    # Other files: no 编号 column, no uid.
    result = parse_file("bank.csv", csv_bytes("题干,答案,选项A,选项B\n主要负责人是（　）。,A,甲,乙\n"))
    assert only_question(result).uid is None


def test_an_option_that_is_a_sequence_of_letters_keeps_them():
    """Column 选项A with "A-B-C（…）" (the built-in bank's CPR question) is not "A-" + "B-C（…）"."""
    rows = [["题干", "选项A", "选项B", "选项C", "答案"],
            ["心肺复苏的顺序是（　）。", "A-B-C（开放气道—人工呼吸—胸外按压）", "B-A-C（人工呼吸—开放气道—胸外按压）",
             "C-A-B（胸外按压—开放气道—人工呼吸）", "C"],
            ["检修时应（　）。", "A-带电", "B-停电", "C - 验电", "B"]]
    result = parse_file("bank.xlsx", xlsx(("题库", rows)))
    assert [q.options for _, q in accepted(result)] == [
        ["A-B-C（开放气道—人工呼吸—胸外按压）", "B-A-C（人工呼吸—开放气道—胸外按压）", "C-A-B（胸外按压—开放气道—人工呼吸）"],
        ["带电", "停电", "验电"]]
