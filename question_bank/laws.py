"""The statute texts in ``laws/``: which laws exist and the text of each article.

A question's 依据 is written ``<law> 第N条`` where <law> is the file name before
the date, e.g. ``安全生产法 第五十三条``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

LAWS_DIR = Path(__file__).resolve().parent / "laws"
ARTICLE_LINE = re.compile(r"^(第[零〇一二三四五六七八九十百千]+条)[\s　]+(.*)$")
BASIS = re.compile(r"^\s*《?(?P<law>[^《》\s]+?)》?\s*(?P<article>第[零〇一二三四五六七八九十百千]+条)\s*$")


@lru_cache(maxsize=None)
def statutes() -> dict[str, dict[str, str]]:
    """{law name: {"第五条": article text}}; text runs until the next article or heading."""
    result: dict[str, dict[str, str]] = {}
    for path in sorted(LAWS_DIR.glob("*.md")):
        if path.name == "README.md":
            continue
        name = path.stem.split("(")[0]
        articles: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            match = ARTICLE_LINE.match(line)
            if match:
                current = articles.setdefault(match.group(1), [])
                current.append(match.group(2).strip())
            elif line.startswith("#"):
                current = None
            elif current is not None and line.strip():
                current.append(line.strip())
        result[name] = {number: "\n".join(parts) for number, parts in articles.items()}
    return result


def parse_basis(basis: str) -> tuple[str, str] | None:
    match = BASIS.match(basis or "")
    if not match:
        return None
    return match.group("law"), match.group("article")


def basis_error(basis: str) -> str | None:
    """Why a 依据 does not point to an existing article, or None when it does."""
    parsed = parse_basis(basis)
    if parsed is None:
        return f"依据格式应为“法规名 第N条”：{basis}"
    law, article = parsed
    texts = statutes()
    if law not in texts:
        return f"依据中的法规不在法规库中：{law}"
    if article not in texts[law]:
        return f"《{law}》没有{article}"
    return None


def article_text(basis: str) -> tuple[str, str, str] | None:
    """(law, article, text) for a valid 依据."""
    parsed = parse_basis(basis)
    if parsed is None:
        return None
    law, article = parsed
    text = statutes().get(law, {}).get(article)
    return (law, article, text) if text else None
