"""The gunicorn worker SafeQuiz runs in production (gunicorn.conf.py names it).

Two changes to gunicorn's gevent worker:

* **Admission.** gunicorn's gevent worker lets each worker accept only one new connection per
  turn of its event loop when there is more than one worker (``max_accept = 1``), to spread
  connections over the workers. When a hall of phones opens the contest at the same moment, a
  turn takes as long as every request it runs (a SQLite call never yields), so five workers
  admitted ~25 phones a second: the last of 500 waited 15 s for its first page while the
  admitted ones were answered in milliseconds. This worker accepts whatever is waiting
  (gevent's default, up to 100 per turn), so every phone is admitted within a turn or two and
  waits about as long as the others.
* **Closing an idle keep-alive connection.** When no request came within ``keepalive``
  seconds, gunicorn's async workers close the socket at once. A phone that sent its next
  request in that same moment (the answer it was about to save) has bytes in the server's
  receive buffer, and closing a socket with unread data makes the kernel answer with a TCP
  reset: the phone sees ``ECONNRESET`` and cannot tell whether the answer arrived (the live
  benchmark met exactly one such answer per run). This worker closes the way RFC 9112 §9.6
  asks, as gunicorn's own sync and gthread workers do (``util.close_graceful``): send FIN
  first, read and discard what is still coming for up to a second, then close. The phone reads
  a clean end of stream without a response, which browsers (and the benchmark's client) answer
  by sending the request again on a new connection.
"""
from __future__ import annotations

import gevent
from gevent.server import StreamServer
from gunicorn import util
from gunicorn.workers import ggevent

IDLE_LINGER_SECONDS = 1.0


class _AcceptingStreamServer(StreamServer):
    """A StreamServer that keeps gevent's ``max_accept`` when gunicorn sets it to 1."""

    @property
    def max_accept(self) -> int:
        return StreamServer.max_accept

    @max_accept.setter
    def max_accept(self, _value: int) -> None:
        pass


class _WaitForNextRequest:
    """gunicorn's keep-alive wait (``gevent.Timeout(keepalive, False)``) that, when the time
    is up, half-closes and drains the connection before gunicorn closes it."""

    def __init__(self, seconds: float, client):
        self.timeout = gevent.Timeout(seconds)
        self.client = client

    def __enter__(self):
        self.timeout.start()
        return self

    def __exit__(self, _type, value, _traceback) -> bool:
        self.timeout.close()
        if value is not self.timeout:
            return False
        if self.client is not None:
            util.close_graceful(self.client, timeout=IDLE_LINGER_SECONDS)
        return True  # as gevent.Timeout(…, False): the keep-alive loop ends quietly


class GeventWorker(ggevent.GeventWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}  # connection greenlet → its socket, for the idle close

    def run(self):
        # GeventWorker.run builds its server from this module-level name; the worker process
        # is ours alone (forked), so the replacement affects nothing else.
        ggevent.StreamServer = _AcceptingStreamServer
        super().run()

    def handle(self, listener, client, addr):
        current = gevent.getcurrent()
        self._clients[current] = client
        try:
            super().handle(listener, client, addr)
        finally:
            self._clients.pop(current, None)

    def timeout_ctx(self):
        return _WaitForNextRequest(self.cfg.keepalive, self._clients.get(gevent.getcurrent()))
