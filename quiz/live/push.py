"""Pushing a live round's changes to the phones and the host screen.

One ``Hub`` per worker process. Event streams (SSE) wait on it; it wakes the streams
of a round when the round's ``version`` grows:

* with ``REDIS_URL``, the request that changed the round publishes ``round:version``
  on a Redis channel and every process's hub hears it (pub/sub fan-out);
* without Redis, each process's hub reads the versions of the rounds it has streams
  for from the database every ``LIVE_POLL_SECONDS`` (one small query per process).

The hub also closes questions whose time ran out, so a question ends even when no
phone sends anything; the conditional UPDATE in ``live_rules`` lets one process win.

What a stream sends is built from a ``Snapshot``: everything about one version of a
round, read from the database once per process and version, however many phones
are connected to that process.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from .. import clock
from . import rules as live_rules
from ..extensions import db
from ..models import LiveAnswer, LivePlayer, LiveRound

log = logging.getLogger(__name__)
CHANNEL = "safequiz:live"


@dataclass
class Snapshot:
    """One version of a round, as phones see it."""

    round_id: int
    code: str
    title: str
    version: int
    state: str
    position: int
    count: int
    deadline: datetime | None
    paused_ms: int | None
    question_seconds: int
    question_on_phone: bool
    scoring: str
    question: dict | None  # stem, qtype, options, and after the question: answer, explanation, basis
    # Online rounds: when the phones' question opens (the stage's opening + the stream delay);
    # before it a phone is shown neither the question nor its options.
    opens_at: datetime | None = None
    stream_delay: int = 0
    removed: frozenset[int] = frozenset()
    # After a question: each player's answer to it and everyone's standing.
    answers: dict[int, tuple[str, bool, int]] = field(default_factory=dict)
    standings: dict[int, tuple[int, int]] = field(default_factory=dict)  # player → (rank, score)
    podium: list = field(default_factory=list)
    players: int = 0


def take_snapshot(round_: LiveRound) -> Snapshot:
    count = live_rules.question_count(round_)
    question = None
    if round_.position:
        item = live_rules.live_question(round_)
        q = item.question
        question = dict(stem=q.stem, qtype=q.qtype, type_label=q.type_label, options=list(q.options))
        if round_.state != "question":  # the right answer exists only once the question is over
            question.update(answer=q.answer, explanation=q.explanation, basis=q.basis, skipped=item.skipped)
    removed = frozenset(db.session.scalars(select(LivePlayer.id).where(
        LivePlayer.round_id == round_.id, LivePlayer.removed.is_(True))))
    snap = Snapshot(
        round_id=round_.id, code=round_.code, title=round_.title, version=round_.version,
        state=round_.state, position=round_.position, count=count, deadline=round_.question_deadline,
        paused_ms=round_.paused_remaining_ms, question_seconds=round_.question_seconds,
        question_on_phone=round_.question_on_phone, scoring=round_.scoring, question=question,
        removed=removed, opens_at=round_.question_started_at if round_.state == "question" else None,
        stream_delay=round_.stream_delay_seconds or 0,
    )
    if round_.state in ("reveal", "leaderboard", "final"):
        if round_.position:
            rows = db.session.execute(select(
                LiveAnswer.player_id, LiveAnswer.chosen, LiveAnswer.is_correct,
                LiveAnswer.points + LiveAnswer.bonus,
            ).where(LiveAnswer.round_id == round_.id, LiveAnswer.position == round_.position)).all()
            snap.answers = {pid: (chosen, bool(ok), int(points)) for pid, chosen, ok, points in rows}
        standings = live_rules.player_standings(round_.id)
        snap.standings = {s.player_id: (s.rank, s.score) for s in standings}
        snap.podium = standings[:3]
        snap.players = len(standings)
    return snap


class Hub:
    def __init__(self, app: Flask):
        self.app = app
        self.redis_url = app.config.get("REDIS_URL") or ""
        # Pub/sub ignores Redis database numbers: one channel per database of rounds, so two
        # deployments (or test runs) sharing a Redis never hear each other's round ids.
        database = hashlib.sha1(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:12]
        self.channel = f"{CHANNEL}:{database}"
        self.poll = app.config["LIVE_POLL_SECONDS"]
        self.grace = app.config["ANSWER_GRACE_SECONDS"]
        self._lock = threading.Lock()
        self._events: dict[int, threading.Event] = {}
        self._versions: dict[int, int] = {}
        self._deadlines: dict[int, datetime | None] = {}
        self._watchers: dict[int, int] = {}  # round → streams waiting in this process
        self._snapshots: dict[int, Snapshot] = {}
        self._building: dict[int, threading.Lock] = {}
        self._pid = None
        self._redis = None

    # -------------------------------------------------------------- streams

    def watch(self, round_id: int) -> None:
        self._ensure_running()
        with self._lock:
            self._watchers[round_id] = self._watchers.get(round_id, 0) + 1

    def unwatch(self, round_id: int) -> None:
        with self._lock:
            left = self._watchers.get(round_id, 1) - 1
            if left <= 0:
                self._watchers.pop(round_id, None)
            else:
                self._watchers[round_id] = left

    def wait(self, round_id: int, seen_version: int, timeout: float) -> bool:
        """Block until the round is newer than ``seen_version`` (True) or the timeout (False)."""
        with self._lock:
            if self._versions.get(round_id, 0) > seen_version:
                return True
            event = self._events.setdefault(round_id, threading.Event())
        return event.wait(timeout)

    def snapshot(self, round_id: int, at_least: int = 0) -> Snapshot | None:
        """The latest version of the round, read once per process and version (the streams and
        requests that want it meanwhile wait for that one read). ``at_least``: a version the
        caller has seen in the database, which this process may not have heard of yet. Ends
        the caller's database session (the connection goes back to the pool)."""
        if at_least:
            self._seen(round_id, at_least, with_deadline=False)
        known = self._versions.get(round_id)
        cached = self._snapshots.get(round_id)
        if cached is not None and known is not None and cached.version >= known:
            return cached
        with self._lock:
            building = self._building.setdefault(round_id, threading.Lock())
        with building:  # the other streams of this process wait for the one that reads
            cached = self._snapshots.get(round_id)
            known = self._versions.get(round_id)
            if cached is not None and known is not None and cached.version >= known:
                return cached
            try:
                round_ = db.session.get(LiveRound, round_id, populate_existing=True)
                if round_ is None:
                    return None
                snap = take_snapshot(round_)
            finally:
                db.session.remove()  # give the connection back: streams live long
            self._snapshots[round_id] = snap
            self._seen(round_id, snap.version, snap.deadline)
            return snap

    # -------------------------------------------------------------- changes

    def announce(self, round_: LiveRound) -> None:
        """Commit a change of state and push it: the one place a round's change is announced
        (the host's and the phones' requests, the answer writer, the timer)."""
        db.session.commit()
        self.publish(round_)

    def publish(self, round_: LiveRound) -> None:
        """After a commit that changed the round: wake this process, then all others."""
        self._seen(round_.id, round_.version, round_.question_deadline)
        if self.redis_url:
            try:
                self._client().publish(self.channel, f"{round_.id}:{round_.version}")
            except Exception:  # the database still has the change; the safety poll finds it
                log.exception("live: publishing to Redis failed")

    def _seen(self, round_id: int, version: int, deadline: datetime | None = None, *,
              with_deadline: bool = True) -> None:
        with self._lock:
            known = self._versions.get(round_id, 0)
            if with_deadline and version >= known:
                self._deadlines[round_id] = deadline
            if version <= known:
                return
            self._versions[round_id] = version
            event = self._events.pop(round_id, None)
        if event is not None:
            event.set()

    # -------------------------------------------------------------- the background watcher

    def _client(self):
        if self._redis is None or self._pid != os.getpid():
            import redis

            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis

    def _ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # after a fork (gunicorn), each worker starts its own
            self._redis = None
            threading.Thread(target=self._watch_database, name="live-db", daemon=True).start()
            if self.redis_url:
                threading.Thread(target=self._listen_redis, name="live-redis", daemon=True).start()

    def _listen_redis(self) -> None:
        while True:
            try:
                pubsub = self._client().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    round_id, _, version = message["data"].decode().partition(":")
                    self._seen(int(round_id), int(version), with_deadline=False)
            except Exception:
                log.exception("live: Redis subscription lost; retrying")
                time.sleep(1)

    def _watch_database(self) -> None:
        """Versions (without Redis; with Redis every few seconds as a safety net) and deadlines."""
        last_full = 0.0
        while True:
            time.sleep(self.poll)
            try:
                with self._lock:
                    rounds = list(self._watchers)
                if not rounds:
                    continue
                monotonic = time.monotonic()
                full = not self.redis_url or monotonic - last_full > 5
                with self.app.app_context():
                    now = clock.now()
                    if full:
                        last_full = monotonic
                        self._read_versions(rounds)
                    self._close_due(rounds, now)
                    db.session.remove()
            except Exception:
                log.exception("live: watching rounds failed")

    def _read_versions(self, rounds: list[int]) -> None:
        rows = db.session.execute(select(LiveRound.id, LiveRound.version, LiveRound.question_deadline)
                                  .where(LiveRound.id.in_(rounds))).all()
        for round_id, version, deadline in rows:
            self._seen(round_id, version, deadline)

    def _close_due(self, rounds: list[int], now: datetime) -> None:
        grace = timedelta(seconds=self.grace)
        for round_id in rounds:
            deadline = self._deadlines.get(round_id)
            if deadline is None or now <= deadline + grace:
                continue
            round_ = db.session.get(LiveRound, round_id, populate_existing=True)
            if round_ is not None and live_rules.advance_if_due(round_, now, self.grace):
                self.announce(round_)
            elif round_ is not None:
                self._seen(round_id, round_.version, round_.question_deadline)
                with self._lock:
                    self._deadlines[round_id] = round_.question_deadline


def hub(app: Flask | None = None) -> Hub:
    from flask import current_app

    app = app or current_app._get_current_object()
    existing = app.extensions.get("safequiz.live_hub")
    if existing is None:
        existing = app.extensions["safequiz.live_hub"] = Hub(app)
    return existing
