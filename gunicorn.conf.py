"""gunicorn settings, read by ``gunicorn 'app:create_app()'`` started in this directory.

Any of them can be overridden on the command line (``-w 9``, ``-b 0.0.0.0:8000``).
"""
import multiprocessing

bind = "127.0.0.1:8000"
# gevent: one worker holds thousands of open connections (phones, live-round event streams).
worker_class = "quiz.serving.GeventWorker"
workers = 2 * multiprocessing.cpu_count() + 1
worker_connections = 1000
graceful_timeout = 10
