"""Pushing a stage contest's changes: a small equivalent of quiz/live/push.py's Hub.

The live Hub builds a ``Snapshot`` of a *LiveRound*; a stage contest is another table, so
this module keeps the same idea — wake streams when ``version`` grows — with less:

* in the process that made the change, ``publish`` wakes that contest's streams at once
  (a ``threading.Event``, a gevent event under gunicorn's gevent workers);
* every stream also reads the contest's version from the database every
  ``STAGE_POLL_SECONDS`` (default 0.1 s), which is how changes made in other worker
  processes arrive (one indexed one-row query per stream and tick);
* a render may name a moment (``until``) after which it must be drawn again even without
  a new version: the buzz order, shown once the window after the first press is over.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable

from flask import Response, current_app, stream_with_context
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import StageContest

_lock = threading.Lock()
_events: dict[int, threading.Event] = {}


def publish(contest_id: int) -> None:
    """After a commit that changed the contest: wake this process's streams of it."""
    with _lock:
        event = _events.pop(contest_id, None)
    if event is not None:
        event.set()


def _wait(contest_id: int, timeout: float) -> None:
    with _lock:
        event = _events.setdefault(contest_id, threading.Event())
    event.wait(timeout)


def sse(event: str, html: str) -> str:
    lines = [line for line in html.splitlines() if line.strip()] or [""]
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


def stream(contest_id: int, render: Callable[[datetime], tuple[str, datetime | None]], *,
           watch=StageContest.version) -> Response:
    """An SSE stream of ``render(now)`` (html, until): the current stage at once, then each
    new ``watch`` (version, or phase for buzzer phones) or when ``until`` has passed."""
    app = current_app._get_current_object()
    poll = app.config.get("STAGE_POLL_SECONDS", 0.1)
    heartbeat = app.config["LIVE_HEARTBEAT_SECONDS"]

    def generate():
        yield "retry: 1000\n\n"
        seen, until, last_html, quiet = None, None, None, 0.0
        while True:
            with app.app_context():
                version = db.session.scalar(select(watch).where(StageContest.id == contest_id))
                if version is None:
                    return
                now = clock.now()
                html = last_html
                if version != seen or (until is not None and now >= until):
                    html, until = render(now)
                    seen = version
                db.session.remove()
            if html != last_html:
                yield sse("stage", html)
                last_html, quiet = html, 0.0
            elif quiet >= heartbeat:
                yield ": keep-alive\n\n"
                quiet = 0.0
            _wait(contest_id, poll)
            quiet += poll

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
