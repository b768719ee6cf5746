"""Which Host headers the app answers, and the refusal to serve without PUBLIC_BASE_URL.

QR codes and certificate links are absolute URLs. Built from a request's Host header, a forged
one (``Host: evil.example``) would print the forger's address on a poster; so a production
server needs PUBLIC_BASE_URL (create_app refuses to start without it), and every request must
name its host or one of ALLOWED_HOSTS (Flask's TRUSTED_HOSTS: anything else is a 400).
"""
from __future__ import annotations

import click
from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.urls import urlsplit

MISSING = (
    "PUBLIC_BASE_URL is not set. SafeQuiz prints it on QR codes and certificates; without it "
    "they would carry whatever Host header a request sends. Set it to the address phones open, "
    "e.g. PUBLIC_BASE_URL=https://quiz.example.gov.cn (docs/production.md), or run the "
    "development server with --debug. (未设置 PUBLIC_BASE_URL：生产环境必须设置对外访问地址。)"
)


class MissingPublicBaseUrl(RuntimeError):
    pass


def _loaded_by_a_command() -> bool:
    """The app is loaded by a ``flask`` command other than ``run`` (db upgrade, setup, backup …):
    it answers no request, so it needs no public address."""
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"


def trusted_hosts(public_base_url: str, allowed: str) -> list[str] | None:
    """PUBLIC_BASE_URL's host plus ALLOWED_HOSTS; None (any host) when neither names one."""
    hosts = [h.strip() for h in allowed.split(",") if h.strip()]
    if public_base_url:
        host = urlsplit(public_base_url).hostname
        if not host:
            raise MissingPublicBaseUrl(f"PUBLIC_BASE_URL {public_base_url!r} has no host: e.g. https://quiz.example.gov.cn")
        hosts.insert(0, host)
    return hosts or None


def init_app(app: Flask) -> None:
    base = app.config.get("PUBLIC_BASE_URL", "")
    if not base and not (app.debug or app.testing or _loaded_by_a_command()):
        raise MissingPublicBaseUrl(MISSING)
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(base, app.config.get("ALLOWED_HOSTS", ""))

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        """No page for an unknown host: without a URL adapter no link can be built, and the
        request's host must not be echoed anywhere."""
        return "400 Bad Request: unknown host (未知的访问地址)\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
