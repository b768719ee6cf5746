"""gunicorn settings, read by ``gunicorn 'app:create_app()'`` started in this directory.

Any of them can be overridden on the command line (``-w 9``, ``-b 0.0.0.0:8000``).

Under systemd, give the service enough file descriptors (one per connection, see
``worker_connections``) in its unit::

    [Service]
    LimitNOFILE=65536

Without it the soft limit is often 1024; this file raises the soft limit to the hard one
at start-up (the workers inherit it) and says so in the log when that is still too few.
"""
import multiprocessing
import resource

bind = "127.0.0.1:8000"
# gevent: one worker holds thousands of open connections (phones, live-round event streams).
worker_class = "quiz.serving.GeventWorker"
# cores + 1, not the usual 2 × cores + 1: SQLite serialises writes and a worker waiting for
# the write lock blocks, so more processes mostly add lock waits and dropped page caches
# (bench/contest_load.py, N=500 on 2 cores: 3 workers served the same load with ~17 % less
# CPU than 5 — median rps/hello 0.230 against 0.197).
workers = multiprocessing.cpu_count() + 1
# Open connections per worker. In a live round every phone holds two (its event stream and
# the connection it saves answers on) and the projector one, so a hall of 5 000 phones is
# about 10 000 connections. gunicorn's default of 1 000 capped 3 workers at 2 999 phones
# (bench/live_round.py, 4 000 phones), and the kernel does not spread connections evenly
# over the workers (one worker may get half), so each worker may hold all of a big hall.
# An idle gevent connection costs a few kilobytes; the limit is about descriptors
# (see RLIMIT_NOFILE below), not memory.
worker_connections = 10000
# Connections waiting to be accepted (the kernel caps it at net.core.somaxconn, 4096 on
# current kernels). gunicorn's 2048 is enough while the workers accept up to 100 per turn,
# but when the hall's Wi-Fi drops for a moment thousands of event streams reconnect at once.
backlog = 4096
# Seconds an idle keep-alive connection stays open. gunicorn's 2 s closed a phone's
# connection between any two answers, so each answer opened a new connection, and an answer
# sent just as the server closed its idle connection met a reset (now a clean close, see
# quiz/serving.py). 75 s (nginx's default) outlasts the longest question (60 s) plus the
# reveal, so a phone keeps one connection for the round.
keepalive = 75
graceful_timeout = 10
# For gevent workers ``timeout`` is a heartbeat: the master kills a worker whose event loop
# has not turned for that long. gunicorn's 30 s killed a worker holding ~1 600 phones in a
# benchmark on a machine that other jobs kept 5× oversubscribed (every phone on it lost its
# stream and its answer in flight). A worker that is merely slow should be left to catch up;
# 120 s still replaces one that is truly stuck.
timeout = 120


def _raise_nofile(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else max(soft, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


_NOFILE = _raise_nofile(worker_connections + 100)


def when_ready(server):
    if _NOFILE != resource.RLIM_INFINITY and _NOFILE < worker_connections + 100:
        server.log.warning(
            "RLIMIT_NOFILE is %s: each worker can hold only about that many connections, "
            "fewer than worker_connections=%s (systemd: LimitNOFILE=65536)", _NOFILE, worker_connections)
