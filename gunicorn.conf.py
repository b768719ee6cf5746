"""gunicorn settings, read by ``gunicorn 'app:create_app()'`` started in this directory.

Any of them can be overridden on the command line (``-w 9``, ``-b 0.0.0.0:8000``).
"""
import multiprocessing

bind = "127.0.0.1:8000"
# gevent: one worker holds thousands of open connections (phones, live-round event streams).
worker_class = "quiz.serving.GeventWorker"
# cores + 1, not the usual 2 × cores + 1: SQLite serialises writes and a worker waiting for
# the write lock blocks, so more processes mostly add lock waits and dropped page caches
# (bench/contest_load.py, N=500 on 2 cores: 3 workers served the same load with ~17 % less
# CPU than 5 — median rps/hello 0.230 against 0.197).
workers = multiprocessing.cpu_count() + 1
worker_connections = 1000
graceful_timeout = 10
