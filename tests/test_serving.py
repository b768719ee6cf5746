"""The production server settings: gunicorn.conf.py and its worker (quiz/serving.py)."""
from __future__ import annotations

import multiprocessing
import runpy
from pathlib import Path

from gevent.server import StreamServer
from gunicorn.util import load_class
from gunicorn.workers import ggevent

from quiz.serving import GeventWorker, _AcceptingStreamServer

ROOT = Path(__file__).resolve().parent.parent


def test_the_server_keeps_accepting_every_waiting_connection():
    """gunicorn sets max_accept = 1 when it runs several workers; ours keeps gevent's own
    (every phone waiting is admitted in one turn of the event loop, not one per turn)."""
    server = _AcceptingStreamServer(("127.0.0.1", 0), handle=lambda *args: None)
    server.max_accept = 1  # what GeventWorker.run does with workers > 1
    assert server.max_accept == StreamServer.max_accept > 1
    plain = StreamServer(("127.0.0.1", 0), handle=lambda *args: None)
    plain.max_accept = 1
    assert plain.max_accept == 1  # the limit this worker exists to lift


def test_the_worker_builds_that_server_only_in_its_own_process(monkeypatch):
    built = []
    monkeypatch.setattr(ggevent.GeventWorker, "run", lambda self: built.append(ggevent.StreamServer))
    monkeypatch.setattr(ggevent, "StreamServer", StreamServer)  # restored after the test
    GeventWorker.run(object.__new__(GeventWorker))
    assert built == [_AcceptingStreamServer]


def test_gunicorn_conf_names_the_worker_and_cores_plus_one():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert load_class(settings["worker_class"]) is GeventWorker
    assert issubclass(GeventWorker, ggevent.GeventWorker)
    assert settings["workers"] == multiprocessing.cpu_count() + 1
