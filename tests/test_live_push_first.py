"""Pushes first: in a gevent worker an answer waits until the process's event streams have
sent the round's newest version (quiz/live/push.py, ``Hub.let_pushes_finish``).

The hub is driven here as the streams and answers drive it, with threads for the waiting
answers; gevent's greenlets use the same ``threading`` primitives once patched."""
from __future__ import annotations

import threading
import time

from quiz.live.push import Hub


def hub_with_streams(app, round_id: int, streams: int, version: int = 1) -> Hub:
    hub = Hub(app)
    hub.pushes_first = True  # as in a gevent worker
    hub._ensure_running = lambda: None  # no background watcher: the test says what changed
    for _ in range(streams):
        hub.watch(round_id)
    hub._seen(round_id, version)
    return hub


def answer_waiting(hub: Hub, timeout: float = 30) -> tuple[threading.Thread, dict]:
    done: dict = {}

    def answer():
        hub.let_pushes_finish(timeout)
        done["at"] = time.monotonic()

    thread = threading.Thread(target=answer)
    thread.start()
    return thread, done


def test_an_answer_waits_until_every_stream_sent_the_new_version(app):
    hub = hub_with_streams(app, 7, streams=3)
    thread, done = answer_waiting(hub)
    hub.sent(7, 1)
    hub.sent(7, 1)
    thread.join(0.05)
    assert "at" not in done  # one stream has not sent it yet
    hub.sent(7, 0)  # a stream reporting an older version counts for nothing
    thread.join(0.05)
    assert "at" not in done
    hub.sent(7, 1)
    thread.join(5)
    assert "at" in done
    hub.let_pushes_finish(0)  # nothing left: returns at once


def test_a_stream_that_ends_without_sending_is_not_waited_for(app):
    hub = hub_with_streams(app, 7, streams=2)
    thread, done = answer_waiting(hub)
    hub.sent(7, 1)
    hub.unwatch(7, sent_version=0)  # the phone left before the new version reached it
    thread.join(5)
    assert "at" in done


def test_a_newer_version_replaces_the_one_being_pushed(app):
    hub = hub_with_streams(app, 7, streams=2)
    thread, done = answer_waiting(hub)
    hub.sent(7, 1)
    hub._seen(7, 2)  # the host pressed again before the push ended: both streams send 2
    hub.sent(7, 1)
    thread.join(0.05)
    assert "at" not in done
    hub.sent(7, 2)
    hub.sent(7, 2)
    thread.join(5)
    assert "at" in done


def test_a_stuck_stream_delays_answers_at_most_the_timeout(app):
    hub = hub_with_streams(app, 7, streams=1)
    started = time.monotonic()
    hub.let_pushes_finish(0.05)
    assert time.monotonic() - started < 5


def test_outside_gevent_answers_never_wait(app):
    hub = hub_with_streams(app, 7, streams=1)
    hub.pushes_first = False
    started = time.monotonic()
    hub.let_pushes_finish(30)
    assert time.monotonic() - started < 5
