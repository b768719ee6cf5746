"""The SafeQuiz app with per-request measurements, for finding where the server's time goes.

    .venv/bin/python bench/contest_load.py --participants 500 --profile [--cprofile]

serves ``bench.profiled_app:create()`` instead of ``app:create_app()``. The app code is not
changed: a WSGI middleware and SQLAlchemy event listeners measure, per kind of request
(``POST /a/<id>/answer`` …), the wall time inside the app, the CPU time of the worker
(``time.thread_time``), the time inside SQL statements (reads and writes apart: on SQLite a
write waits for the database lock there), the time inside ``Session.commit`` and the number
of statements (``quiz.prepared`` statements included, timed from taking the session's
connection to the end of the execute). With ``BENCH_CPROFILE=1`` each worker also runs cProfile (timed in CPU seconds) around
every request.

Each worker writes ``profile-<pid>.json`` (and ``profile-<pid>.pstats``) into
``$SAFEQUIZ_INSTANCE`` every 200 requests and when it exits; ``summarise()`` merges them.

On SQLite nothing inside a request yields to another greenlet (sqlite3 calls block the worker),
so wall time inside the app is the time the worker was busy with that request; on PostgreSQL
psycopg yields while waiting for the server, so wall time there includes other greenlets' work.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import time
from collections import defaultdict
from pathlib import Path

FIELDS = ("count", "wall", "cpu", "sql_read", "sql_write", "statements", "commit")
ID_RE = re.compile(r"/\d+")


def _kind(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/j/"):
        path = "/j/<code>"
    return f"{environ.get('REQUEST_METHOD')} {ID_RE.sub('/<id>', path)}"


def create():
    import greenlet
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app import create_app
    from quiz.extensions import db

    app = create_app()
    out = Path(os.environ.get("SAFEQUIZ_INSTANCE", ".")) / f"profile-{os.getpid()}"
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(FIELDS))
    current: dict[object, list[float]] = {}  # greenlet → the fields of its request
    profiler = None
    if os.environ.get("BENCH_CPROFILE") == "1":
        import cProfile

        # CPU time of the worker thread, not wall time: waits for the SQLite lock or for
        # the OS to schedule the worker again would otherwise look like work.
        profiler = cProfile.Profile(time.thread_time)

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
        record = current.get(greenlet.getcurrent())
        if record is not None:
            is_read = statement.lstrip()[:6].upper() == "SELECT"
            record[FIELDS.index("sql_read" if is_read else "sql_write")] += elapsed
            record[FIELDS.index("statements")] += 1

    original_commit = Session.commit

    def commit(self):
        t0 = time.perf_counter()
        try:
            return original_commit(self)
        finally:
            record = current.get(greenlet.getcurrent())
            if record is not None:
                record[FIELDS.index("commit")] += time.perf_counter() - t0

    Session.commit = commit

    # The answer path's Prepared statements run on the DBAPI cursor, past the engine events
    # above: time them here (from the session's connection to the end of the execute).
    from quiz.prepared import Prepared

    original_run = Prepared._run

    def run(self, params):
        t0 = time.perf_counter()
        cursor, processors = original_run(self, params)
        record = current.get(greenlet.getcurrent())
        if record is not None:
            is_read = cursor.description is not None  # it returns rows
            record[FIELDS.index("sql_read" if is_read else "sql_write")] += time.perf_counter() - t0
            record[FIELDS.index("statements")] += 1
        return cursor, processors

    Prepared._run = run

    served = [0]

    def dump() -> None:
        data = {kind: dict(zip(FIELDS, values)) for kind, values in totals.items()}
        out.with_suffix(".json").write_text(json.dumps(data))
        if profiler is not None:
            profiler.dump_stats(str(out.with_suffix(".pstats")))

    atexit.register(dump)
    inner = app.wsgi_app

    def measured(environ, start_response):
        me = greenlet.getcurrent()
        record = [0.0] * len(FIELDS)
        current[me] = record
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        if profiler is not None:
            profiler.enable()
        try:
            return inner(environ, start_response)
        finally:
            if profiler is not None:
                profiler.disable()
            record[FIELDS.index("wall")] = time.perf_counter() - wall0
            record[FIELDS.index("cpu")] = time.thread_time() - cpu0
            record[FIELDS.index("count")] = 1
            del current[me]
            total = totals[_kind(environ)]
            for i, value in enumerate(record):
                total[i] += value
            served[0] += 1
            if served[0] % 200 == 0:
                dump()

    app.wsgi_app = measured
    return app


def summarise(directory: Path) -> list[str]:
    """Lines for the report: every worker's numbers merged, per kind of request."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0.0))
    for path in directory.glob("profile-*.json"):
        for kind, values in json.loads(path.read_text()).items():
            for name, value in values.items():
                totals[kind][name] += value
    lines = [
        "server side, per request (mean ms; wall = time inside the app, cpu = worker CPU, "
        "sql = inside statements, commit = Session.commit):",
        f"  {'request':28s} {'n':>6s} {'wall':>7s} {'cpu':>7s} {'sql_rd':>7s} {'sql_wr':>7s} "
        f"{'commit':>7s} {'stmts':>5s} {'cpu_total_s':>11s}",
    ]
    for kind, t in sorted(totals.items(), key=lambda kv: -kv[1]["cpu"]):
        n = t["count"] or 1
        lines.append(
            f"  {kind:28s} {int(t['count']):6d} {1000 * t['wall'] / n:7.1f} {1000 * t['cpu'] / n:7.1f} "
            f"{1000 * t['sql_read'] / n:7.1f} {1000 * t['sql_write'] / n:7.1f} "
            f"{1000 * t['commit'] / n:7.1f} {t['statements'] / n:5.1f} {t['cpu']:11.1f}"
        )
    stats_files = [str(p) for p in directory.glob("profile-*.pstats")]
    if stats_files:
        import io
        import pstats

        buffer = io.StringIO()
        merged = pstats.Stats(*stats_files, stream=buffer)
        merged.sort_stats("tottime").print_stats(25)
        merged.sort_stats("cumulative").print_stats(40)
        report = directory / "cprofile.txt"
        report.write_text(buffer.getvalue())
        lines.append(f"cProfile of all workers: {report}")
    return lines
