#!/usr/bin/env python
"""Benchmark of the league tables, reports and their exports on a large campaign.

    .venv/bin/python bench/league.py                       # SQLite, the full demo (generated once)
    .venv/bin/python bench/league.py --database-url postgresql://postgres@127.0.0.1:5432/safequiz_bench
    .venv/bin/python bench/league.py --redis               # results cache shared through Redis
    .venv/bin/python bench/league.py --enterprises 20 --participants 2000 \
        --workdir /tmp/safequiz-league-bench-small        # a quick run on a small campaign

1. the bench database: by default the SQLite file ``league.db`` in ``--workdir``
   (/tmp/safequiz-league-bench), or ``--database-url`` (PostgreSQL; never the ``test``
   database). It is reused when it already holds the demo campaign of the asked size;
   otherwise it is emptied and filled with ``flask db upgrade`` and ``flask demo big``
   (the size options are passed through). ``flask user create bench`` makes the organiser;
2. the pages are discovered from the app's URL map: every GET rule under /admin/league/ and
   /admin/reports/, with the campaign filled in, each table of the league, each chart, and
   ?enterprise=<the enterprise with most participants> for the departments table and the
   knowledge page;
3. cold: gunicorn is started as in production (``-k quiz.serving.GeventWorker -w W``, as gunicorn.conf.py) R times (``--restarts``,
   3); after each start the organiser requests every page once: each page's first request
   with the caches empty is one cold sample;
4. warm: after the last cold pass, each page is requested 3 × W times (W at once, to reach
   every worker; not measured), then 20 times one after another (measured);
5. prints a line per page (cold median, warm p50/p95, bytes) and one final line
   ``pages=N cold_p95_ms=X warm_p95_ms=Y``.

Exit status: 0 when every request got 200, 1 when any failed, 2 when the benchmark could not
run (set-up failed, or no page was found). gunicorn is always stopped. See bench/README.md,
"League tables and reports".
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import itertools
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import (
    PRODUCTION_WORKER,
    ROOT,
    SECRET_KEY,
    Connection,
    ensure_pg_database,
    free_port,
    log,
    log_tail,
    percentile,
    reset_pg,
    run_internal_step,
    run_step,
    stop,
    wait_booted,
    wait_healthy,
)

USER, PASSWORD = "bench", "bench-password-1"
PREFIXES = ("/admin/league/", "/admin/reports/")
TABLES = ["individuals", "enterprises", "regions", "industries", "departments"]
CHARTS = ["daily", "scores"]
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) SafeQuizBench"
CSRF_INPUT_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------- internal steps (app side)


def step_plan(enterprises: int, participants: int, regions: int, questions: int) -> None:
    """Does the database hold the demo campaign of this size? If so, the pages to measure."""
    from sqlalchemy import distinct, func, select

    from app import create_app
    from quiz.demo.big import CODE_PREFIX
    from quiz.extensions import db
    from quiz.models import Attempt, AttemptQuestion, Campaign, Contest, Enterprise, Participant

    app = create_app()
    with app.app_context():
        campaign = db.session.scalar(
            select(Campaign).where(Campaign.name.like("演示大赛 %")).order_by(Campaign.id.desc()))
        if campaign is None:
            print(json.dumps({"ok": False, "reason": "no demo campaign"}))
            return
        demo = Enterprise.code.like(f"{CODE_PREFIX}%")
        contests = list(db.session.scalars(
            select(Contest).where(Contest.campaign_id == campaign.id).order_by(Contest.id)))
        contest_ids = [c.id for c in contests]
        found = {
            "enterprises": db.session.scalar(select(func.count(Enterprise.id)).where(demo)),
            "regions": db.session.scalar(select(func.count(distinct(Enterprise.region))).where(demo)),
            "participants": db.session.scalar(
                select(func.count(Participant.id)).join(Enterprise).where(demo)),
            "questions": contests[0].question_count if contests else 0,
        }
        attempts = db.session.scalar(
            select(func.count(Attempt.id)).where(Attempt.contest_id.in_(contest_ids)))
        answers = db.session.scalar(
            select(func.count(AttemptQuestion.id)).join(Attempt).where(Attempt.contest_id.in_(contest_ids)))
        wanted = {"enterprises": enterprises, "regions": regions, "participants": participants,
                  "questions": questions}
        if found != wanted or not attempts or answers != attempts * found["questions"]:
            print(json.dumps({"ok": False, "reason": f"found {found}, {attempts} attempts, "
                              f"{answers} answers; wanted {wanted}"}))
            return
        big = db.session.execute(
            select(Enterprise.id, Enterprise.name).join(Participant).where(demo)
            .group_by(Enterprise.id, Enterprise.name)
            .order_by(func.count(Participant.id).desc(), Enterprise.id).limit(1)).one()
        pages, skipped = discover(app, campaign.id, big.id, contest_ids[0] if contest_ids else None)
        print(json.dumps({
            "ok": True, "campaign": campaign.name, "campaign_id": campaign.id, "attempts": attempts,
            "answers": answers, "enterprise": big.name, "pages": pages, "skipped": skipped, **found,
        }, ensure_ascii=False))


def step_stats(analyze: int) -> None:
    """SQLite: planner statistics made (ANALYZE) or dropped, so a run measures what it says."""
    from sqlalchemy import text

    from app import create_app
    from quiz.extensions import db

    app = create_app()
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name != "sqlite":
            print("statistics: PostgreSQL's own (VACUUM ANALYZE after the load, then autovacuum)")
            return
        if analyze:
            conn.exec_driver_sql("ANALYZE")
            print("statistics: SQLite ANALYZE done (--analyze)")
            return
        found = conn.execute(text(
            "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%' AND type = 'table'")).scalars().all()
        for name in found:
            conn.exec_driver_sql(f"DROP TABLE {name}")
        print("statistics: none to start with"
              + (f" (dropped {', '.join(found)})" if found else "")
              + "; the app makes its own (a sampled ANALYZE on a worker's first request, then hourly)")


def discover(app, campaign_id: int, enterprise_id: int, contest_id: int | None):
    """Every GET rule under PREFIXES, with its arguments filled in; extra query variants."""
    pages: list[str] = []
    skipped: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or not rule.rule.startswith(PREFIXES):
            continue
        choices = {}
        for name in sorted(rule.arguments):
            if "campaign" in name:
                choices[name] = [campaign_id]
            elif "enterprise" in name:
                choices[name] = [enterprise_id]
            elif "contest" in name and contest_id is not None:
                choices[name] = [contest_id]
            elif "/charts/" in rule.rule:
                choices[name] = CHARTS
            elif rule.rule.startswith("/admin/league/") and name in ("table", "name", "kind"):
                choices[name] = TABLES
            else:
                skipped.append(f"{rule.rule} (no value for <{name}>)")
                break
        else:
            names = list(choices)
            for values in itertools.product(*(choices[n] for n in names)):
                built = rule.build(dict(zip(names, values)), append_unknown=False)
                if built is None:
                    skipped.append(f"{rule.rule} (cannot build {dict(zip(names, values))})")
                    continue
                path = built[1]
                pages.append(path)
                if rule.rule.startswith("/admin/league/") and path.rsplit("/", 1)[-1].startswith("departments"):
                    pages[-1] = f"{path}?{urlencode({'enterprise': enterprise_id})}"
                elif path.endswith("/knowledge"):
                    pages.append(f"{path}?{urlencode({'enterprise': enterprise_id})}")
    return pages, skipped


# ---------------------------------------------------------------- the client side


@dataclass
class Sample:
    ms: float
    status: int
    size: int
    error: str = ""


@dataclass
class PageResult:
    path: str
    cold: list[Sample] = field(default_factory=list)
    warm: list[Sample] = field(default_factory=list)
    primed: list[Sample] = field(default_factory=list)


class Organiser:
    """A logged-in organiser's browser: its cookies. Every request on a new connection, so
    that the kernel hands them to all of gunicorn's workers."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def _headers(self) -> list[tuple[str, str]]:
        headers = [("User-Agent", UA), ("Accept", "text/html,*/*")]
        if self.cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        return headers

    def _keep(self, response) -> None:
        for cookie in response.cookies:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def login(self) -> None:
        conn = Connection("127.0.0.1", self.port, self.timeout, keep_alive=False)
        r = conn.request("GET", "/admin/login", self._headers())
        self._keep(r)
        found = CSRF_INPUT_RE.search(r.text)
        if r.status != 200 or not found:
            raise RuntimeError(f"login page: HTTP {r.status}")
        form = urlencode([("username", USER), ("password", PASSWORD), ("csrf_token", found.group(1))])
        conn = Connection("127.0.0.1", self.port, self.timeout, keep_alive=False)
        r = conn.request("POST", "/admin/login",
                         self._headers() + [("Content-Type", "application/x-www-form-urlencoded")],
                         form.encode())
        self._keep(r)
        if r.status not in (302, 303):
            raise RuntimeError(f"login: HTTP {r.status} {r.text[:200]!r}")

    def get(self, path: str) -> Sample:
        conn = Connection("127.0.0.1", self.port, self.timeout, keep_alive=False)
        started = time.perf_counter()
        try:
            r = conn.request("GET", path, self._headers())
        except Exception as error:  # noqa: BLE001 - every failure is counted
            conn.close()
            return Sample(1000 * (time.perf_counter() - started), 0, 0, f"{type(error).__name__}: {error}")
        ms = 1000 * (time.perf_counter() - started)
        error = "" if r.status == 200 else f"HTTP {r.status} {r.headers.get('location', '')} {r.text[:120]!r}"
        return Sample(ms, r.status, len(r.body), error)


# ---------------------------------------------------------------- orchestration


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (its schema public is dropped and "
                        "recreated when the demo must be generated); never the test database")
    parser.add_argument("--workdir", default="/tmp/safequiz-league-bench",
                        help="bench directory: the SQLite file league.db, gunicorn.log (default %(default)s)")
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="generate the demo even if it is there")
    parser.add_argument("--analyze", action="store_true",
                        help="SQLite: run a full ANALYZE first (default: drop the statistics and let "
                             "the app make its own sampled ones, as on a database that grew from empty)")
    parser.add_argument("--restarts", "-r", type=int, default=3, help="server starts = cold samples per page")
    parser.add_argument("--warm", type=int, default=20, help="measured warm requests per page")
    parser.add_argument("--page-budget", type=float, default=60,
                        help="seconds of warm measuring per page at most (then fewer samples)")
    parser.add_argument("--workers", "-w", type=int, default=(os.cpu_count() or 2) + 1,
                        help="gunicorn workers (default cores + 1, as gunicorn.conf.py sets it)")
    parser.add_argument("--worker-class", "-k", default=PRODUCTION_WORKER,
                        help=f"gunicorn worker class (default {PRODUCTION_WORKER}, as in production)")
    parser.add_argument("--gunicorn-args", default="", help='more gunicorn options, e.g. "--timeout 120"')
    parser.add_argument("--redis", action="store_true", help="REDIS_URL for the server: shared results cache")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--match", help="only pages whose path matches this regular expression")
    parser.add_argument("--port", "-p", type=int, default=0, help="default: a free port")
    parser.add_argument("--timeout", type=float, default=300, help="client socket timeout, seconds")
    return parser.parse_args(argv)


def flush_results_cache(redis_url: str, database_uri: str) -> int:
    """Drop this database's cached results in Redis (only keys under its namespace)."""
    import redis

    namespace = "safequiz:results:" + hashlib.sha1(database_uri.encode()).hexdigest()[:12]
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])
    return len(keys)


def summary(samples: list[Sample]) -> list[float]:
    return sorted(s.ms for s in samples)


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from quiz.config import database_url

    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db_file = workdir / "league.db"
    url = args.database_url or f"sqlite:///{db_file}"
    python = sys.executable
    port = args.port or free_port()
    env = dict(os.environ)
    env.update(SECRET_KEY=SECRET_KEY, SAFEQUIZ_INSTANCE=str(workdir), DATABASE_URL=url,
               PYTHONUNBUFFERED="1", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    env.pop("FLASK_DEBUG", None)
    env.pop("REDIS_URL", None)
    if args.redis:
        env["REDIS_URL"] = args.redis_url
    kind = "postgresql" if args.database_url else "sqlite"
    gunicorn_log = workdir / "gunicorn.log"
    proc = None
    status = 2
    sizes = [str(args.enterprises), str(args.participants), str(args.regions), str(args.questions)]

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        # 1. the bench database, reused when it holds the demo of this size
        if args.database_url:
            if database_url(args.database_url).rsplit("/", 1)[-1].split("?")[0] == "test":
                log("refusing to use the database 'test' (it belongs to make test); use e.g. …/safequiz_bench")
                return 2
            ensure_pg_database(args.database_url)
        run_step(env, python, "-m", "flask", "--app", "app", "db", "upgrade")
        plan = json.loads(run_step(env, python, __file__, "_plan", *sizes).strip().splitlines()[-1])
        if args.regenerate or not plan["ok"]:
            log(f"generating the demo campaign ({plan.get('reason', '--regenerate')})")
            if args.database_url:
                reset_pg(args.database_url)
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            run_step(env, python, "-m", "flask", "--app", "app", "db", "upgrade")
            run_step(env, python, "-m", "flask", "--app", "app", "demo", "big",
                     "--enterprises", str(args.enterprises), "--regions", str(args.regions),
                     "--participants", str(args.participants), "--questions", str(args.questions),
                     "--seed", str(args.seed), stream=True)
            plan = json.loads(run_step(env, python, __file__, "_plan", *sizes).strip().splitlines()[-1])
            if not plan["ok"]:
                raise RuntimeError(f"the generated database does not hold the demo: {plan['reason']}")
        run_step(env, python, "-m", "flask", "--app", "app", "user", "create", USER, "--password", PASSWORD)
        statistics_line = run_step(env, python, __file__, "_stats", str(int(args.analyze))).strip()
        log(f"database: {kind} ({url}): {plan['campaign']}, {plan['enterprises']} enterprises, "
            f"{plan['participants']} participants, {plan['attempts']} attempts, {plan['answers']} answers")
        log(statistics_line)
        pages = plan["pages"]
        if args.match:
            pages = [p for p in pages if re.search(args.match, p)]
        for line in plan["skipped"]:
            log(f"  skipped: {line}")
        log(f"pages: {len(pages)} (departments and knowledge for {plan['enterprise']})")
        for path in pages:
            log(f"  {path}")
        if not pages:
            log("no league or report page found")
            print("pages=0 cold_p95_ms=nan warm_p95_ms=nan", flush=True)
            return 2
        results = {path: PageResult(path) for path in pages}

        # 2. gunicorn as in production, started R times
        command = [python, "-m", "gunicorn", "-k", args.worker_class, "-w", str(args.workers),
                   "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10", "app:create_app()"]
        if args.gunicorn_args:
            command[-1:-1] = shlex.split(args.gunicorn_args)
        organiser = Organiser(port, args.timeout)
        gunicorn_log.write_text("")
        load_before = os.getloadavg()
        for restart in range(args.restarts):
            if args.redis:
                flushed = flush_results_cache(args.redis_url, database_url(url))
                log(f"redis: {flushed} cached results of this database flushed")
            with open(gunicorn_log, "a") as out:
                proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            wait_healthy(port, proc)
            wait_booted(proc)
            if not organiser.cookies:
                organiser.login()
            # 3. cold: each page's first request since the start
            began = time.perf_counter()
            for path in pages:
                results[path].cold.append(organiser.get(path))
            log(f"start {restart + 1}/{args.restarts}: cold pass of {len(pages)} pages in "
                f"{time.perf_counter() - began:.1f}s (gunicorn pid {proc.pid}, {args.workers} "
                f"{args.worker_class} workers{', Redis' if args.redis else ''})")
            if restart < args.restarts - 1:
                stop(proc)
                proc = None

        # 4. warm: prime every worker, then measure
        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            for path in pages:
                result = results[path]
                if all(sample.error for sample in result.cold):
                    log(f"warm: {path} skipped, every cold request failed")
                    continue
                for _wave in range(3):
                    result.primed += list(pool.map(organiser.get, [path] * args.workers))
                deadline = time.perf_counter() + args.page_budget
                for _ in range(args.warm):
                    result.warm.append(organiser.get(path))
                    if time.perf_counter() > deadline:
                        break
        measured = sum(1 for r in results.values() if r.warm)
        log(f"warm: {measured} pages primed ({3 * args.workers} requests each) and measured "
            f"in {time.perf_counter() - began:.1f}s")
        stop(proc)
        proc = None
        load_after = os.getloadavg()

        # 5. the numbers
        width = max(len(p) for p in pages)
        log(f"{'page':{width}s}  cold_med_ms  warm_p50_ms  warm_p95_ms      bytes  n_warm")
        cold_all, warm_all, errors = [], [], []
        for path in pages:
            result = results[path]
            cold, warm = summary(result.cold), summary(result.warm)
            cold_all += cold
            warm_all += warm
            size = max((s.size for s in result.cold + result.warm), default=0)
            cold_ms = statistics.median(cold) if cold else float("nan")
            log(f"{path:{width}s}  {cold_ms:11.1f}  {percentile(warm, 50):11.1f}  "
                f"{percentile(warm, 95):11.1f}  {size:9d}  {len(warm):6d}")
            for sample in result.cold + result.primed + result.warm:
                if sample.error:
                    errors.append(f"{path}: {sample.error}")
        cold_all.sort()
        warm_all.sort()
        log(f"load average: {load_before[0]:.2f} before, {load_after[0]:.2f} after (2 cores; "
            "other processes make the numbers noisy)")
        if errors:
            log(f"errors: {len(errors)} failed requests")
            for line in sorted(set(errors))[:10]:
                log(f"  {line}")
        print(f"pages={len(pages)} cold_p95_ms={percentile(cold_all, 95):.1f} "
              f"warm_p95_ms={percentile(warm_all, 95):.1f}", flush=True)
        status = 1 if errors else 0
        return status
    except Exception as error:  # noqa: BLE001 - report and stop the server
        log(f"benchmark failed: {type(error).__name__}: {error}")
        log_tail(gunicorn_log)
        return 2
    finally:
        stop(proc)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):  # an internal step (app side)
        run_internal_step({
            "_plan": lambda *sizes: step_plan(*(int(x) for x in sizes)),
            "_stats": lambda analyze: step_stats(int(analyze)),
        })
    sys.exit(main())
