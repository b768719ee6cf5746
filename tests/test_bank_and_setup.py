"""The built-in bank is valid against the statutes; the first start and the schema."""
from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from question_bank.laws import article_text, basis_error, statutes
from question_bank.loader import read_bank
from quiz.extensions import db
from quiz.models import Contest, Enterprise, Question, User
from quiz.demo.setup import first_start

from .conftest import START


def test_builtin_bank_is_valid_and_covers_every_type_per_category():
    files, problems = read_bank()
    assert problems == []
    assert len(files) >= 12
    for bank_file in files:
        types = {q.qtype for q in bank_file.questions}
        assert types == {"single", "multi", "judge"}, bank_file.path.name
    assert sum(len(f.questions) for f in files) >= 600
    assert [f.category for f in files] == [
        "安全生产法律法规", "消防安全", "危险化学品", "特种设备与特种作业", "职业健康", "用电安全",
        "燃气安全", "道路交通安全", "建筑施工与有限空间", "应急避险与自救互救", "急救", "安全生产月常识"]
    for question in (q for f in files for q in f.questions):
        assert question.explanation and question.explanation not in ("略", "无")
        assert 1 <= question.difficulty <= 3


def test_every_basis_names_an_existing_article():
    files, _ = read_bank()
    cited = [q for f in files for q in f.questions if q.basis]
    assert len(cited) > 20
    for question in cited:
        assert basis_error(question.basis) is None, (question.uid, question.basis)
        law, article, text = article_text(question.basis)
        assert text


def test_2021_article_numbers_of_the_work_safety_law():
    """The traps named in laws/README.md: 2014 numbers must not be used."""
    law = statutes()["安全生产法"]
    assert "拒绝违章指挥和强令冒险作业" in law["第五十四条"]
    assert "紧急情况" in law["第五十五条"] and "撤离" in law["第五十五条"]
    assert "特种作业人员" in law["第三十条"]
    assert basis_error("安全生产法 第二百条") == "《安全生产法》没有第二百条"
    assert "不在法规库中" in basis_error("道路交通安全法 第一条")


def test_check_command_rejects_a_broken_file(app, tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text('''category = "测试"
[[questions]]
id = "test-001"
type = "单选"
stem = "主要负责人是（　）。"
options = ["甲", "乙", "丙"]
answer = "E"
explanation = "说明。"

[[questions]]
id = "test-002"
type = "多选"
stem = "多选题只有一个答案（　）。"
options = ["甲", "乙", "丙"]
answer = "A"
explanation = "说明。"

[[questions]]
id = "test-003"
type = "判断"
stem = "主要负责人是（ ）。"
answer = "对"
explanation = "略"
basis = "安全生产法 第九百条"
''', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["bank", "check", str(broken)])
    assert result.exit_code == 1
    for message in ("答案 E 不在选项中", "多选题至少有两个正确答案", "判断题答案应为 正确 或 错误",
                    "缺少解析", "《安全生产法》没有第九百条", "题干与 test-001 重复"):
        assert message in result.output, message
    ok = app.test_cli_runner().invoke(args=["bank", "check"])
    assert ok.exit_code == 0 and re.search(r"\d+ 道题，0 个问题", ok.output)


def test_first_start_loads_bank_demo_and_organiser_once(app):
    db.session.execute(Question.__table__.update().values(active=True))
    lines = first_start(START)
    text = "\n".join(lines)
    assert "示范竞赛已创建" in text and "密码" in text
    assert db.session.scalar(select(func.count(Enterprise.id))) == 3
    assert db.session.scalar(select(func.count(Contest.id))) == 1
    assert db.session.scalars(select(User)).one().is_organiser
    again = "\n".join(first_start(START))
    assert "密码" not in again and "示范竞赛" not in again
    assert db.session.scalar(select(func.count(Contest.id))) == 1


def test_user_create_sets_a_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "anweiban", "--password", "s3cret-pass"])
    assert result.exit_code == 0
    user = db.session.scalars(select(User).where(User.username == "anweiban")).one()
    assert user.check_password("s3cret-pass") and user.is_organiser
    assert runner.invoke(args=["user", "create", "x", "--password", "short"]).exit_code != 0


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_a_question_removed_from_the_builtin_bank_is_retired_on_load(app):
    """Trimming the built-in bank (trivia removed in a release) reaches databases that loaded the
    old bank: `bank load` retires built-in questions no longer in the files; others stay."""
    from question_bank.loader import BankFile, load_bank

    files, _ = read_bank()
    first = files[0]
    removed = first.questions[0]
    trimmed = [BankFile(first.path, first.category, first.questions[1:], [])] + files[1:]
    mine = Question(uid="org-001", version=1, current=True, source="import", active=True,
                    category_id=db.session.scalar(select(Question.category_id).limit(1)), qtype="judge",
                    stem="组织者自己的题。", options=["正确", "错误"], answer="A", explanation="", tags=[])
    db.session.add(mine)
    db.session.flush()
    counts = load_bank(db.session, trimmed, retire_missing=True)
    assert counts["retired"] == 1
    active = lambda uid: db.session.scalar(  # noqa: E731
        select(Question.active).where(Question.uid == uid, Question.current.is_(True)))
    assert active(removed.uid) is False and active(first.questions[1].uid) is True and active("org-001") is True
    # Loading it again retires nothing more; a partial load (retire_missing off) retires nothing.
    assert load_bank(db.session, trimmed, retire_missing=True)["retired"] == 0
    result = app.test_cli_runner().invoke(args=["bank", "load"])
    assert result.exit_code == 0 and "停用 0" in result.output, result.output
    db.session.rollback()
