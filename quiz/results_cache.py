"""A short-lived cache for league tables and reports, invalidated in exactly one place.

Every table and report is one SQL aggregate; on a large campaign (100 000 people, 2 million
answers) that aggregate takes long enough that a big screen refreshing every few seconds, or
an organiser sorting a table, must not run it again each time. So results are kept for
``RESULTS_CACHE_SECONDS`` and thrown away when results change — an attempt is submitted
(``attempts.submit``), or an attempt or a person is voided or restored (:mod:`quiz.contests.voiding`) —
all through the one :func:`invalidate_on_commit`.

Where the cache lives:

- with ``REDIS_URL``, in Redis, shared by every worker process and server. Invalidation
  increments a generation number that is part of every key, so one INCR drops everything at
  once, everywhere;
- without Redis, in each process. The submitting process drops its copy at once; other
  processes hold theirs for at most ``RESULTS_CACHE_SECONDS`` (default 30 s), which is the
  "short time" a figure may lag behind a submission.

Values are whatever the compute function returns (lists of frozen dataclasses, dicts); they
must be picklable for Redis.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

_lock = threading.Lock()
_local: dict[tuple, tuple[float, object]] = {}  # (generation, app, name, params) → (expires, value)
_generation = [0]  # this process's generation (no Redis)
_redis_clients: dict[str, object] = {}
MAX_LOCAL_ENTRIES = 2000


def _namespace() -> str:
    # One namespace per database: two deployments or test runs sharing a Redis never mix.
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return "safequiz:results:" + hashlib.sha1(uri.encode()).hexdigest()[:12]


def _redis():
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return None
    key = f"{os.getpid()}:{url}"  # a client made before a fork is not used after it
    client = _redis_clients.get(key)
    if client is None:
        import redis

        client = _redis_clients[key] = redis.Redis.from_url(url)
    return client


def seconds() -> float:
    return float(current_app.config.get("RESULTS_CACHE_SECONDS", 10))


def cached(name: str, params: tuple, compute: Callable[[], T]) -> T:
    """The value of ``compute()`` for (name, params), computed at most once per lifetime."""
    ttl = seconds()
    if ttl <= 0:
        return compute()
    client = _redis()
    if client is not None:
        namespace = _namespace()
        generation = int(client.get(f"{namespace}:generation") or 0)
        key = f"{namespace}:{generation}:{name}:{params!r}"
        found = client.get(key)
        if found is not None:
            return pickle.loads(found)
        value = compute()
        client.set(key, pickle.dumps(value), ex=max(1, int(round(ttl))))
        return value
    key = (_generation[0], id(current_app._get_current_object()), name, params)
    now = time.monotonic()
    with _lock:
        hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        if len(_local) >= MAX_LOCAL_ENTRIES:
            _local.clear()
        _local[key] = (now + ttl, value)
    return value


def invalidate() -> None:
    """Results changed: every cached table and report is stale (the one place that says so)."""
    client = _redis()
    if client is not None:
        client.incr(f"{_namespace()}:generation")
    with _lock:
        _generation[0] += 1
        _local.clear()


def invalidate_on_commit(session: Session) -> None:
    """Invalidate once the session's transaction has committed.

    Not before: a page read between the invalidation and the commit would cache the old
    figures for a whole lifetime.
    """
    real = session() if callable(session) and not isinstance(session, Session) else session
    if real.info.get("results_cache_pending"):
        return
    real.info["results_cache_pending"] = True
    app = current_app._get_current_object()

    def after_commit(committed: Session) -> None:
        committed.info.pop("results_cache_pending", None)
        with app.app_context():
            invalidate()

    # A rollback leaves the listener waiting for the next commit: one spurious invalidation
    # at worst, never a missed one.
    event.listen(real, "after_commit", after_commit, once=True)
