"""Reading the built-in bank (one TOML file per category) and loading it into the database.

Each question has a stable ``id`` (e.g. ``law-001``); loading is idempotent and a
changed file updates its questions in place.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from .laws import basis_error

DATA_DIR = Path(__file__).resolve().parent / "data"
TYPE_NAMES = {"单选": "single", "多选": "multi", "判断": "judge"}
JUDGE_ANSWERS = {"正确": "A", "错误": "B"}
LETTERS = "ABCDEFGH"


@dataclass
class BankQuestion:
    uid: str
    category: str
    qtype: str
    stem: str
    options: list[str]
    answer: str
    explanation: str
    difficulty: int
    tags: list[str] = field(default_factory=list)
    basis: str | None = None


@dataclass
class BankFile:
    path: Path
    category: str
    questions: list[BankQuestion]
    problems: list[str]
    # (id, stem) of every entry, valid or not: duplicates are reported either way.
    stems: list[tuple[str, str]] = field(default_factory=list)


def normalise_stem(stem: str) -> str:
    """Stem for duplicate detection: width-folded, without punctuation and spaces."""
    text = unicodedata.normalize("NFKC", stem)
    return "".join(ch for ch in text if not unicodedata.category(ch)[0] in "PZS")


def validate_question(raw: dict, category: str) -> tuple[BankQuestion | None, list[str]]:
    uid = str(raw.get("id", "")).strip()
    where = uid or "(无 id)"
    problems: list[str] = []
    qtype = TYPE_NAMES.get(str(raw.get("type", "")).strip())
    stem = str(raw.get("stem", "")).strip()
    explanation = str(raw.get("explanation", "")).strip()
    answer_raw = str(raw.get("answer", "")).strip().upper()
    if not re.fullmatch(r"[a-z]+-[0-9a-z]{3,}", uid):
        problems.append(f"{where}：id 应形如 law-001")
    if qtype is None:
        problems.append(f"{where}：题型应为 单选、多选 或 判断")
    if not stem:
        problems.append(f"{where}：缺少题干")
    if not explanation or explanation in {"略", "无"}:
        problems.append(f"{where}：缺少解析")
    difficulty = raw.get("difficulty", 1)
    if difficulty not in (1, 2, 3):
        problems.append(f"{where}：难度应为 1、2 或 3")
    if qtype == "judge":
        options = ["正确", "错误"]
        if "options" in raw:
            problems.append(f"{where}：判断题不应列出选项")
        answer = JUDGE_ANSWERS.get(str(raw.get("answer", "")).strip())
        if answer is None:
            problems.append(f"{where}：判断题答案应为 正确 或 错误")
    else:
        options = [str(o).strip() for o in raw.get("options", [])]
        answer = answer_raw
        if not 3 <= len(options) <= len(LETTERS) or any(not o for o in options):
            problems.append(f"{where}：选择题应有 3 到 8 个非空选项")
        if not answer or any(a not in LETTERS[: len(options)] for a in answer):
            problems.append(f"{where}：答案 {answer_raw} 不在选项中")
        if len(set(answer)) != len(answer) or "".join(sorted(answer)) != answer:
            problems.append(f"{where}：答案字母应按顺序且不重复")
        if qtype == "single" and len(answer) != 1:
            problems.append(f"{where}：单选题只能有一个答案")
        if qtype == "multi" and len(answer) < 2:
            problems.append(f"{where}：多选题至少有两个正确答案")
    basis = raw.get("basis")
    if basis is not None:
        error = basis_error(str(basis))
        if error:
            problems.append(f"{where}：{error}")
    if problems:
        return None, problems
    return (
        BankQuestion(
            uid=uid,
            category=category,
            qtype=qtype,
            stem=stem,
            options=options,
            answer=answer or "",
            explanation=explanation,
            difficulty=int(difficulty),
            tags=[str(t) for t in raw.get("tags", [])],
            basis=str(basis) if basis else None,
        ),
        [],
    )


def read_file(path: Path) -> BankFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return BankFile(path, "", [], [f"{path.name}：无法解析：{exc}"])
    category = str(data.get("category", "")).strip()
    problems = [] if category else [f"{path.name}：缺少 category"]
    questions = []
    stems = [
        (str(raw.get("id", "")).strip(), str(raw.get("stem", "")).strip())
        for raw in data.get("questions", [])
    ]
    for raw in data.get("questions", []):
        question, errors = validate_question(raw, category)
        problems.extend(f"{path.name} {e}" for e in errors)
        if question:
            questions.append(question)
    return BankFile(path, category, questions, problems, stems)


def read_bank(paths: list[Path] | None = None) -> tuple[list[BankFile], list[str]]:
    """All bank files, plus the problems found across them (ids and stems must be unique)."""
    files = [read_file(p) for p in (paths or sorted(DATA_DIR.glob("*.toml")))]
    problems = [p for f in files for p in f.problems]
    seen_ids: dict[str, str] = {}
    seen_stems: dict[str, str] = {}
    for bank_file in files:
        for uid, stem in bank_file.stems:
            if uid in seen_ids:
                problems.append(f"{bank_file.path.name} {uid}：id 与 {seen_ids[uid]} 重复")
            seen_ids[uid] = f"{bank_file.path.name} {uid}"
            key = normalise_stem(stem)
            if key and key in seen_stems:
                problems.append(f"{bank_file.path.name} {uid}：题干与 {seen_stems[key]} 重复")
            seen_stems.setdefault(key, uid)
    return files, problems


def load_bank(session, files: list[BankFile], retire_missing: bool = False) -> dict[str, int]:
    """Upsert the questions of valid files by stable id; returns counts.

    A changed question that has already been answered becomes a new version
    (``quiz.bank.queries.revise``), so results keep the version they asked.
    With ``retire_missing`` (``files`` is the whole built-in bank), a built-in question no
    longer in the files is retired (not deleted: results keep it), so a trimmed bank reaches
    databases that loaded the old one. A question an organiser retired stays retired.
    """
    from quiz.bank.queries import revise
    from quiz.models import Category, Question

    categories = {c.name: c for c in session.scalars(select(Category))}
    existing = {q.uid: q for q in session.scalars(select(Question).where(Question.current.is_(True)))}
    counts = {"added": 0, "updated": 0, "unchanged": 0, "retired": 0}
    for position, bank_file in enumerate(files, start=1):
        category = categories.get(bank_file.category)
        if category is None:
            category = Category(name=bank_file.category, position=position)
            session.add(category)
            session.flush()
            categories[category.name] = category
        for q in bank_file.questions:
            values = dict(
                category_id=category.id,
                qtype=q.qtype,
                stem=q.stem,
                options=q.options,
                answer=q.answer,
                explanation=q.explanation,
                basis=q.basis,
                difficulty=q.difficulty,
                tags=q.tags,
            )
            row = existing.get(q.uid)
            if row is None:
                session.add(Question(uid=q.uid, version=1, current=True, source="builtin",
                                     active=True, **values))
                counts["added"] += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                revise(row, values)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
    if retire_missing:
        named = {q.uid for f in files for q in f.questions}
        for uid, row in existing.items():
            if row.source == "builtin" and row.active and uid not in named:
                row.active = False
                counts["retired"] += 1
    session.flush()
    return counts
