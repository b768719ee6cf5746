"""README.md and docs/*.md: every relative link resolves inside the repository, and the README
stays short (issue 16: it once linked to a file outside the repository and ran to 530 lines)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target "title"), ![alt](target), <img src="target">, <a href="target">, [label]: target
INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML = re.compile(r"""<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))  # examples in code blocks are not links
    text = re.sub(r"`[^`\n]*`", "", text)
    return [m.group(1) for pattern in (INLINE, HTML, REFERENCE) for m in pattern.finditer(text)]


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped (CJK kept), spaces to hyphens."""
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", page.read_text(encoding="utf-8")),
                              re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:|^//", target, re.IGNORECASE)


def test_the_pages_are_found():
    assert PAGES[0].exists() and len(PAGES) >= 2


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    missing = []
    for target in links(page):
        if not relative(target):
            continue
        path, _, fragment = target.partition("#")
        file = (page.parent / unquote(path)).resolve() if path else page
        if not file.exists() or ROOT not in (file, *file.parents):
            missing.append(target)
        elif fragment and file.suffix == ".md" and unquote(fragment).lower() not in anchors(file):
            missing.append(target)
    assert missing == [], f"{page.name}: links that do not resolve inside the repository"


def test_the_readme_links_to_the_import_formats_and_the_benchmarks():
    targets = links(ROOT / "README.md")
    assert "docs/import-formats.md" in targets
    assert "bench/README.md" in targets
    assert not any(".." in target for target in targets if relative(target))


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines < 200


def test_the_link_finder_sees_every_kind_of_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('# Top of it\n[a](x.md) ![b](img/y.png "t") <img src="z.png" width="9">\n[c]: w.md\n'
                    "`[not](code.md)`\n```\n[nor](fence.md)\n```\n[d](https://example.com) [e](#top-of-it)\n"
                    "## 1.3 文本试卷（.txt）\n", encoding="utf-8")
    assert links(page) == ["x.md", "img/y.png", "https://example.com", "#top-of-it", "z.png", "w.md"]
    assert anchors(page) == {"top-of-it", "13-文本试卷txt"}


def test_the_readme_lists_every_setting():
    """Every environment variable quiz/config.py reads has its row in the configuration table."""
    names = set(re.findall(r"""environ\.get\(\s*["']([A-Z0-9_]+)["']""",
                           (ROOT / "quiz" / "config.py").read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(names) > 20
    assert sorted(name for name in names if f"| `{name}` |" not in readme) == []


def test_the_readme_lists_every_command(app):
    """Every flask command the app adds (and its subcommands) is on the command line list."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    own = {"user", "bank", "demo", "setup", "sweep", "backup", "restore"}
    missing = []
    for name, command in app.cli.commands.items():
        if name not in own:
            continue
        for sub in getattr(command, "commands", {None: None}):
            line = f"flask --app app {name}" + (f" {sub}" if sub else "")
            if line not in readme:
                missing.append(line)
    assert missing == []
