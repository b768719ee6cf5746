"""The gunicorn worker SafeQuiz runs in production (gunicorn.conf.py names it).

gunicorn's gevent worker lets each worker accept only one new connection per turn of its
event loop when there is more than one worker (``max_accept = 1``), to spread connections
over the workers. When a hall of phones opens the contest at the same moment, a turn takes
as long as every request it runs (a SQLite call never yields), so five workers admitted
~25 phones a second: the last of 500 waited 15 s for its first page while the admitted
ones were answered in milliseconds. This worker accepts whatever is waiting (gevent's
default, up to 100 per turn), so every phone is admitted within a turn or two and waits
about as long as the others.
"""
from __future__ import annotations

from gevent.server import StreamServer
from gunicorn.workers import ggevent


class _AcceptingStreamServer(StreamServer):
    """A StreamServer that keeps gevent's ``max_accept`` when gunicorn sets it to 1."""

    @property
    def max_accept(self) -> int:
        return StreamServer.max_accept

    @max_accept.setter
    def max_accept(self, _value: int) -> None:
        pass


class GeventWorker(ggevent.GeventWorker):
    def run(self):
        # GeventWorker.run builds its server from this module-level name; the worker process
        # is ours alone (forked), so the replacement affects nothing else.
        ggevent.StreamServer = _AcceptingStreamServer
        super().run()
