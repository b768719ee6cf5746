"""SQLite's write lock, waited for without stopping a gevent worker.

SQLite has one write lock per database file. A connection that finds it taken waits in
SQLite's busy handler, which sleeps in C (1, 2, 5 … 100 ms at a time): under gevent that
sleep stops every greenlet of the worker, reads included. With a hall of phones answering,
each worker spent about half its time asleep there while phones waited seconds and a third
of the CPU stood idle (bench/README.md, the hall's capacity).

Here a write transaction starts with ``BEGIN IMMEDIATE`` (the write lock at once, or
SQLITE_BUSY at once, with no work done and nothing to undo), retried after a gevent sleep
while another connection writes: the worker serves its other phones meanwhile. It works on
the driver's connection (``sqlite3.connect(factory=…)``), below SQLAlchemy, so that every
path takes it, ``quiz.prepared``'s statements included. Python's sqlite3 would begin a
deferred transaction just before the first INSERT, UPDATE, DELETE or REPLACE; this begins
the immediate one there instead (and before an ANALYZE, or a SAVEPOINT that would open a
transaction). Everything else keeps SQLite's busy timeout.
"""
from __future__ import annotations

import sqlite3
import time

from sqlalchemy.engine import make_url

# The statements that open a write transaction (compared by their first six letters).
_OPENS_WRITE = ("INSERT", "UPDATE", "DELETE", "REPLAC", "ANALYZ", "SAVEPO")
_FIRST_PAUSE, _LONGEST_PAUSE = 0.0005, 0.005  # seconds; a write holds the lock ~0.2–3 ms


def wanted(setting: str, uri: str) -> bool:
    """Whether writers on this database wait this way. ``SQLITE_WAIT_IN_GEVENT``: "on", "off" or
    "auto" (on in a gevent worker, i.e. when gevent has patched the standard library)."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    if setting == "auto":
        from gevent import monkey

        return monkey.is_module_patched("socket")
    return setting == "on"


def connection_factory(busy_timeout_ms: int) -> type[sqlite3.Connection]:
    """A ``sqlite3.Connection`` class whose write transactions begin as described above,
    giving up ("database is locked", as SQLite would) after ``busy_timeout_ms``."""
    import gevent

    def begin_immediately(cursor: sqlite3.Cursor) -> None:
        give_up = time.monotonic() + busy_timeout_ms / 1000
        pause = _FIRST_PAUSE
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > give_up:
                        raise
                gevent.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")

    class Cursor(sqlite3.Cursor):
        def _before(self, sql: str) -> None:
            if not self.connection.in_transaction and sql.lstrip()[:6].upper() in _OPENS_WRITE:
                begin_immediately(self)

        def execute(self, sql, parameters=(), /):
            self._before(sql)
            return super().execute(sql, parameters)

        def executemany(self, sql, parameters, /):
            self._before(sql)
            return super().executemany(sql, parameters)

    class Connection(sqlite3.Connection):
        def cursor(self, factory=Cursor):
            return super().cursor(factory)

    return Connection
