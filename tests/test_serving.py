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


# ---------------------------------------------------------------- issue 19: a hall of 5 000 phones


def test_gunicorn_conf_holds_a_hall_of_phones():
    """Two connections a phone (event stream + saves) for 5 000 phones, on any one worker; a
    keep-alive that outlasts a question (60 s at most) plus its reveal."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_connections"] >= 2 * 5000
    assert settings["keepalive"] > 60
    assert settings["backlog"] >= 2048
    assert settings["timeout"] >= 60  # a slow worker is not killed with its phones


def _idle_close(wait_for_next_request) -> bytes | str:
    """A keep-alive connection whose idle time runs out in the very moment the phone sends
    its next request (it is in the server's receive buffer, unread). What does the phone get?"""
    import gevent
    from gevent import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    phone = socket.create_connection(listener.getsockname())
    server_side, _ = listener.accept()
    phone.sendall(b"POST /live/123456/answer HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    gevent.sleep(0.01)  # the bytes reach the server's buffer

    def serve():
        with wait_for_next_request(server_side):
            gevent.sleep(10)  # gunicorn waiting for the request parser; the timer ends it
        server_side.close()  # what gunicorn does next (util.close)

    server = gevent.spawn(serve)
    try:
        phone.settimeout(5)
        got = phone.recv(100)
    except ConnectionResetError:
        got = "reset"
    finally:
        phone.close()
        server.join(timeout=5)
        listener.close()
    return got


def test_an_idle_connection_is_closed_without_a_reset():
    """gunicorn's own gevent worker closes at once, and the kernel answers the unread request
    with a reset: the phone cannot know whether its answer arrived (the benchmark met one per
    run). Ours sends FIN first and drains: the phone reads a clean end and sends again."""
    import gevent

    from quiz.serving import _WaitForNextRequest

    assert _idle_close(lambda client: gevent.Timeout(0.05, False)) == "reset"
    assert _idle_close(lambda client: _WaitForNextRequest(0.05, client)) == b""


def test_the_worker_hands_its_idle_wait_the_connection(monkeypatch):
    import gevent

    from quiz.serving import _WaitForNextRequest

    worker = object.__new__(GeventWorker)
    worker._clients = {}
    worker.cfg = type("Cfg", (), {"keepalive": 75})()
    seen = []
    monkeypatch.setattr(ggevent.GeventWorker, "handle",
                        lambda self, listener, client, addr: seen.append(self.timeout_ctx()))
    client = object()
    worker.handle(None, client, None)
    wait = seen[0]
    assert isinstance(wait, _WaitForNextRequest) and wait.client is client
    assert wait.timeout.seconds == 75
    assert worker._clients == {}  # forgotten once the connection is done
    gevent.sleep(0)
