#!/usr/bin/env python
"""Load benchmark of the participant flow: N people take one contest at the same time.

    .venv/bin/python bench/contest_load.py --participants 500
    .venv/bin/python bench/contest_load.py --participants 500 \
        --database-url postgresql://postgres@127.0.0.1:5432/safequiz_bench

1. prepares a fresh database (a new SQLite file in a temporary bench directory, or the
   given PostgreSQL database after DROP/CREATE SCHEMA public), runs ``flask db upgrade``
   and ``flask setup`` and creates a 20-question contest open to all enterprises;
2. starts gunicorn as in production (``-k gevent -w W``) and waits for /healthz;
3. hammers GET /healthz with N connections (the bare baseline), half of the requests now
   and half after step 4: hello_rps is both halves together, so that a machine that speeds
   up or slows down during the run weighs on both sides of rps/hello_rps alike;
4. runs N simulated phones at once (one gevent greenlet and one keep-alive connection
   each; all released at once, or over ``--arrive`` seconds): GET the sign-up page (the link
   in the poster's QR code), sign up, GET the first question, answer every question (htmx
   requests, each answer's response carries the next question), submit;
5. checks the database: one submitted attempt and every answer stored per participant;
6. prints one final line
   ``participants=N answers=A lost=L errors=E p50_ms=… p99_ms=… rps=… hello_rps=…``
   and exits 1 when lost or errors are not 0. gunicorn is always stopped.

See bench/README.md for what the numbers mean. Only the standard library, gevent and
gunicorn are used (all in requirements.txt).
"""
from __future__ import annotations

import sys

# Internal steps ("_contest", "_verify", "_reset_pg") run in a child process inside the
# app's own environment; only the load driver itself is a gevent program.
INTERNAL = len(sys.argv) > 1 and sys.argv[1].startswith("_")
if not INTERNAL:
    from gevent import monkey

    monkey.patch_all()

import argparse
import dataclasses
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

# After the patching above: the shared client's sockets are gevent sockets.
from common import (
    ATTEMPT_RE,
    CSRF_RE,
    OPTION_RE,
    PRODUCTION_WORKER,
    ROOT,
    SECRET_KEY,
    Connection,
    Response,
    client_cpu,
    free_port,
    log,
    log_tail,
    machine_busy,
    named_cpu,
    percentile,
    reset_pg,
    run_internal_step,
    run_step,
    server_cpu,
    server_rss_mb,
    stop,
    tracebacks,
    wait_healthy,
)


# ---------------------------------------------------------------- internal steps (app side)


ROSTER_UNITS = 500  # --roster N: the people are spread over this many enterprises


def roster_person(i: int) -> tuple[str, str, str]:
    """(name, 工号, phone) of roster person i: what phone i types in 名单 mode."""
    return f"职工{i:06d}", f"G{i:06d}", f"1{3 + i % 7}{i:09d}"


def step_roster(people: int) -> None:
    """``people`` roster people spread over ROSTER_UNITS new enterprises (round-robin), each
    enterprise with three departments; inserted with Core executemany (100 000 rows in seconds)."""
    from sqlalchemy import insert

    from app import create_app
    from quiz import clock
    from quiz.extensions import db
    from quiz.models import Department, Enterprise, RosterPerson

    app = create_app()
    with app.app_context():
        now = clock.now()
        units = []
        for u in range(ROSTER_UNITS):
            unit = Enterprise(name=f"压测单位{u:03d}", code=f"RB{u:03d}", headcount=0,
                              region=f"第{u % 12 + 1}街道", industry="其他", active=True)
            db.session.add(unit)
            units.append(unit)
        db.session.flush()
        db.session.execute(insert(Department.__table__), [
            dict(enterprise_id=unit.id, name=f"第{d}车间", headcount=0) for unit in units for d in (1, 2, 3)
        ])
        rows = []
        for i in range(people):
            name, staff_no, phone = roster_person(i)
            rows.append(dict(enterprise_id=units[i % ROSTER_UNITS].id, name=name, staff_no=staff_no,
                             phone=phone, department=f"第{i % 3 + 1}车间", active=True,
                             created_at=now, updated_at=now))
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(RosterPerson.__table__), rows[start:start + 10_000])
        db.session.commit()


def step_contest(questions: int, minutes: int, identity: str = "open") -> None:
    """The benchmark contest: drawn from every category, open now, open to all enterprises,
    with the given identity mode (开放 / 名单 / 名单优先)."""
    from datetime import timedelta

    from sqlalchemy import select

    from app import create_app
    from quiz import clock
    from quiz.contests.rules import ContestDraft, create_contest
    from quiz.extensions import db
    from quiz.models import Campaign, Category, Enterprise

    app = create_app()
    with app.app_context():
        now = clock.now()
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        wanted = dict(
            campaign_id=campaign.id,
            title="压力测试竞赛",
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
            question_count=questions,
            time_limit_seconds=minutes * 60,
            category_ids=list(db.session.scalars(select(Category.id))),
            open_to_all=True,
            enterprise_ids=[],
        )
        # Only the fields this version of the app knows (the draft grows new options).
        known = {f.name for f in dataclasses.fields(ContestDraft)}
        missing = [f.name for f in dataclasses.fields(ContestDraft)
                   if f.name not in wanted and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise SystemExit(f"ContestDraft needs fields the benchmark does not set: {missing}")
        draft = ContestDraft(**{k: v for k, v in wanted.items() if k in known})
        contest = create_contest(draft, now)
        contest.identity_mode = identity
        db.session.commit()
        enterprises = list(
            db.session.scalars(
                select(Enterprise.id).where(Enterprise.active.is_(True)).order_by(Enterprise.id)
            )
        )
        print(json.dumps({"code": contest.code, "id": contest.id, "enterprises": enterprises}))


def step_verify(code: str) -> None:
    """Per participant identifier: attempts, submitted attempts, answered rows."""
    from sqlalchemy import func, select

    from app import create_app
    from quiz.extensions import db
    from quiz.models import Attempt, AttemptQuestion, Contest, Participant

    app = create_app()
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.code == code))
        answered = (
            select(
                AttemptQuestion.attempt_id.label("attempt_id"),
                func.count(AttemptQuestion.id).label("answered"),
            )
            .where(AttemptQuestion.chosen.is_not(None))
            .group_by(AttemptQuestion.attempt_id)
            .subquery()
        )
        rows = db.session.execute(
            select(
                Participant.identifier,
                Attempt.id,
                Attempt.submitted_at.is_not(None),
                func.coalesce(answered.c.answered, 0),
            )
            .select_from(Participant)
            .outerjoin(
                Attempt,
                (Attempt.participant_id == Participant.id) & (Attempt.contest_id == contest.id),
            )
            .outerjoin(answered, answered.c.attempt_id == Attempt.id)
        ).all()
        result: dict[str, dict[str, int]] = {}
        for identifier, attempt_id, submitted, count in rows:
            entry = result.setdefault(identifier, {"attempts": 0, "submitted": 0, "answered": 0})
            if attempt_id is not None:
                entry["attempts"] += 1
                entry["submitted"] += int(bool(submitted))
                entry["answered"] += int(count)
        print(json.dumps({"participants": result}))


# ---------------------------------------------------------------- the simulated phones

POSITION_RE = re.compile(r'name="position" value="(\d+)"')
COUNT_RE = re.compile(r"第 (\d+)/(\d+) 题")
UA = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0 SafeQuizBench"


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.acked: dict[str, int] = {}
        self.finished = 0
        self.retries = 0

    def error(self, what: str) -> None:
        if len(self.errors) < 10_000:
            self.errors.append(what)


class Phone:
    """One participant's browser: a cookie jar, the CSRF token and one connection."""

    def __init__(self, host: str, port: int, stats: Stats, timeout: float, keep_alive: bool = True):
        self.conn = Connection(host, port, timeout, keep_alive)
        self.cookies: dict[str, str] = {}
        self.stats = stats
        self.token = ""

    def call(self, kind: str, method: str, path: str, form=None, htmx: bool = False) -> Response | None:
        headers = [("User-Agent", UA), ("Accept", "text/html")]
        if self.cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        body = b""
        if htmx:
            headers += [("HX-Request", "true"), ("HX-Target", "quiz")]
            if self.token:
                headers.append(("X-CSRFToken", self.token))
        if form is not None:
            body = urlencode(form).encode()
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        started = time.perf_counter()
        try:
            response = self.conn.request(method, path, headers, body)
        except Exception as error:  # noqa: BLE001 - every failure is counted
            self.stats.latency[kind].append(time.perf_counter() - started)
            self.stats.error(f"{kind}: {type(error).__name__}: {error}")
            self.conn.close()
            return None
        self.stats.latency[kind].append(time.perf_counter() - started)
        for cookie in response.cookies:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def expect(self, response: Response | None, kind: str, statuses: tuple[int, ...]) -> bool:
        if response is None:
            return False
        if response.status not in statuses:
            self.stats.error(f"{kind}: HTTP {response.status}: {response.text[:200]!r}")
            return False
        return True


def parse_question(html: str) -> tuple[int, int, bool, list[str]] | None:
    position, count = POSITION_RE.search(html), COUNT_RE.search(html)
    options = OPTION_RE.findall(html)
    if not (position and count and options):
        return None
    multi = options[0][0] == "checkbox" or "多选" in html[count.start():count.end() + 40]
    return int(position.group(1)), int(count.group(2)), multi, [letter for _, letter in options]


def think(args, rng: random.Random) -> None:
    """A person reading and tapping (only with --think)."""
    if args.think:
        time.sleep(rng.uniform(0, 2 * args.think / 1000))


def participant(i: int, args, code: str, enterprises: list[int], stats: Stats, start) -> None:
    rng = random.Random(args.seed * 1_000_003 + i)
    phone = Phone("127.0.0.1", args.port, stats, args.timeout, not args.no_keepalive)
    identifier = f"1{3 + i % 7}{i:09d}"  # 11 digits, 13x–19x, unique per participant
    name, department = f"测试{i:04d}", f"第{i % 9 + 1}车间"
    if args.roster:
        # Phone i is roster person i (spread over the roster's enterprises like the people).
        person = (i * 7919) % args.roster  # not the first N rows only
        name, identifier, _phone = roster_person(person)
        i_unit = person % ROSTER_UNITS
        department = f"第{person % 3 + 1}车间"
    else:
        i_unit = i % len(enterprises)
    stats.acked[identifier] = 0
    start.wait()
    if args.arrive:
        time.sleep(rng.uniform(0, args.arrive))  # people scan the poster one after another
    try:
        # The page the poster's QR code opens: the sign-up form.
        r = phone.call("signup", "GET", f"/j/{code}")
        if not phone.expect(r, "signup", (200,)):
            return
        found = CSRF_RE.search(r.text)
        if not found:
            stats.error("signup: no CSRF token in the page")
            return
        phone.token = found.group(1)
        think(args, rng)
        form = [
            ("csrf_token", phone.token),
            ("name", name),
            ("identifier", identifier),
            ("enterprise", str(enterprises[i_unit])),
            ("department", department),
        ]
        r = phone.call("join", "POST", f"/j/{code}", form, htmx=True)
        if not phone.expect(r, "join", (204, 303)):
            return
        location = r.headers.get("hx-redirect") or r.headers.get("location", "")
        found = ATTEMPT_RE.search(location)
        if not found:
            stats.error(f"join: no attempt in redirect {location!r}")
            return
        attempt = found.group(1)
        r = phone.call("quiz", "GET", f"/a/{attempt}")
        if not phone.expect(r, "quiz", (200,)):
            return
        question = parse_question(r.text)
        while question is not None:
            position, count, multi, letters = question
            chosen = sorted(rng.sample(letters, 2 if multi else 1))
            go = position + 1 if position < count else 0
            form = [("csrf_token", phone.token), ("position", str(position))]
            form += [("choice", c) for c in chosen] + [("go", str(go))]
            think(args, rng)
            r = phone.call("answer", "POST", f"/a/{attempt}/answer", form, htmx=True)
            if phone.expect(r, "answer", (200,)):
                if 'class="message error"' in r.text:
                    stats.error(f"answer: refused: {r.text[:200]!r}")
                else:
                    stats.acked[identifier] += 1
                    if go == 0:
                        break
                    question = parse_question(r.text)
                    if question is not None and question[0] == go:
                        continue
                    stats.error(f"answer: response is not question {go}")
            if go == 0:
                break
            # Lost the thread (error above): open the next question as a page, as a person would.
            r = phone.call("quiz", "GET", f"/a/{attempt}?q={go}")
            if not phone.expect(r, "quiz", (200,)):
                return
            question = parse_question(r.text)
        else:
            stats.error("quiz: no question on the page")
        think(args, rng)
        r = phone.call("submit", "POST", f"/a/{attempt}/submit", [("csrf_token", phone.token)], htmx=True)
        if not phone.expect(r, "submit", (204, 303)):
            return
        if args.with_result:
            r = phone.call("result", "GET", f"/a/{attempt}/result")
            phone.expect(r, "result", (200,))
        stats.finished += 1
    finally:
        stats.retries += phone.conn.retries
        phone.conn.close()


def hammer_healthz(args, total: int, stats: Stats, start):
    """N connections send GET /healthz back to back until ``total`` requests are done."""
    import gevent

    remaining = [total]
    latencies: list[float] = []

    def worker() -> None:
        conn = Connection("127.0.0.1", args.port, args.timeout, not args.no_keepalive)
        start.wait()
        while remaining[0] > 0:
            remaining[0] -= 1
            t0 = time.perf_counter()
            try:
                r = conn.request("GET", "/healthz", [("User-Agent", UA)])
                if r.status != 200 or r.body != b"ok":
                    stats.error(f"healthz: HTTP {r.status}")
            except Exception as error:  # noqa: BLE001
                stats.error(f"healthz: {type(error).__name__}: {error}")
                conn.close()
            latencies.append(time.perf_counter() - t0)
        stats.retries += conn.retries
        conn.close()

    greenlets = [gevent.spawn(worker) for _ in range(args.participants)]
    gevent.sleep(0.2)
    return greenlets, latencies


def hello_phase(args, total: int, proc, stats: Stats) -> tuple[int, float, list[float]]:
    """One timed run of ``hammer_healthz``: (requests, seconds, latencies); logs its CPU."""
    import gevent
    from gevent.event import Event

    start = Event()
    greenlets, latencies = hammer_healthz(args, total, stats, start)
    client, server, busy = client_cpu(), server_cpu(proc.pid), machine_busy()
    began = time.perf_counter()
    start.set()
    gevent.joinall(greenlets, raise_error=False)
    wall = time.perf_counter() - began
    client, server = client_cpu() - client, server_cpu(proc.pid) - server
    other = max(machine_busy() - busy - client - server, 0)
    log(f"  {len(latencies)} GET /healthz in {wall:.2f}s = {len(latencies) / wall:.0f} req/s; cpu client "
        f"{client:.1f}s ({100 * client / wall:.0f}%), gunicorn {server:.1f}s ({100 * server / wall:.0f}%), "
        f"other {other:.1f}s ({100 * other / wall:.0f}%)")
    return len(latencies), wall, latencies


# ---------------------------------------------------------------- orchestration


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", "-n", type=int, required=True,
                        help="simulated phones, all starting at once")
    parser.add_argument("--database-url", help="PostgreSQL URL; its schema public is dropped and recreated")
    parser.add_argument("--workers", "-w", type=int, default=(os.cpu_count() or 2) + 1,
                        help="gunicorn workers (default cores + 1, as gunicorn.conf.py sets it)")
    parser.add_argument("--worker-class", "-k", default=PRODUCTION_WORKER,
                        help=f"gunicorn worker class (default {PRODUCTION_WORKER}, as gunicorn.conf.py sets it; "
                             "gevent is gunicorn's own)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (for -k gthread)")
    parser.add_argument("--gunicorn-args", default="",
                        help='more gunicorn options, e.g. "--keep-alive 75"')
    parser.add_argument("--port", "-p", type=int, default=0, help="default: a free port")
    parser.add_argument("--questions", type=int, default=20, help="questions in the contest (default 20)")
    parser.add_argument("--time-limit", type=int, default=60, help="minutes (default 60)")
    parser.add_argument("--hello-requests", type=int, default=0,
                        help="GET /healthz requests for hello_rps, half before and half after the participants "
                             "(default: as many as the participant phase makes, at least 10000)")
    parser.add_argument("--think", type=float, default=0,
                        help="mean pause in ms (uniform 0..2x) before signing up, each answer and submitting "
                             "(default 0: everyone as fast as possible)")
    parser.add_argument("--arrive", type=float, default=0,
                        help="seconds over which the phones open the sign-up page, uniformly (default 0: all "
                             "in the same instant, as a closed loop); with --think, a hall as people fill it")
    parser.add_argument("--no-keepalive", action="store_true",
                        help="a new connection for every request (like a reverse proxy without upstream keep-alive)")
    parser.add_argument("--roster", type=int, default=0,
                        help=f"a staff roster of this many people spread over {ROSTER_UNITS} new enterprises; "
                             "the phones sign up as roster people (default 0: no roster, invented identities)")
    parser.add_argument("--identity", choices=("open", "roster", "roster_first"), default=None,
                        help="the contest's identity mode (default: roster with --roster, else open)")
    parser.add_argument("--via-nginx", action="store_true",
                        help="start nginx (bench/nginx.py: keep-alive upstream, as in production) in front of "
                             "gunicorn and send every request through it; gunicorn gets TRUSTED_PROXY_HOPS=1")
    parser.add_argument("--nginx-workers", default="1",
                        help="with --via-nginx: nginx worker_processes (default 1; \"auto\" = one per core)")
    parser.add_argument("--with-result", action="store_true", help="also GET the result page after submitting")
    parser.add_argument("--app", default="app:create_app()", help="the WSGI app gunicorn serves")
    parser.add_argument("--profile", action="store_true",
                        help="serve bench/profiled_app.py and print where the server's time goes")
    parser.add_argument("--cprofile", action="store_true",
                        help="with --profile: also cProfile every request (slower; SQLite only)")
    parser.add_argument("--workdir", help="bench directory (default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the bench directory (database, gunicorn log)")
    parser.add_argument("--timeout", type=float, default=120, help="client socket timeout, seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the answers the phones pick")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    import gevent
    from gevent.event import Event

    args = parse_args(argv)
    n = args.participants
    if args.roster and args.roster < n:
        raise SystemExit("--roster must be at least --participants (each phone is one roster person)")
    if args.cprofile:
        args.profile = True
    if args.profile:
        args.app = "bench.profiled_app:create()"
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="safequiz-bench-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    args.port = args.port or free_port()
    python = sys.executable
    env = dict(os.environ)
    env.update(
        SECRET_KEY=SECRET_KEY,
        SAFEQUIZ_INSTANCE=str(workdir),
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'safequiz.db'}",
        PYTHONUNBUFFERED="1",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{args.port}",  # required to serve (quiz/hosts.py)
    )
    if args.cprofile:
        env["BENCH_CPROFILE"] = "1"
    # Every simulated phone comes from this one address: the per-address limit still counts
    # each sign-up (its cost is measured) but lets thousands in a minute through.
    env.setdefault("RATELIMIT_SIGNUP_PER_ADDRESS", "1000000 per minute")
    if not args.think:
        # Without pauses a phone answers faster than any person (20 answers in well under a
        # second); the per-attempt limit still counts each answer, so its cost is measured.
        env.setdefault("RATELIMIT_ANSWER_PER_ATTEMPT", "1000 per second")
    env.pop("FLASK_DEBUG", None)
    if args.via_nginx:
        env["TRUSTED_PROXY_HOPS"] = "1"
    kind = "postgresql" if args.database_url else "sqlite"
    proc = None
    proxy = None
    gunicorn_log = workdir / "gunicorn.log"
    status = 2

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        # 1. a fresh database with the bank, the demo enterprises and the benchmark contest
        t0 = time.perf_counter()
        if args.database_url:
            run_step(env, python, __file__, "_reset_pg", args.database_url)
        elif (workdir / "safequiz.db").exists():
            for suffix in ("", "-wal", "-shm"):
                (workdir / f"safequiz.db{suffix}").unlink(missing_ok=True)
        run_step(env, python, "-m", "flask", "--app", "app", "db", "upgrade")
        run_step(env, python, "-m", "flask", "--app", "app", "setup")
        if args.roster:
            run_step(env, python, __file__, "_roster", str(args.roster))
        identity = args.identity or ("roster" if args.roster else "open")
        contest = json.loads(
            run_step(env, python, __file__, "_contest", str(args.questions), str(args.time_limit), identity)
            .strip().splitlines()[-1]
        )
        code = contest["code"]
        log(f"database: {kind} ({env['DATABASE_URL']}), prepared in {time.perf_counter() - t0:.1f}s")
        units = contest["enterprises"]
        if args.roster:  # the roster's enterprises follow the demo ones
            contest["enterprises"] = units = units[-ROSTER_UNITS:]
        log(f"contest: {code} ({args.questions} questions, {args.time_limit} min, identity {identity}), "
            f"{len(units)} enterprises" + (f", roster of {args.roster} people" if args.roster else ""))

        # 2. gunicorn as in production
        command = [
            python, "-m", "gunicorn", "-k", args.worker_class, "-w", str(args.workers),
            "-b", f"127.0.0.1:{args.port}", "--graceful-timeout", "10", args.app,
        ]
        if args.threads > 1:
            command[-1:-1] = ["--threads", str(args.threads)]
        if args.gunicorn_args:
            command[-1:-1] = shlex.split(args.gunicorn_args)
        with open(gunicorn_log, "w") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_healthy(args.port, proc)
        log(f"gunicorn: pid {proc.pid}, {args.workers} {args.worker_class} workers on 127.0.0.1:{args.port}")
        if args.via_nginx:
            from nginx import Nginx

            nginx_port = free_port()
            proxy = Nginx(workdir / "nginx", nginx_port, {"app": args.port}, args.nginx_workers,
                          read_timeout=args.timeout)
            args.port = nginx_port  # every phone (and the hello baseline) goes through nginx
            log(f"nginx: {args.nginx_workers} worker(s) on 127.0.0.1:{nginx_port} in front of gunicorn "
                "(upstream keep-alive)")
        # Every worker compiles its templates once; do that before the clock starts.
        warm = Stats()
        for _ in range(2 * args.workers):
            phone = Phone("127.0.0.1", args.port, warm, args.timeout)
            phone.call("warm", "GET", "/")
            phone.call("warm", "GET", f"/j/{code}")
            phone.conn.close()

        # 3. the bare baseline, first half
        hello_total = args.hello_requests or max(n * (args.questions + 4), 10_000)
        hello_stats = Stats()
        log("hello, before the participants:")
        hello_before = hello_phase(args, hello_total // 2, proc, hello_stats)

        # 4. N participants at once
        stats = Stats()
        start = Event()
        greenlets = [
            gevent.spawn(participant, i, args, code, contest["enterprises"], stats, start)
            for i in range(n)
        ]
        gevent.sleep(0.2)  # every greenlet is waiting at the start line
        rss_peak = [server_rss_mb(proc.pid)]

        def sample_rss() -> None:  # the server's resident size, once a second
            while True:
                gevent.sleep(1)
                rss_peak[0] = max(rss_peak[0], server_rss_mb(proc.pid))

        sampler = gevent.spawn(sample_rss)
        cpu_client, cpu_server, busy = client_cpu(), server_cpu(proc.pid), machine_busy()
        cpu_pg = named_cpu(("postgres",))
        began = time.perf_counter()
        start.set()
        gevent.joinall(greenlets, raise_error=False)
        wall = time.perf_counter() - began
        sampler.kill()
        log(f"memory: gunicorn master and {args.workers} workers resident at most {rss_peak[0]:.0f} MB "
            "(sampled once a second during the participant phase)")
        cpu_client = client_cpu() - cpu_client
        cpu_server = server_cpu(proc.pid) - cpu_server
        cpu_pg = named_cpu(("postgres",)) - cpu_pg
        cpu_other = machine_busy() - busy - cpu_client - cpu_server - cpu_pg
        crashed = [g for g in greenlets if g.exception is not None]
        for g in crashed:
            stats.error(f"client: {type(g.exception).__name__}: {g.exception}")
        all_latencies = sorted(x for values in stats.latency.values() for x in values)
        requests = len(all_latencies)
        rps = requests / wall
        participant_errors = len(stats.errors)
        log(f"participants: {stats.finished}/{n} finished, {requests} requests in {wall:.2f}s "
            f"= {rps:.0f} req/s, {participant_errors} errors, {stats.retries} keep-alive resends")
        log(f"cpu (participant phase): client {cpu_client:.1f}s ({100 * cpu_client / wall:.0f}% of a core), "
            f"gunicorn {cpu_server:.1f}s ({100 * cpu_server / wall:.0f}%), "
            + (f"postgres {cpu_pg:.1f}s ({100 * cpu_pg / wall:.0f}%), " if cpu_pg > 0.05 else "")
            + f"other processes {max(cpu_other, 0):.1f}s ({100 * max(cpu_other, 0) / wall:.0f}%); "
            f"{os.cpu_count()} cores = {100 * (os.cpu_count() or 1)}%")
        if requests and not (args.think or args.arrive):
            # Little's law: N phones that each keep one request in flight wait N / rps on average.
            log(f"closed loop: while all {n} phones have a request in flight the mean latency is "
                f"{n} / rps = {1000 * n / rps:.0f} ms (measured mean {1000 * statistics.fmean(all_latencies):.0f} ms: "
                "fewer are in flight once the first phones are done)")
        for name in ("signup", "join", "quiz", "answer", "submit", "result"):
            values = sorted(stats.latency.get(name, []))
            if values:
                log(f"  {name:7s} n={len(values):6d}  p50={1000 * percentile(values, 50):7.1f}ms  "
                    f"p90={1000 * percentile(values, 90):7.1f}ms  p99={1000 * percentile(values, 99):7.1f}ms  "
                    f"max={1000 * values[-1]:7.1f}ms  mean={1000 * statistics.fmean(values):6.1f}ms")
        if stats.errors:
            counts: dict[str, int] = defaultdict(int)
            for e in stats.errors:
                counts[e[:160]] += 1
            for e, c in sorted(counts.items(), key=lambda kv: -kv[1])[:10]:
                log(f"  error x{c}: {e}")

        # 3. the bare baseline, second half
        log("hello, after the participants:")
        hello_after = hello_phase(args, hello_total - hello_total // 2, proc, hello_stats)
        hello_count, hello_wall = hello_before[0] + hello_after[0], hello_before[1] + hello_after[1]
        hello_rps = hello_count / hello_wall
        hello_lat = sorted(hello_before[2] + hello_after[2])
        log(f"hello: {hello_count} GET /healthz in {hello_wall:.2f}s = {hello_rps:.0f} req/s, "
            f"p50={1000 * percentile(hello_lat, 50):.1f}ms p99={1000 * percentile(hello_lat, 99):.1f}ms "
            f"mean={1000 * statistics.fmean(hello_lat or [float('nan')]):.1f}ms, "
            f"{len(hello_stats.errors)} errors")
        for e in hello_stats.errors[:5]:
            log(f"  hello error: {e}")

        stop(proc)
        problems, kinds = tracebacks(gunicorn_log)
        if problems:
            log(f"gunicorn log: {problems} tracebacks ({gunicorn_log}):")
            for line, count in kinds.most_common(5):
                log(f"  x{count}: {line}")
        if args.profile:
            from profiled_app import summarise

            for line in summarise(workdir):
                log(line)

        # 5. what the database holds
        stored = json.loads(run_step(env, python, __file__, "_verify", code).strip().splitlines()[-1])
        people = stored["participants"]
        expected = n * args.questions
        answers = sum(p["answered"] for p in people.values())
        bad = {
            ident: people.get(ident)
            for ident in stats.acked
            if (people.get(ident) or {}) != {"attempts": 1, "submitted": 1, "answered": args.questions}
        }
        acked_not_stored = sum(
            max(0, acked - (people.get(ident) or {}).get("answered", 0))
            for ident, acked in stats.acked.items()
        )
        lost = expected - answers
        log(f"database: {len(people)} participants, {answers}/{expected} answers stored, "
            f"{len(bad)} participants not complete, {acked_not_stored} acknowledged answers not stored")
        for ident, entry in list(bad.items())[:5]:
            log(f"  {ident}: {entry}")
        errors = participant_errors + len(hello_stats.errors)
        p50 = 1000 * percentile(all_latencies, 50)
        p99 = 1000 * percentile(all_latencies, 99)
        print(
            f"participants={n} answers={answers} lost={lost} errors={errors} "
            f"p50_ms={p50:.1f} p99_ms={p99:.1f} rps={rps:.1f} hello_rps={hello_rps:.1f}",
            flush=True,
        )
        status = 1 if (lost or errors) else 0
        return status
    except Exception as error:  # noqa: BLE001 - report and stop the server
        log(f"benchmark failed: {type(error).__name__}: {error}")
        log_tail(gunicorn_log)
        return 2
    finally:
        stop(proc)
        if proxy is not None:
            proxy.stop()
        if args.keep or args.workdir or status != 0:
            # stderr: the final line stays the last line of stdout
            print(f"bench directory kept: {workdir}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if INTERNAL:
        run_internal_step({
            "_reset_pg": reset_pg,
            "_contest": lambda questions, minutes, identity="open": step_contest(int(questions), int(minutes), identity),
            "_roster": lambda people: step_roster(int(people)),
            "_verify": step_verify,
        })
    sys.exit(main())
