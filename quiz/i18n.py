"""The interface language: Simplified Chinese (the default and the source of every message)
or English.

Chinese strings are the message ids (``_("开始答题")``); English lives in catalogues next to the
code that uses them: ``translations/`` at the top for the shared templates and the core, and
``quiz/<domain>/translations/`` for each domain, all merged by Flask-Babel. ``make`` compiles
them (``pybabel compile``). Bank content (questions, statutes) and what people typed stay as
they are.

The language is, in order: the one chosen with the switch (``/lang/en``, remembered in a
cookie), else the best match of the browser's Accept-Language, else Chinese.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, has_request_context, redirect, request
from flask_babel import Babel, get_locale

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "lang"
COOKIE_DAYS = 365

babel = Babel()
bp = Blueprint("i18n", __name__)


def translation_directories(root: Path) -> list[str]:
    """Every catalogue directory: the shared one, then each domain's."""
    found = [root / "translations"] + sorted((root / "quiz").glob("*/translations"))
    return [str(path) for path in found if path.is_dir()]


def compile_catalogues(root: Path) -> list[Path]:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older (``make`` and the tests
    call this; ``python -m quiz.i18n``). Returns the catalogues compiled."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for directory in translation_directories(root):
        for po in Path(directory).glob("*/LC_MESSAGES/messages.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalogue = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalogue)
            compiled.append(po)
    return compiled


def select_locale() -> str:
    if not has_request_context():  # rules called from the CLI or a test: the default language
        return DEFAULT
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT


def html_lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh-CN"


def _same_site(target: str | None) -> str:
    """Only a path of this site (never another site's URL) after switching."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/lang/<code>")
def switch(code: str):
    # Back to the page the switch was pressed on (the Referer, same-origin) or to ``next``.
    back = request.args.get("next")
    if not back and request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host:
            back = parts.path + (f"?{parts.query}" if parts.query else "")
    response = redirect(_same_site(back), 303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    root = Path(app.root_path)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(translation_directories(root)))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["languages"] = LANGUAGES
    app.register_blueprint(bp)


if __name__ == "__main__":
    for done in compile_catalogues(Path(__file__).resolve().parent.parent):
        print(f"compiled {done}")
