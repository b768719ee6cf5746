"""Issue 20, install: Python is checked before .venv is made; the suite refuses to drop a
database not named for tests; the app's and the tests' requirements are split and pinned."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import refused_test_database

ROOT = Path(__file__).resolve().parent.parent


def test_an_old_python_is_refused_before_a_venv_is_made(tmp_path):
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.2' && exit 0\nexit 1\n")
    old.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(["make", "-C", str(ROOT), f"PYTHON={old}", f"VENV={venv}", "setup"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Python 3.11 or newer" in result.stdout and "Python 3.9.2" in result.stdout
    assert not venv.exists()


def test_the_suite_refuses_a_database_not_named_for_tests(tmp_path):
    assert refused_test_database("postgresql://postgres@127.0.0.1:5432/safequiz") is not None
    assert refused_test_database("postgresql://postgres@127.0.0.1:5432/test") is None
    assert refused_test_database("postgresql://postgres@127.0.0.1:5432/safequiz_test") is None
    assert refused_test_database(None) is None
    env = dict(os.environ, TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/production")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/test_readme_links.py"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "'production'" in result.stdout + result.stderr


def _pins(path: Path) -> dict[str, str]:
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n\s+--hash=sha256:", path.read_text(), re.M)}


def test_app_and_test_requirements_are_split_pinned_and_hashed():
    app, dev = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    # Every package the code imports directly, pinned with hashes.
    for package in ("flask", "werkzeug", "itsdangerous", "click", "markupsafe", "jinja2", "sqlalchemy",
                    "flask-babel", "gunicorn", "gevent", "psycopg", "redis", "openpyxl", "python-docx"):
        assert package in app, package
    for tool in ("pytest", "playwright", "zxing-cpp"):  # test tools stay out of production
        assert tool not in app and tool in dev, tool
    assert all(dev[name] == version for name, version in app.items())  # one version of each
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line and not line.startswith((" ", "#"))]
    assert all("==" in line for line in lines), lines


def test_serving_the_lan_prints_an_address_phones_can_reach():
    from quiz.lan import lan_address, public_url

    assert public_url("192.168.8.8", 5000) == "http://192.168.8.8:5000"
    url = public_url("0.0.0.0", 5000)
    assert url == f"http://{lan_address()}:5000" and "0.0.0.0" not in url
    result = subprocess.run([sys.executable, "-m", "quiz.lan", "0.0.0.0", "8080"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == f"http://{lan_address()}:8080"
