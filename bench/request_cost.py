#!/usr/bin/env python
"""What each request of the participant flow costs inside the app, without a server or a network.

    .venv/bin/python bench/request_cost.py                 # 150 participants, SQLite
    .venv/bin/python bench/request_cost.py -n 300 --cprofile /tmp/cost.pstats

A fresh SQLite database in a temporary directory (``flask db upgrade``, ``flask setup`` and the
contest of bench/contest_load.py: 20 questions from every category). Then, in this process, the
app's WSGI callable is called directly with prepared requests, one participant after another,
as contest_load.py's phones send them: GET the sign-up page, sign up (htmx), GET the first
question, 20 answers (htmx), submit; then GET /healthz as often as there were answers. The
first 5 participants warm up (templates, statement caches) and are not counted.

Prints per kind of request the median and mean wall time and the mean CPU time, then one final
line ``mean_ms=… healthz_ms=… ratio=…``: the mean over every participant request, the mean of
/healthz, and their ratio. One process and no I/O wait, so these move far less than the load
benchmark's figures on a busy machine; they are the in-process part of what contest_load.py
measures (its rps/hello_rps also carries gunicorn's own cost per request and the effects of
several processes sharing SQLite).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from common import ATTEMPT_RE, CSRF_RE, OPTION_RE, ROOT, SECRET_KEY, run_step

KINDS = ("signup", "join", "quiz", "answer", "submit")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", "-n", type=int, default=150)
    parser.add_argument("--cprofile", metavar="FILE", help="also write a cProfile (CPU time) of the counted requests")
    parser.add_argument("--with-save", action="store_true",
                        help="before each answer also send the tap's save (POST /a/<id>/save, as the quiz page "
                             "does on each change); reported as its own kind, left out of mean_ms")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="safequiz-cost-"))
    env = dict(os.environ, SECRET_KEY=SECRET_KEY, SAFEQUIZ_INSTANCE=str(workdir),
               DATABASE_URL=f"sqlite:///{workdir / 'safequiz.db'}",
               PUBLIC_BASE_URL="http://localhost")  # werkzeug's EnvironBuilder host
    env.pop("FLASK_DEBUG", None)
    # One participant's 20 answers follow each other within milliseconds here: still counted
    # by the limiter (its cost is measured), never refused.
    env.setdefault("RATELIMIT_ANSWER_PER_ATTEMPT", "1000 per second")
    try:
        python = sys.executable
        run_step(env, python, "-m", "flask", "--app", "app", "db", "upgrade")
        run_step(env, python, "-m", "flask", "--app", "app", "setup")
        out = run_step(env, python, str(ROOT / "bench" / "contest_load.py"), "_contest", "20", "60")
        contest = json.loads(out.strip().splitlines()[-1])
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        return measure(args, contest)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args, contest: dict) -> int:
    from werkzeug.test import EnvironBuilder

    from app import create_app

    app = create_app()
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def call(kind, method, path, cookies, form=None, token=None):
        headers = {"User-Agent": "SafeQuizBench"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if token:  # as htmx sends it
            headers.update({"HX-Request": "true", "HX-Target": "quiz", "X-CSRFToken": token})
        extra = {}
        if form is not None:
            extra = {"data": urlencode(form), "content_type": "application/x-www-form-urlencoded"}
        environ = EnvironBuilder(path=path, method=method, headers=headers, **extra).get_environ()
        started: dict = {}

        def start_response(status, response_headers, exc_info=None):
            started.update(status=status, headers=response_headers)

        t0, c0 = time.perf_counter(), time.thread_time()
        body = b"".join(app.wsgi_app(environ, start_response))
        wall.setdefault(kind, []).append(time.perf_counter() - t0)
        cpu.setdefault(kind, []).append(time.thread_time() - c0)
        for name, value in started["headers"]:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return int(started["status"][:3]), dict(started["headers"]), body.decode()

    profiler = None
    for i in range(args.participants + 5):
        if i == 5:  # the warm-up is over
            wall.clear()
            cpu.clear()
            if args.cprofile:
                import cProfile

                profiler = cProfile.Profile(time.thread_time)
                profiler.enable()
        cookies: dict[str, str] = {}
        _, _, html = call("signup", "GET", f"/j/{contest['code']}", cookies)
        token = CSRF_RE.search(html).group(1)
        form = [("csrf_token", token), ("name", f"测试{i:04d}"), ("identifier", f"13{i:09d}"),
                ("enterprise", str(contest["enterprises"][i % len(contest["enterprises"])])),
                ("department", "一车间")]
        status, headers, html = call("join", "POST", f"/j/{contest['code']}", cookies, form, token)
        if status != 204:
            raise SystemExit(f"sign-up: HTTP {status}: {html[:300]}")
        attempt = ATTEMPT_RE.search(headers["HX-Redirect"]).group(1)
        _, _, html = call("quiz", "GET", f"/a/{attempt}", cookies)
        for position in range(1, 21):
            options = OPTION_RE.findall(html)
            chosen = [letter for _, letter in options[:2]] if options[0][0] == "checkbox" else [options[0][1]]
            form = [("position", str(position))] + [("choice", c) for c in chosen]
            if args.with_save:
                status, _, body = call("save", "POST", f"/a/{attempt}/save", cookies, form, token)
                if status != 204:
                    raise SystemExit(f"save {position}: HTTP {status}: {body[:300]}")
            form.append(("go", str(position + 1 if position < 20 else 0)))
            status, _, html = call("answer", "POST", f"/a/{attempt}/answer", cookies, form, token)
            if status != 200 or 'class="message error"' in html:
                raise SystemExit(f"answer {position}: HTTP {status}: {html[:300]}")
        status, _, html = call("submit", "POST", f"/a/{attempt}/submit", cookies, [], token)
        if status != 204:
            raise SystemExit(f"submit: HTTP {status}: {html[:300]}")
    for _ in range(len(wall["answer"])):
        call("healthz", "GET", "/healthz", {})
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.cprofile)

    for kind in (*KINDS, *(("save",) if args.with_save else ()), "healthz"):
        print(f"{kind:8s} n={len(wall[kind]):6d}  median={1000 * statistics.median(wall[kind]):7.3f}ms  "
              f"mean={1000 * statistics.fmean(wall[kind]):7.3f}ms  cpu_mean={1000 * statistics.fmean(cpu[kind]):7.3f}ms",
              file=sys.stderr)
    participant = [t for kind in KINDS for t in wall[kind]]
    mean = statistics.fmean(participant)
    healthz = statistics.fmean(wall["healthz"])
    print(f"mean_ms={1000 * mean:.3f} healthz_ms={1000 * healthz:.3f} ratio={healthz / mean:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
