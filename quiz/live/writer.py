"""Storing a hall's answers together: group commit, one write transaction per batch.

When a question opens, every phone in the hall answers within a few seconds (5 000 phones:
some 800 answers a second). Written one by one, each answer is its own write transaction:
on SQLite each one waits for the database's single write lock (the three workers take turns
at it, and a request waiting for it keeps its pooled connection, so the pool ran dry and
answers failed after 30 s); on PostgreSQL each commit waits for its own flush of the log.

So each worker process has one ``AnswerWriter``. A request judges its answer (reads only),
gives its connection back, hands the answer to the writer and waits. The writer stores all
the answers waiting at that moment with one INSERT and one commit, then wakes their
requests; answers that arrive meanwhile form the next batch. There is no deliberate delay:
with one phone answering, a batch is that one answer. Nothing is acknowledged before its
batch is committed, and an answer's time is its arrival (``clock.received()``), so batching
changes no score. After each batch the writer closes the question when every player has now
answered, once per batch rather than once per answer.

Batching runs in gevent workers (production, ``gunicorn.conf.py``); elsewhere (the Flask
development server, tests) ``store`` writes the answer in the request itself, through the
same ``save_batch``. ``LIVE_ANSWER_BATCHING``: "auto" (the default), "on" or "off".
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_babel import gettext as _

from .. import clock
from ..errors import QuizError
from ..extensions import db
from ..i18n import N_
from ..models import LiveAnswer, LiveRound
from . import rules as live_rules
from .push import hub

log = logging.getLogger(__name__)

MAX_BATCH = 500  # rows per INSERT: well under SQLite's 32 766 parameters (9 per row)
WAIT_SECONDS = 60  # a request gives up (a 503; the phone retries, which is idempotent)
NOT_SAVED = N_("服务器繁忙，答案暂未保存，正在重试……")


def save_batch(answers: list[LiveAnswer]) -> list[bool]:
    """Store answers in one transaction and commit; for each, whether it was stored (False:
    its player had already answered that question). Then close every question of the batch
    that every active player has now answered, and announce it."""
    stored = live_rules.store_answers(answers)
    db.session.commit()
    for round_id, position in sorted({(a.round_id, a.position) for a, ok in zip(answers, stored) if ok}):
        round_ = db.session.get(LiveRound, round_id, populate_existing=True)
        if (round_ is None or round_.state != "question" or round_.position != position
                or not live_rules.everyone_answered(round_)):
            continue
        try:
            live_rules.close_question(round_, clock.now())
        except QuizError:
            db.session.rollback()  # the host, the timer or another worker closed it first
            continue
        hub().announce(round_)
    return stored


def wanted(setting: str) -> bool:
    if setting == "auto":
        from gevent import monkey

        return monkey.is_module_patched("threading")
    return setting == "on"


@dataclass
class _Waiting:
    answer: LiveAnswer
    done: threading.Event = field(default_factory=threading.Event)
    stored: bool = False
    error: BaseException | None = None


class AnswerWriter:
    def __init__(self, app: Flask):
        self.app = app
        self.batching = wanted(app.config["LIVE_ANSWER_BATCHING"])
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._wake = threading.Event()
        self._pid: int | None = None
        self.handed_over = 0  # answers given to the writer in this process (tests, benchmarks)
        self.batches = 0  # batches committed

    def store(self, answer: LiveAnswer) -> bool:
        """Store one judged answer; whether it was stored (False: the player had already
        answered). Call it with no transaction open: it may wait for other answers.

        When the database could not store it, ``QuizError`` with status 503: the phone
        keeps the answer and sends it again (static/live.js), and a repeat is idempotent."""
        if not self.batching:
            try:
                return save_batch([answer])[0]
            except Exception:
                db.session.rollback()
                log.exception("live: storing an answer failed")
                raise QuizError(_(NOT_SAVED), status=503) from None
        waiting = _Waiting(answer)
        self._ensure_running()
        with self._lock:
            self._queue.append(waiting)
            self.handed_over += 1
        self._wake.set()
        if not waiting.done.wait(WAIT_SECONDS) or waiting.error is not None:
            raise QuizError(_(NOT_SAVED), status=503)
        return waiting.stored

    def waiting(self) -> int:
        """Answers handed over and not yet written."""
        with self._lock:
            return len(self._queue)

    def _ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # after a fork (gunicorn) each worker starts its own
            self._queue = []
            threading.Thread(target=self._run, name="live-answers", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                with self._lock:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                if not batch:
                    break
                self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        with self.app.app_context():
            try:
                try:
                    results = save_batch([w.answer for w in batch])
                except Exception:
                    db.session.rollback()
                    if len(batch) == 1:
                        raise
                    # One answer the database refuses must not fail the others: one by one.
                    log.exception("live: storing %s answers together failed; storing them one by one",
                                  len(batch))
                    for waiting in batch:
                        self._write([waiting])
                    return
                self.batches += 1
                for waiting, stored in zip(batch, results):
                    waiting.stored = stored
            except Exception as error:
                log.exception("live: storing an answer failed")
                for waiting in batch:
                    waiting.error = error
            finally:
                db.session.remove()
                for waiting in batch:
                    waiting.done.set()


def writer(app: Flask | None = None) -> AnswerWriter:
    app = app or current_app._get_current_object()
    existing = app.extensions.get("safequiz.live_answers")
    if existing is None:
        existing = app.extensions["safequiz.live_answers"] = AnswerWriter(app)
    return existing
