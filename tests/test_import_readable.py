"""Issue 18A: files a person can read are read — packed options with any mark (or none) after
the letter, 判断 written as 正确/不正确, the row's own numbering, duplicates that are really the
same question, one row per option, and options whose text starts like a letter mark."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from question_bank.importers import ImportedQuestion, parse_file

from .test_importers import accepted, csv_bytes, only_question, rejected, xlsx

Q = ImportedQuestion
JUDGE = ["正确", "错误"]


# --------------------------------------------------------------------------- packed options


@pytest.mark.parametrize(
    ("cell", "options"),
    [
        ("**A不要伤害自己**B不要伤害别人", ["不要伤害自己", "不要伤害别人"]),
        ("**A、市级**B县级**C、地区级", ["市级", "县级", "地区级"]),
        ("**A.罚款**B.警告**C停产停业整顿", ["罚款", "警告", "停产停业整顿"]),
        ("**A|近1年**B|近3年**C|近2年", ["近1年", "近3年", "近2年"]),
        ("**A,10**B,20**C,30**D25", ["10", "20", "30", "25"]),
        ("**a、冷却系**b、燃料系**c、润滑系", ["冷却系", "燃料系", "润滑系"]),
        ("生产##使用##安全##节能", ["生产", "使用", "安全", "节能"]),
        ("A.甲##B.乙##C.丙", ["甲", "乙", "丙"]),
        ("ABS##PVC##PE", ["ABS", "PVC", "PE"]),
        ("**(A)甲**(B)乙", ["甲", "乙"]),
        ("**Ａ．甲**Ｂ．乙", ["甲", "乙"]),
    ],
)
def test_packed_options_with_any_mark_or_none(cell, options):
    data = xlsx(("Sheet1", [["题目", "选项", "答案"], ["下列正确的是（ ）", cell, "B"]]))
    question = only_question(parse_file("x.xlsx", data))
    assert question.options == options and question.answer == "B"


def test_packed_options_in_the_stem_cell_and_a_trailing_mark():
    data = xlsx(("Sheet1", [["题目", "答案"], ["违法行为可处（ ）**A.罚款**B警告**C停产停业整顿**", "C"]]))
    question = only_question(parse_file("x.xlsx", data))
    assert question.stem == "违法行为可处（　）" and question.options == ["罚款", "警告", "停产停业整顿"]


def test_packed_judge_with_hashes():
    data = xlsx(("Sheet1", [["题目", "选项", "答案"], ["高处作业必须系安全带。", "A.正确##B.错误", "A"]]))
    assert only_question(parse_file("x.xlsx", data)) == Q("judge", "高处作业必须系安全带。", JUDGE, "A")


def test_packed_options_that_cannot_be_split_are_refused_with_a_reason():
    data = xlsx(("Sheet1", [["题目", "选项", "答案"],
                            ["下列正确的是（ ）", "**A.罚款**警告**C.停产", "B"],
                            ["下列错误的是（ ）", "**A.罚款**C.警告**B.停产", "B"]]))
    result = parse_file("x.xlsx", data)
    assert accepted(result) == []
    for _, errors in rejected(result):
        assert any("无法可靠拆分" in e for e in errors), errors


def test_an_unmarked_letter_after_a_space_is_not_glued_to_the_option_before():
    data = xlsx(("Sheet1", [["题目", "选项", "答案"], ["违法行为可处（ ）", "A.罚款 B.警告 C停产停业整顿", "B"],
                            ["车辆应使用（ ）", "A.A级防护 B.C级防护", "B"]]))
    result = parse_file("x.xlsx", data)
    assert [q.options for _, q in accepted(result)] == [["A级防护", "C级防护"]]
    [(line, errors)] = rejected(result)
    assert line == 2 and "无法可靠拆分" in errors[0]


def test_no_accepted_option_contains_a_packing_mark():
    data = xlsx(("Sheet1", [["题目", "选项A", "选项B", "答案"], ["下列正确的是（ ）", "罚款**停产", "警告", "A"]]))
    result = parse_file("x.xlsx", data)
    assert accepted(result) == []
    [(_, errors)] = rejected(result)
    assert any("**" in e for e in errors)


def test_packed_options_in_a_text_paper():
    text = "1. 违法行为可处（ ）。\n**A.罚款**B.警告**C停产停业整顿\n答案：C\n"
    question = only_question(parse_file("x.txt", text.encode()))
    assert question.options == ["罚款", "警告", "停产停业整顿"] and question.answer == "C"


# --------------------------------------------------------------------------- 判断 wording


@pytest.mark.parametrize(
    ("a", "b", "answer", "expected"),
    [
        ("正确", "不正确", "B", "B"),
        ("不正确", "正确", "B", "A"),
        ("对", "不对", "A", "A"),
        ("是", "否", "否", "B"),
        ("√", "×", "A", "A"),
        ("×", "√", "A", "B"),
        ("", "", "不正确", "B"),
    ],
)
def test_judge_written_as_correct_incorrect(a, b, answer, expected):
    data = xlsx(("Sheet1", [["题型", "题干", "选项A", "选项B", "答案"],
                            ["判断", "安全出口可以上锁。", a or None, b or None, answer]]))
    assert only_question(parse_file("x.xlsx", data)) == Q("judge", "安全出口可以上锁。", JUDGE, expected)


# --------------------------------------------------------------------------- numbering


def test_own_numbering_is_stripped_but_numbers_of_the_text_are_kept():
    text = ("题干,选项A,选项B,答案\n"
            "259.电焊作业应（ ）,持证,不持证,A\n"
            "260.1kW以上的电动机应（ ）,接地,不接地,A\n"
            "261.安全电压是（ ）,36V,220V,A\n"
            "263\t氩气是（ ）,惰性气体,可燃气体,A\n"
            "1.5米以上属于（ ）,高处作业,地面作业,A\n"
            "2.4米以下属于（ ）,低处作业,高处作业,A\n")
    stems = [q.stem for _, q in accepted(parse_file("x.csv", csv_bytes(text)))]
    assert stems == ["电焊作业应（　）", "1kW以上的电动机应（　）", "安全电压是（　）",
                     "氩气是（　）", "1.5米以上属于（　）",
                     "2.4米以下属于（　）"]


def test_paper_question_numbered_before_a_decimal():
    text = ("259. 电焊作业应（ ）。\nA.持证 B.不持证\n答案：A\n"
            "260.1kW以上的电动机应（ ）。\nA.接地 B.不接地\n答案：A\n")
    result = parse_file("x.txt", text.encode())
    assert [q.stem for _, q in accepted(result)] == ["电焊作业应（　）。", "1kW以上的电动机应（　）。"]


def test_paper_stem_line_starting_with_a_decimal_is_not_a_new_question():
    text = "1. 高处作业是指坠落高度基准面\n2.5米以上的作业，对吗（ ）\nA.对 B.不对\n答案：A\n"
    question = only_question(parse_file("x.txt", text.encode()))
    assert question.stem == "高处作业是指坠落高度基准面2.5米以上的作业，对吗（　）"


# --------------------------------------------------------------------------- duplicates


def test_duplicates_are_the_same_question_not_the_same_stem():
    text = ("题型,题干,选项A,选项B,选项C,答案\n"
            "单选,以下说法中，错误的是（）。,可以酒后驾车,应系安全带,应戴安全帽,A\n"
            "单选,以下说法中，错误的是（）。,可以带电检修,应验电,应挂牌,A\n"
            "单选,以下说法中错误的是( ),可以酒后驾车,应系安全带,应戴安全帽,A\n"
            "判断,严禁酒后驾车。,,,,正确\n"
            "单选,严禁酒后驾车。,正确,错误,无所谓,A\n")
    result = parse_file("x.csv", csv_bytes(text))
    assert [line for line, _ in accepted(result)] == [2, 3, 5, 6]
    assert rejected(result) == [(4, ["与第 2 行重复"])]


def _upload(client, name, body, category="导入测试"):
    from .conftest import csrf_token

    token = csrf_token(client, "/admin/questions/import")
    return client.post("/admin/questions/import", data={
        "file": (io.BytesIO(body), name), "category": category, "csrf_token": token},
        content_type="multipart/form-data")


def test_duplicates_against_the_bank_compare_type_and_options(app, organiser_client):
    from .conftest import csrf_token
    from .test_bank_pages import new_category

    new_category()  # categories are a managed list: the organiser makes this one

    first = "题型,题干,选项A,选项B,答案\n单选,下列做法错误的是（）。,带电检修,停电检修,A\n"
    html = _upload(organiser_client, "a.csv", first.encode()).get_data(as_text=True)
    token = re.search(r"/admin/questions/import/([0-9a-f]{32})", html).group(1)
    organiser_client.post(f"/admin/questions/import/{token}",
                          data={"csrf_token": csrf_token(organiser_client, "/admin/questions/")})
    second = ("题型,题干,选项A,选项B,答案\n"
              "单选,下列做法错误的是（）。,酒后驾车,系安全带,A\n"
              "单选,下列做法错误的是( ),带电检修,停电检修,A\n")
    html = _upload(organiser_client, "b.csv", second.encode()).get_data(as_text=True)
    assert "可导入 <strong>1</strong> 题" in html
    assert html.count("与题库中已有题目重复") == 1


# --------------------------------------------------------------------------- one row per option


def _option_rows_sheet(repeat_stem: bool):
    def stem(text):
        return text if repeat_stem else None

    return [
        ["安全知识题库导出", None, None, None, None],
        ["题型", "题干", "选项", "是否正确项", "解析"],
        [1, "火警电话是（ ）", "110", 0, "119 是火警。"],
        [None if not repeat_stem else 1, stem("火警电话是（ ）"), "119", 1, None],
        [None if not repeat_stem else 1, stem("火警电话是（ ）"), "120", 0, None],
        [2, "灭火的基本方法有（ ）", "冷却法", 1, None],
        [None if not repeat_stem else 2, stem("灭火的基本方法有（ ）"), "窒息法", 1, None],
        [None if not repeat_stem else 2, stem("灭火的基本方法有（ ）"), "加热法", 0, None],
        [3, "安全出口可以上锁。", "正确", 0, None],
        [None if not repeat_stem else 3, stem("安全出口可以上锁。"), "错误", 1, None],
        [1, "报警电话是（ ）", "110", 0, None],
        [None if not repeat_stem else 1, stem("报警电话是（ ）"), "119", 0, None],
    ]


@pytest.mark.parametrize("repeat_stem", [False, True])
def test_one_row_per_option(repeat_stem):
    result = parse_file("x.xlsx", xlsx(("Sheet1", _option_rows_sheet(repeat_stem))))
    assert result.errors == []
    assert accepted(result) == [
        (3, Q("single", "火警电话是（　）", ["110", "119", "120"], "B", explanation="119 是火警。")),
        (6, Q("multi", "灭火的基本方法有（　）", ["冷却法", "窒息法", "加热法"], "AB")),
        (9, Q("judge", "安全出口可以上锁。", JUDGE, "B")),
    ]
    assert rejected(result) == [(11, ["缺少答案"])]


def test_a_header_with_an_unsupported_layout_names_the_columns_it_saw():
    data = xlsx(("Sheet1", [["序号", "题干", "难度"], [1, "火警电话是（ ）", "简单"]]))
    result = parse_file("x.xlsx", data)
    [error] = result.errors
    assert "题干" in error and "难度" in error and "找不到表头" not in error


# --------------------------------------------------------------------------- option marks


def test_an_option_starting_like_a_letter_mark_survives_export_and_import():
    data = xlsx(("Sheet1", [["题型", "题干", "选项A", "选项B", "选项C", "答案"],
                            ["单选", "防爆电气设备的级别有（ ）", "A、B级", "C级", "D级", "A"],
                            ["单选", "火警电话是（ ）", "A.110", "B.119", "C.120", "B"]]))
    result = parse_file("x.xlsx", data)
    assert [q.options for _, q in accepted(result)] == [["A、B级", "C级", "D级"], ["110", "119", "120"]]


def test_export_then_import_keeps_options_that_start_like_marks(app):
    from question_bank.importers import parse_file as parse
    from quiz.bank import files
    from quiz.extensions import db
    from quiz.models import Category, Question

    category = db.session.scalars(select(Category)).first()
    question = Question(uid="t-marks", version=1, current=True, source="test", active=True,
                        category_id=category.id, qtype="single", stem="防爆等级有（　）",
                        options=["A、B级", "C级"], answer="A", explanation="", difficulty=1, tags=[])
    db.session.add(question)
    db.session.flush()
    book = openpyxl.load_workbook(io.BytesIO(files.workbook([question])))
    assert book.active["E2"].value == "A、B级"
    [(_, back)] = accepted(parse("bank.xlsx", files.workbook([question])))
    assert back.options == ["A、B级", "C级"]
    db.session.rollback()
