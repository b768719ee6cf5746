"""Security headers on every response (an after-request hook).

Content-Security-Policy allows exactly what the pages use: scripts and styles from this site
only (no inline script, no inline event handler ``on…=``, no ``style=""`` attribute: bars get
their width from ``data-bar-width`` in static/quiz.js, and htmx is told not to inject its
indicator ``<style>`` nor to evaluate code — base.html's htmx-config), images from this site and
``data:`` URLs (QR codes, the blank favicon), event streams and htmx requests to this site, no
framing by anyone — except the live round's stage, which the host's console shows as a small
preview (framed by this site only).

``Cache-Control: no-store`` on staff pages (/admin/…) and on a participant's own attempt,
result and certificate (/a/…): a shared or back-button cache must not show them to the next
person at the phone. Static files keep their year-long cache (their URLs carry content hashes).
"""
from __future__ import annotations

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
}

# Pages this site embeds in its own pages (the console's preview of the stage).
EMBEDDED_BY_SELF = {"live.stage"}
SELF_FRAMED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'"),
    "X-Frame-Options": "SAMEORIGIN",
}

# Path prefixes whose answers are private to the person asking: never stored by any cache.
PRIVATE_PREFIXES = ("/admin", "/a/")


def private(path: str) -> bool:
    return path == "/admin" or path.startswith(PRIVATE_PREFIXES)


def add_headers(response):
    if request.endpoint in EMBEDDED_BY_SELF:
        response.headers.update(SELF_FRAMED)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if private(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
