"""Issue 18E: the built-in bank without give-aways (longest option, 多选 key positions,
negative stems, superseded statutes, statute dates)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from question_bank.laws import LAWS_DIR, statutes
from question_bank.loader import BankQuestion, read_bank
from question_bank.review import (
    CLEAR_RATIO, clearly_longest, emphasise, is_negative, longest_option_share,
    multi_key_positions, pending_note, pending_review,
)


def bank() -> list[BankQuestion]:
    files, problems = read_bank()
    assert problems == []
    return [q for f in files for q in f.questions]


def q(uid, qtype, options, answer, stem="题干（　）。", basis=None):
    return BankQuestion(uid, "测试", qtype, stem, options, answer, "说明。", 1, [], basis)


def test_clearly_longest_is_defined_by_the_ratio():
    assert CLEAR_RATIO == 1.2
    assert clearly_longest(["一二三四五六", "一二三四五", "一"]) == (0, 1.2)
    assert clearly_longest(["一二三四五", "一二三四五", "一"]) is None
    share = longest_option_share([
        q("t-001", "single", ["长长长长长长长长", "短", "短短"], "A"),
        q("t-002", "single", ["长长长长长长长长", "短", "短短"], "B"),
        q("t-003", "single", ["一样长", "一样长", "短"], "A"),
    ])
    assert (share.clear, share.keyed, share.ratio_15) == (2, 1, ["t-001"])


def test_the_longest_option_gives_away_less_than_35_percent():
    share = longest_option_share(bank())
    assert share.share < 0.35, (share.keyed, share.clear, share.ratio_15)


def test_no_multi_keys_every_option_and_positions_are_balanced():
    questions = bank()
    multi = multi_key_positions(questions)
    assert multi.every == []
    # A was keyed in 89 % of 多选, E (mostly the odd one out) far less: now no letter tells.
    rates = [multi.rate(letter) for letter in "ABCDE"]
    assert max(rates) - min(rates) < 0.05, (multi.keyed, multi.offered)
    # Every 多选 of four or more options has at least two wrong options (one absurd odd one out
    # was a give-away).
    assert multi.one_wrong == []


def test_multi_counts_positions_per_letter_offered():
    multi = multi_key_positions([
        q("t-020", "multi", ["甲", "乙", "丙", "丁"], "ABC"),
        q("t-021", "multi", ["甲", "乙", "丙", "丁", "戊"], "BE"),
        q("t-022", "multi", ["甲", "乙", "丙"], "ABC"),
    ])
    assert multi.rate("A") == 2 / 3 and multi.rate("E") == 1.0
    assert multi.every == ["t-022"] and multi.one_wrong == ["t-020"]


def test_check_command_prints_the_figures(app):
    result = app.test_cli_runner().invoke(args=["bank", "check"])
    assert result.exit_code == 0, result.output
    assert "单选最长选项即答案" in result.output and "1.2 倍" in result.output
    assert re.search(r"多选答案位置（\d+ 道.*）：A \d+/\d+", result.output)
    assert "多选全部选项都是答案：0 道" in result.output


def test_negative_stems_are_detected_and_escaped_before_bold():
    for stem in ("下列说法错误的是（　）。", "作业人员不得（　）。", "下列不属于特种设备的是（　）。",
                 "以下做法不正确的是（　）。", "不应当（　）。"):
        assert is_negative(stem), stem
    assert not is_negative("主要负责人是本单位安全生产的（　）。")
    html = str(emphasise("<b>下列</b>说法错误的是（　）"))
    assert html == '&lt;b&gt;下列&lt;/b&gt;说法<strong class="neg">错误的是</strong>（　）'


def test_questions_citing_a_replaced_statute_are_pending_review():
    old = q("t-010", "single", ["甲", "乙", "丙"], "A", basis="危险化学品安全管理条例 第三条")
    new = q("t-011", "single", ["甲", "乙", "丙"], "A", basis="安全生产法 第五条")
    assert pending_review([old, new], date(2026, 4, 30)) == []
    assert pending_review([old, new], date(2026, 5, 1)) == ["t-010"]
    assert "危险化学品安全法" in pending_note(old.basis, date(2026, 5, 1))
    assert pending_note(new.basis, date(2026, 5, 1)) is None
    assert len(pending_review(bank(), date(2026, 5, 1))) >= 30


def test_special_equipment_article_30_reads_as_the_law_does():
    text = statutes()["特种设备安全法"]["第三十条"]
    assert ">" not in text and "本第二十一条" not in text
    assert "本法第二十一条" in text


def test_every_statute_file_carries_its_effective_date():
    for path in sorted(Path(LAWS_DIR).glob("*.md")):
        if path.name == "README.md":
            continue
        match = re.search(r"^施行日期：(\d{4}-\d{2}-\d{2})$", path.read_text(encoding="utf-8"), re.M)
        assert match, path.name
        assert date.fromisoformat(match.group(1)) >= date.fromisoformat(
            path.stem.split("(")[1].rstrip(")")), path.name


NEG = '<strong class="neg">'


def negative_question():
    from sqlalchemy import select

    from quiz.extensions import db
    from quiz.models import Question

    return next(question for question in db.session.scalars(
        select(Question).where(Question.current.is_(True), Question.qtype == "single"))
        if is_negative(question.stem))


def test_negative_words_are_bold_on_the_bank_pages(app, organiser_client):
    question = negative_question()
    page = organiser_client.get(f"/admin/questions/{question.id}").get_data(as_text=True)
    assert str(emphasise(question.stem)) in page and NEG in page


def test_negative_words_are_bold_in_practice(app, enterprises, phone):
    from .test_practice import practice_phone, serve

    practice_phone(phone, enterprises)
    question = negative_question()
    page = serve(phone, question)
    assert str(emphasise(question.stem)) in page


def test_bank_pages_flag_questions_citing_a_replaced_statute(app, organiser_client):
    from sqlalchemy import select

    from quiz.extensions import db
    from quiz.models import Question

    old = db.session.scalars(select(Question).where(
        Question.current.is_(True), Question.basis.like("危险化学品安全管理条例%"))).first()
    new = db.session.scalars(select(Question).where(
        Question.current.is_(True), Question.basis.like("安全生产法%"))).first()
    page = organiser_client.get(f"/admin/questions/{old.id}").get_data(as_text=True)
    assert "待核对" in page and "危险化学品安全法" in page and "2026-05-01" in page
    assert "待核对" not in organiser_client.get(f"/admin/questions/{new.id}").get_data(as_text=True)
