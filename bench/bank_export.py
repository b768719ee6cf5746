"""Benchmark: export a 10 000-question bank to .xlsx and preview its re-import.

    .venv/bin/python bench/bank_export.py                  # 10 000 questions, 3 runs
    .venv/bin/python bench/bank_export.py --questions 2000 --runs 1

A temporary SQLite database gets the schema (the migrations) and N generated questions
(SQLAlchemy Core executemany, as quiz/demo/big.py loads its rows). Then, in the app:
the export as the bank page does it (the query of ``/admin/questions/export.xlsx`` and
``quiz.bank.files.workbook``), and the preview of importing that very file
(``quiz.bank.files.preview``; every row should come back 未变). Each is timed ``--runs``
times; the median is reported. The last line is the result:

    questions=10000 export_s=… reimport_preview_s=…

Exit status 1 when the re-import preview does not report every question as 未变.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ["安全生产法律法规", "消防安全", "危险化学品", "特种设备", "用电安全", "应急避险与自救互救",
              "职业健康", "交通安全", "有限空间", "建筑施工"]
SUBJECTS = ["动火作业", "有限空间作业", "高处作业", "临时用电", "危险化学品储存", "叉车驾驶", "起重吊装",
            "消防通道", "应急预案", "劳动防护用品", "隐患排查", "安全培训", "粉尘防爆", "燃气使用"]
WORDS = ["必须", "应当", "严禁", "可以", "不得", "及时", "定期", "专人", "书面", "现场"]


def question_rows(count: int, category_ids: list[int], seed: int = 18) -> list[dict]:
    """``count`` plausible, valid and distinct questions (rows for a Core insert)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        subject = rng.choice(SUBJECTS)
        kind = ("single", "multi", "judge")[i % 3]
        stem = f"关于{subject}的第{i + 1}项要求，下列说法{'正确' if kind != 'judge' else ''}的是（　）。"
        if kind == "judge":
            stem = f"{subject}时{rng.choice(WORDS)}遵守第{i + 1}号规程。"
            options, answer = ["正确", "错误"], rng.choice("AB")
        elif kind == "single":
            options = [f"{subject}{rng.choice(WORDS)}{k}号措施" for k in range(4)]
            answer = rng.choice("ABCD")
        else:
            n = rng.choice((4, 5))
            options = [f"{subject}{rng.choice(WORDS)}{k}号做法" for k in range(n)]
            answer = "".join(sorted(rng.sample("ABCDE"[:n], rng.randint(2, n))))
        if i % 97 == 0:
            stem = "=" + stem  # text that looks like a formula must stay text
        rows.append(dict(
            uid=f"bench-{i + 1:05d}", version=1, current=True, source="bench", active=True,
            category_id=category_ids[i % len(category_ids)], qtype=kind, stem=stem, options=options,
            answer=answer, explanation=f"第{i + 1}题解析：{subject}{rng.choice(WORDS)}按规定执行。" if i % 4 else "",
            basis="安全生产法 第五条" if i % 11 == 0 else None, difficulty=1 + i % 3,
            tags=[subject] if i % 2 else [], ))
    return rows


def insert_bank(count: int, seed: int = 18) -> None:
    """Categories and ``count`` questions into the app's database (in an app context)."""
    from sqlalchemy import func, insert, select

    from quiz.extensions import db
    from quiz.models import Category, Question

    position = db.session.scalar(select(func.max(Category.position))) or 0
    ids = []
    for offset, name in enumerate(CATEGORIES, start=1):
        category = db.session.scalar(select(Category).where(Category.name == name))
        if category is None:
            category = Category(name=name, position=position + offset)
            db.session.add(category)
            db.session.flush()
        ids.append(category.id)
    rows = question_rows(count, ids, seed)
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Question), rows[start:start + 5000])
    db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-bank-export-"))
    os.environ["SAFEQUIZ_INSTANCE"] = str(work)
    try:
        from flask_migrate import upgrade
        from sqlalchemy import select

        from app import create_app
        from quiz.bank import files as bank_io
        from quiz.bank.queries import BankFilter, search
        from quiz.config import TestingConfig
        from quiz.extensions import db

        config = TestingConfig()
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{work / 'bench.db'}"
        app = create_app(config)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            insert_bank(args.questions)
            print(f"bank: {args.questions} questions in {time.perf_counter() - started:.1f} s", flush=True)

            export_times, preview_times = [], []
            data = b""
            for run in range(args.runs):
                db.session.expunge_all()
                started = time.perf_counter()
                questions = db.session.scalars(search(BankFilter())).all()
                data = bank_io.workbook(questions)
                export_times.append(time.perf_counter() - started)
                db.session.expunge_all()
                started = time.perf_counter()
                result = bank_io.preview("题库导出.xlsx", data, None, bank_io.limits(50 * 1024 * 1024))
                preview_times.append(time.perf_counter() - started)
                print(f"run {run + 1}: export {export_times[-1]:.2f} s ({len(data) // 1024} KiB), "
                      f"re-import preview {preview_times[-1]:.2f} s: {len(result.rows)} rows, "
                      f"same {result.count('same')}, update {result.count('update')}, new {result.count('ok')}, "
                      f"rejected {result.count('rejected')}", flush=True)
                db.session.rollback()
            exported = len(db.session.scalars(select(1).select_from(search(BankFilter()).subquery())).all())
            ok = result.count("same") == exported == len(result.rows) and not result.file_errors
            db.session.remove()
            db.engine.dispose()
        print(f"questions={args.questions} export_s={statistics.median(export_times):.2f} "
              f"reimport_preview_s={statistics.median(preview_times):.2f}", flush=True)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
