#!/usr/bin/env python
"""Fairness benchmark of the stage contest's buzzers: N buzzer phones, a real gunicorn.

    .venv/bin/python bench/stage_buzzers.py                  # 20 buzzers, 5 questions, 5 ms apart
    .venv/bin/python bench/stage_buzzers.py --gap-ms 1 --database-url postgresql://…/safequiz_bench

1. prepares a fresh database (a new SQLite file in a temporary directory, or the given
   PostgreSQL database after DROP/CREATE SCHEMA public): ``flask db upgrade``, ``flask setup``,
   a host account, a stage contest with N teams;
2. starts gunicorn as in production (``-k gevent``, cores + 1 workers) and waits for /healthz;
3. each buzzer opens its team's link (binding the phone), reads its CSRF token and keeps its
   event stream (SSE) open, as a phone does; each keeps one more keep-alive connection for
   its presses;
4. per question the host (over HTTP) puts a 抢答 question on stage and unlocks the buzzers;
   the buzzers then press in a known random order, ``--gap-ms`` apart (the sending time is
   taken just before the request's bytes are written);
5. reads every press the server stored (its receive time) and compares the two orders.

Final line: ``buzzers=N presses=P order_agreement=…% spread_p50_ms=… spread_p99_ms=…``
order_agreement = presses whose place in the server's order equals their place in the sending
order; spread = |(receive − first receive) − (send − first send)| per press, in ms: how far the
server's receive time strays from the sending time, relative to the question's first press.
See docs/stage-contest.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from common import (
    CSRF_RE, PRODUCTION_WORKER, ROOT, SECRET_KEY, Connection, free_port, log, log_tail, percentile, reset_pg,
    run_internal_step, run_step, stop, wait_healthy,
)

HOST_USER, HOST_PASSWORD = "bench", "bench-password-1"


# ---------------------------------------------------------------- internal steps (app side)


def step_prepare(teams: str) -> None:
    from app import create_app
    from quiz.extensions import db
    from quiz.models import User
    from quiz.stagecontest import rules
    from quiz.stagecontest.routes import buzzer_token

    app = create_app()
    with app.app_context():
        host = db.session.query(User).filter_by(username=HOST_USER).one()
        contest = rules.create_contest(host.id, "压力测试·现场赛", datetime.utcnow())
        made = [rules.add_team(contest, f"第{i + 1:02d}代表队") for i in range(int(teams))]
        db.session.commit()
        with app.test_request_context():
            print(json.dumps({"contest": contest.id, "tokens": [buzzer_token(t) for t in made]}))


def step_presses(contest_id: str) -> None:
    """Every press: question seq, team position, receive time (epoch seconds), foul."""
    from sqlalchemy import select

    from app import create_app
    from quiz.extensions import db
    from quiz.models import StageItem, StagePress, StageTeam

    app = create_app()
    with app.app_context():
        rows = db.session.execute(
            select(StageItem.seq, StageTeam.position, StagePress.received_at, StagePress.foul)
            .join(StageItem, StageItem.id == StagePress.item_id).join(StageTeam, StageTeam.id == StagePress.team_id)
            .where(StageItem.contest_id == int(contest_id))).all()
        epoch = datetime(1970, 1, 1)
        print(json.dumps([[seq, pos, (at - epoch).total_seconds(), foul] for seq, pos, at, foul in rows]))


# ---------------------------------------------------------------- clients


class Client:
    def __init__(self, port: int):
        self.conn = Connection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def call(self, method: str, path: str, form=None, htmx: bool = False, stamp=None):
        headers = [("Accept", "text/html")]
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        if htmx:
            headers += [("HX-Request", "true"), ("X-CSRFToken", self.token)]
        if self.cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        if stamp is not None:
            stamp.append(time.time())  # just before the bytes are written
        response = self.conn.request(method, path, headers, body)
        for cookie in response.cookies:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def read_token(self, html: str) -> None:
        found = CSRF_RE.search(html)
        if found:
            self.token = found.group(1)


def keep_stream(port: int, path: str, cookies: dict[str, str], stop_event: threading.Event) -> None:
    """A buzzer's event stream, read and thrown away until the run ends."""
    import socket

    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
                 .encode("latin-1"))
    while not stop_event.is_set():
        try:
            if not sock.recv(65536):
                break
        except socket.timeout:
            continue
        except OSError:
            break
    sock.close()


def drive(args, port: int, contest_id: int, tokens: list[str]) -> dict[tuple[int, int], float]:
    host = Client(port)
    host.read_token(host.call("GET", "/admin/login").text)
    r = host.call("POST", "/admin/login", [("username", HOST_USER), ("password", HOST_PASSWORD),
                                           ("csrf_token", host.token)])
    if r.status != 303:
        raise SystemExit(f"host login: HTTP {r.status}")
    host.read_token(host.call("GET", f"/admin/stage/{contest_id}").text)

    buzzers = []
    for token in tokens:
        phone = Client(port)
        r = phone.call("GET", f"/stage/b/{token}")
        if r.status != 303:
            raise SystemExit(f"binding a buzzer: HTTP {r.status}")
        phone.read_token(phone.call("GET", f"/stage/b/{token}").text)
        buzzers.append(phone)
    done = threading.Event()
    streams = [threading.Thread(target=keep_stream, args=(port, f"/stage/b/{t}/events", b.cookies, done), daemon=True)
               for t, b in zip(tokens, buzzers)]
    for thread in streams:
        thread.start()
    time.sleep(1)

    rng = random.Random(args.seed)
    sent: dict[tuple[int, int], float] = {}  # (question, team position) → time sent
    for seq in range(1, args.questions + 1):
        r = host.call("POST", f"/admin/stage/{contest_id}/ask", [("segment", "buzz")], htmx=True)
        r2 = host.call("POST", f"/admin/stage/{contest_id}/control", [("action", "unlock")], htmx=True)
        if r.status != 200 or r2.status != 200:
            raise SystemExit(f"ask/unlock: HTTP {r.status}/{r2.status}: {r.text[:200]!r}")
        time.sleep(0.3)  # the unlock reaches the phones' streams
        order = list(range(len(buzzers)))
        rng.shuffle(order)
        start = time.perf_counter() + 0.05
        stamps: dict[int, list] = {i: [] for i in order}
        failures: list[str] = []

        def press(i: int, at: float) -> None:
            # Sleep, not spin: 20 spinning threads would take the cores from the server.
            if (left := at - time.perf_counter()) > 0:
                time.sleep(left)
            response = buzzers[i].call("POST", f"/stage/b/{tokens[i]}/press", htmx=True, stamp=stamps[i])
            if response.status != 200:
                failures.append(f"{response.status}")

        threads = [threading.Thread(target=press, args=(i, start + k * args.gap_ms / 1000))
                   for k, i in enumerate(order)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            log(f"question {seq}: {len(failures)} presses refused: {failures[:5]}")
        for i in order:
            sent[(seq, i + 1)] = stamps[i][0]
        host.call("POST", f"/admin/stage/{contest_id}/control", [("action", "close")], htmx=True)
    done.set()
    return sent


def report(sent: dict[tuple[int, int], float], stored: list, buzzers: int) -> str:
    received = {(seq, pos): at for seq, pos, at, foul in stored if not foul}
    agree, spreads, presses = 0, [], 0
    for seq in sorted({s for s, _ in sent}):
        keys = [k for k in sent if k[0] == seq and k in received]
        presses += len(keys)
        by_send = sorted(keys, key=lambda k: sent[k])
        by_receive = sorted(keys, key=lambda k: received[k])
        agree += sum(a == b for a, b in zip(by_send, by_receive))
        first_sent, first_received = sent[by_send[0]], received[by_receive[0]]
        spreads += [abs((received[k] - first_received) - (sent[k] - first_sent)) * 1000 for k in keys]
    spreads.sort()
    fouls = sum(1 for *_, foul in stored if foul)
    log(f"presses sent {len(sent)}, stored {len(stored)} ({fouls} fouls)")
    return (f"buzzers={buzzers} presses={presses} order_agreement={100 * agree / max(presses, 1):.1f}% "
            f"spread_p50_ms={percentile(spreads, 50):.1f} spread_p99_ms={percentile(spreads, 99):.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buzzers", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5, help="抢答 questions (default 5: 100 presses)")
    parser.add_argument("--gap-ms", type=float, default=5.0, help="ms between two buzzers' sends (default 5)")
    parser.add_argument("--workers", "-w", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--database-url", help="PostgreSQL URL; its schema public is dropped and recreated")
    parser.add_argument("--seed", type=int, default=616)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="safequiz-stage-"))
    env = dict(os.environ, SECRET_KEY=SECRET_KEY, SAFEQUIZ_INSTANCE=str(workdir), PYTHONUNBUFFERED="1",
               DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'safequiz.db'}")
    env.pop("REDIS_URL", None)
    python, port, proc = sys.executable, free_port(), None
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"  # required to serve (quiz/hosts.py)
    gunicorn_log = workdir / "gunicorn.log"
    try:
        if args.database_url:
            run_step(env, python, __file__, "_reset_pg", args.database_url)
        run_step(env, python, "-m", "flask", "--app", "app", "db", "upgrade")
        run_step(env, python, "-m", "flask", "--app", "app", "setup")
        run_step(env, python, "-m", "flask", "--app", "app", "user", "create", HOST_USER, "--password", HOST_PASSWORD)
        prepared = json.loads(run_step(env, python, __file__, "_prepare", str(args.buzzers)).strip().splitlines()[-1])
        with open(gunicorn_log, "w") as out:
            proc = subprocess.Popen([python, "-m", "gunicorn", "-k", PRODUCTION_WORKER, "-w", str(args.workers),
                                     "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "app:create_app()"],
                                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_healthy(port, proc)
        log(f"gunicorn: {args.workers} gevent workers; {args.buzzers} buzzers, {args.questions} questions, "
            f"{args.gap_ms} ms apart; database {'postgresql' if args.database_url else 'sqlite'}")
        sent = drive(args, port, prepared["contest"], prepared["tokens"])
        stop(proc)
        proc = None
        stored = json.loads(run_step(env, python, __file__, "_presses", str(prepared["contest"])).strip().splitlines()[-1])
        print(report(sent, stored, args.buzzers), flush=True)
        return 0
    except BaseException:
        log_tail(gunicorn_log, 15)
        raise
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        run_internal_step({"_reset_pg": reset_pg, "_prepare": step_prepare, "_presses": step_presses})
    sys.exit(main())
