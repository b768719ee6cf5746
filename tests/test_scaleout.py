"""Scale-out, proven end to end: nginx in front of two gunicorn masters (A and B, two loopback
ports on this machine) on one PostgreSQL database and one Redis, the same SECRET_KEY, and
PUBLIC_BASE_URL set to nginx's address.

Through nginx:
1. the phone journey: phones open a contest's join page, sign up, answer, submit and see the
   result, their requests balanced over both servers;
2. a live round: phones whose event streams are on server A see each "next" that the host
   sends through server B (pinned there by nginx); the push latency across servers is measured;
3. server A is killed (SIGKILL to its master's process group) mid-round: the phones' streams
   reconnect through nginx to B, their answers go to B, and every acknowledged answer is in
   the database; the reconnect time is measured.

The test prints one final line:
``scaleout servers=2 push_cross_p50_ms=… push_cross_p99_ms=… reconnect_ms=… answers_acked=N answers_lost=0``

It needs root (nginx's workers run as root here; `make nginx` installs it), nginx, Redis and
TEST_DATABASE_URL naming PostgreSQL; without them it is skipped with the reason. With
SAFEQUIZ_REQUIRE_SCALEOUT=1 (set by .ci/run) a missing nginx, root or Redis fails it instead;
the suite's SQLite run always skips it.
"""
from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from .conftest import make_contest, make_organiser
from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.models import Attempt, AttemptQuestion, LiveAnswer, LivePlayer, Participant, Question

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from nginx import PIN_HEADER, Nginx, nginx_binary  # noqa: E402  (bench/nginx.py)

REDIS_URL = os.environ.get("TEST_SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET_KEY = "scaleout-test-secret"
PASSWORD = "correct horse 1"
QUESTIONS = 12  # the live round's; A is killed when question KILL_AT opens
KILL_AT = 11
PHONES_ON_A = 3  # live phones whose event streams are on server A
CONTEST_PHONES = 4
STAGE_SECONDS = 10.0  # the most a phone waits for a pushed stage (generous: the machine is shared)


def _not_postgresql() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return "TEST_DATABASE_URL is not a PostgreSQL URL: two servers need one shared database server"
    return None


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "not root: the scale-out test runs nginx as root (make nginx installs it)"
    if nginx_binary() is None:
        return "nginx is not installed (make nginx: apt-get install nginx-light)"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        return f"Redis is not reachable at {REDIS_URL}: {type(error).__name__}: {error}"
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("SAFEQUIZ_REQUIRE_SCALEOUT") == "1":
        pytest.fail(f"SAFEQUIZ_REQUIRE_SCALEOUT=1 but the scale-out test cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------- the servers


class Server:
    """One gunicorn master (production worker class, 2 workers) on its own loopback port."""

    def __init__(self, name: str, env: dict, workdir: Path):
        self.name = name
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{name}.log"
        command = [
            sys.executable, "-m", "gunicorn", "-k", "quiz.serving.GeventWorker", "-w", "2",
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "1", "--timeout", "30",
            "app:create_app()",
        ]
        with open(self.log_path, "w") as out:
            # A session of its own: killing its process group kills the master and its workers.
            self.proc = subprocess.Popen(command, cwd=ROOT, env=dict(env, INSTANCE_NAME=name), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def log(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return f"--- gunicorn {self.name} (port {self.port}) ---\n" + "\n".join(text[-lines:])

    def kill(self) -> None:
        """SIGKILL to the master's process group: master and workers die at once."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass  # SIGKILL below
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers left behind, if any
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)


@pytest.fixture
def stack(app, database_uri, tmp_path, request):
    """Servers A and B behind nginx: (nginx, {"A": server, "B": server})."""
    if _not_postgresql():  # the suite's SQLite run (make test runs it again on PostgreSQL)
        pytest.skip(_not_postgresql())
    why = _why_not()
    if why:
        _skip_or_fail(why)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # the limits' counters of an earlier run (this database is the test's own)
    client.close()
    nginx_port = free_port()
    env = dict(os.environ)
    env.pop("FLASK_DEBUG", None)
    env.update(
        DATABASE_URL=database_uri,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=SECRET_KEY,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{nginx_port}",
        TRUSTED_PROXY_HOPS="1",
        SAFEQUIZ_INSTANCE=str(tmp_path / "instance"),
        LIVE_SPEED="1",
        DB_POOL_SIZE="3",  # PostgreSQL's max_connections is shared with other tests
        DB_MAX_OVERFLOW="2",
        PYTHONUNBUFFERED="1",
    )
    servers = {name: Server(name, env, tmp_path) for name in ("A", "B")}
    request.addfinalizer(lambda: [server.stop() for server in servers.values()])
    deadline = time.monotonic() + 60
    waiting = set(servers)
    while waiting:
        for name in list(waiting):
            if servers[name].proc.poll() is not None:
                pytest.fail(f"gunicorn {name} exited:\n{servers[name].log()}")
            if servers[name].healthy():
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            pytest.fail("gunicorn did not answer /healthz in time:\n"
                        + "\n".join(s.log() for s in servers.values()))
        time.sleep(0.1)
    proxy = Nginx(tmp_path / "nginx", nginx_port, {name: s.port for name, s in servers.items()})
    request.addfinalizer(proxy.stop)
    yield proxy, servers


# ---------------------------------------------------------------- clients through nginx


class Browser:
    """One browser: a cookie jar; every request through nginx on a new connection (as phones
    on a hall's Wi-Fi do), optionally pinned to one server by the test's pin header."""

    def __init__(self, port: int, pin: str | None = None):
        self.port, self.pin = port, pin
        self.cookies: dict[str, str] = {}
        self.served_by: list[str] = []

    def headers(self, extra: dict | None = None) -> dict:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.pin:
            headers[PIN_HEADER] = self.pin
        return headers

    def request(self, method: str, path: str, data=None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=STAGE_SECONDS)
        headers = self.headers(headers)
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        self.keep_cookies(response)
        self.served_by.append(response.headers.get("X-Served-By", "?"))
        return response.status, response.headers, text

    def keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status, page[:500])
        match = re.search(r'"X-CSRFToken": "([^"]+)"', page) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "no CSRF token on " + path
        return match.group(1)


class Stream:
    """A phone's event stream, read by a thread of its own: each event is queued with the
    moment it arrived, so several streams are timed independently."""

    def __init__(self, browser: Browser, path: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=STAGE_SECONDS)
        self.conn.request("GET", path, headers=browser.headers({"Accept": "text/event-stream"}))
        self.response = self.conn.getresponse()
        assert self.response.status == 200, (self.response.status, self.response.read()[:500])
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.served_by = self.response.headers.get("X-Served-By", "?")
        self.retry_ms = 3000  # EventSource's default until the stream says otherwise
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = "", []
        try:
            self.conn.sock.settimeout(None)  # idle between pushes is normal; heartbeats every 15 s
            while True:
                raw = self.response.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    if name or data:
                        self.events.put((time.perf_counter(), name, "\n".join(data)))
                    name, data = "", []
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
                elif field == "retry" and value.isdigit():
                    self.retry_ms = int(value)
        except Exception:  # noqa: BLE001 - the end of the stream, however it ends (close() included)
            pass
        self.events.put((time.perf_counter(), "eof", ""))

    def wait_for(self, marker: str, seconds: float = STAGE_SECONDS) -> tuple[float, str]:
        """(arrival time, data) of the first stage containing ``marker``; ("eof") raises EOFError."""
        deadline = time.monotonic() + seconds
        seen = []
        while True:
            try:
                at, name, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no stage with {marker} within {seconds:.0f} s (stream on {self.served_by}); "
                            f"seen: {[re.search(r'data-state=[^>]*', d).group(0)[:80] for d in seen if 'data-state' in d]}")
            if name == "eof":
                raise EOFError
            if name == "stage":
                if marker in data:
                    return at, data
                seen.append(data)

    def close(self) -> None:
        try:
            self.conn.sock and self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def open_stream_on(browser: Browser, path: str, server: str, tries: int = 20) -> Stream:
    """An event stream through nginx that nginx happened to send to ``server`` (round-robin:
    a phone's reconnect lands on either); the other ones are closed."""
    for _ in range(tries):
        stream = Stream(browser, path)
        if stream.served_by == server:
            return stream
        stream.close()
    pytest.fail(f"nginx never sent {path} to server {server} in {tries} tries")


# ---------------------------------------------------------------- the test


def contest_journey(port: int, code: str, i: int, enterprise_id: int, acked: dict) -> tuple[Browser, int]:
    """One phone takes the contest through nginx: join page, sign-up, every question, submit,
    result. Returns the browser and the attempt id; ``acked`` gets (identifier, position)."""
    phone = Browser(port)
    token = phone.token(f"/j/{code}")
    identifier = f"1390000{i:04d}"
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    status, headers, page = phone.request("POST", f"/j/{code}", data={
        "csrf_token": token, "name": f"横向{i}", "identifier": identifier,
        "enterprise": str(enterprise_id), "department": "安全科"}, headers=htmx)
    assert status in (204, 303), (status, page[:500])
    location = headers.get("HX-Redirect") or headers.get("Location", "")
    attempt = int(re.search(r"/a/(\d+)", location).group(1))
    status, _, page = phone.request("GET", f"/a/{attempt}")
    assert status == 200, (status, page[:300])
    while True:
        position = int(re.search(r'name="position" value="(\d+)"', page).group(1))
        count = int(re.search(r"第 (\d+)/(\d+) 题", page).group(2))
        kind, letter = re.search(r'<input type="(radio|checkbox)" name="choice" value="([A-H])"', page).groups()
        go = position + 1 if position < count else 0
        status, _, page = phone.request("POST", f"/a/{attempt}/answer", data={
            "csrf_token": token, "position": str(position), "choice": letter, "go": str(go)}, headers=htmx)
        assert status == 200 and 'class="message error"' not in page, (status, page[:500])
        acked[(identifier, position)] = letter
        if go == 0:
            break
    status, headers, page = phone.request("POST", f"/a/{attempt}/submit", data={"csrf_token": token},
                                          headers=htmx)
    assert status in (204, 303), (status, page[:500])
    status, _, page = phone.request("GET", f"/a/{attempt}/result")
    assert status == 200 and "分" in page, (status, page[:500])
    return phone, attempt


def control(host: Browser, round_id: int, action: str) -> float:
    """The host's button (on the server the host is pinned to); returns when it was pressed."""
    token = host.token(f"/admin/live/{round_id}")
    pressed = time.perf_counter()
    status, _, page = host.request("POST", f"/admin/live/{round_id}/control", data={"action": action},
                                   headers={"HX-Request": "true", "X-CSRFToken": token})
    assert status == 200, (action, status, page[:500])
    return pressed


def answer_live(phone: Browser, code: str, page_token: str, stage: str, position: int,
                attempts: int = 5, retried: list | None = None) -> str:
    """Answer with the form that was pushed; a broken connection or a 502 while a server dies
    is retried, as a person taps again (``retried`` gets each retry). Returns the letter once
    acknowledged: "已提交：X" — on a retry also in the reply "本题您已作答" (409), when the dying
    server stored the first try but could not answer it."""
    pushed = re.search(r'name="csrf_token" value="([^"]*)"', stage).group(1)
    letter = re.search(r'name="choice" value="([A-H])"', stage).group(1)
    last = None
    for _ in range(attempts):
        try:
            status, _, reply = phone.request("POST", f"/live/{code}/answer", data={
                "csrf_token": pushed, "position": str(position), "choice": letter,
            }, headers={"HX-Request": "true", "X-CSRFToken": page_token})
        except (OSError, http.client.HTTPException) as error:
            last = repr(error)
            if retried is not None:
                retried.append(type(error).__name__)
            continue
        if status == 200 and f"已提交：{letter}" in reply:
            return letter
        if status == 409 and last is not None and f"已提交：{letter}" in reply:
            return letter
        last = (status, reply[:300])
        if status < 500:
            break
        if retried is not None:
            retried.append(status)
    pytest.fail(f"answer to question {position} not acknowledged: {last}")


def test_two_servers_behind_nginx_share_contests_and_live_rounds_and_survive_losing_one(
        stack, enterprises):
    proxy, servers = stack
    port = proxy.port
    try:
        _scenario(proxy, servers, port, enterprises)
    except BaseException:
        for server in servers.values():
            print(server.log(60))
        print("--- nginx error log ---\n" + proxy.error_log())
        raise
    for name, server in servers.items():
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, server.log(80)


def _scenario(proxy, servers, port, enterprises):
    now = utcnow()
    contest = make_contest(code="SCALE1", question_count=5, now=now)
    code = contest.code
    organiser = make_organiser(password=PASSWORD)
    questions = list(db.session.scalars(
        select(Question).where(Question.qtype == "single", Question.current.is_(True))
        .order_by(Question.uid).limit(QUESTIONS)))
    round_ = live_rules.create_round(organiser.id, "6·16 我问你答（两台服务器）", questions, now,
                                     question_seconds=60)
    db.session.commit()
    round_id, live_code = round_.id, round_.code
    acked_contest: dict[tuple[str, int], str] = {}
    acked_live: dict[tuple[str, int], str] = {}

    # 1. The phone journey through nginx, over both servers.
    served = []
    for i in range(CONTEST_PHONES):
        phone, _ = contest_journey(port, code, i, enterprises[i % 2].id, acked_contest)
        served += phone.served_by
    assert {"A", "B"} <= set(served), f"nginx did not balance over both servers: {served}"

    # 2. The live round: the host is pinned to B; phones join through nginx.
    host = Browser(port, pin="B")
    token = host.token("/admin/login")
    status, _, page = host.request("POST", "/admin/login", data={
        "username": "organiser", "password": PASSWORD, "csrf_token": token})
    assert status == 303, (status, page[:500])
    status, _, page = host.request("GET", f"/admin/live/{round_id}")
    assert status == 200 and f"127.0.0.1:{port}/live/{live_code}" in page  # PUBLIC_BASE_URL: nginx

    phones, streams, page_tokens = [], [], []
    for i in range(PHONES_ON_A):
        phone = Browser(port)
        token = phone.token(f"/live/{live_code}")
        status, _, page = phone.request("POST", f"/live/{live_code}", data={
            "name": f"现场{i}", "enterprise": str(enterprises[i % 3].id), "department": "安全科",
            "csrf_token": token})
        assert status == 303, (status, page[:500])
        page_tokens.append(phone.token(f"/live/{live_code}"))
        stream = open_stream_on(phone, f"/live/{live_code}/events", "A")
        stream.wait_for('data-state="lobby"')
        phones.append(phone)
        streams.append(stream)
    # One more player who never answers keeps each question open until the host's "next".
    silent = Browser(port)
    token = silent.token(f"/live/{live_code}")
    status, _, page = silent.request("POST", f"/live/{live_code}", data={
        "name": "沉默者", "enterprise": str(enterprises[0].id), "department": "仓储部", "csrf_token": token})
    assert status == 303, (status, page[:500])

    cross_ms: list[float] = []  # host on B, streams on A
    same_ms: list[float] = []  # after A is gone: host and streams on B

    def step(marker: str, action: str = "next") -> list[str]:
        """The host's button on B; every phone sees ``marker``; the delays are kept."""
        pressed = control(host, round_id, action)
        stages = []
        for stream in streams:
            at, data = stream.wait_for(marker)
            (cross_ms if servers["A"].proc.poll() is None else same_ms).append(1000 * (at - pressed))
            stages.append(data)
        return stages

    reconnect_ms = None
    retried: list = []
    for position in range(1, QUESTIONS + 1):
        stages = step(f'data-state="question" data-position="{position}"', "start" if position == 1 else "next")
        if position != KILL_AT:
            for phone, page_token, stage in zip(phones, page_tokens, stages):
                acked_live[(phone_name(phones, phone), position)] = answer_live(
                    phone, live_code, page_token, stage, position)
            step('data-state="reveal"')
            step('data-state="leaderboard"')
            continue
        # Server A is killed while the phones' answers to this question are in flight through
        # nginx (some to A, some to B); their streams on A end.
        outcome: dict[int, object] = {}

        def tap(i: int, stage: str) -> None:
            try:
                outcome[i] = answer_live(phones[i], live_code, page_tokens[i], stage, position, retried=retried)
            except BaseException as error:  # noqa: BLE001 - raised in the test's thread below
                outcome[i] = error

        tapping = [threading.Thread(target=tap, args=(i, stage)) for i, stage in enumerate(stages)]
        for thread in tapping:
            thread.start()
        time.sleep(0.01)
        servers["A"].kill()
        killed = time.perf_counter()
        for thread in tapping:
            thread.join(timeout=3 * STAGE_SECONDS)
        for i in range(PHONES_ON_A):
            if isinstance(outcome.get(i), BaseException) or i not in outcome:
                raise AssertionError(f"phone {i}: {outcome.get(i)!r}")
            acked_live[(phone_name(phones, phones[i]), position)] = outcome[i]
        ended = []
        for stream in streams:
            with pytest.raises(EOFError):  # whatever A pushed before dying, then the end
                while True:
                    stream.wait_for("never-in-a-stage")
            ended.append(time.perf_counter())
        # EventSource reconnects the stream's retry delay after it ended, to the same URL: nginx.
        retry = max(s.retry_ms for s in streams) / 1000
        time.sleep(max(0.0, max(ended) + retry - time.perf_counter()))
        reconnecting = time.perf_counter()
        streams = [Stream(phone, f"/live/{live_code}/events") for phone in phones]
        assert [s.served_by for s in streams] == ["B"] * PHONES_ON_A
        for stream in streams:
            stream.wait_for(f'data-state="question" data-position="{position}"')
        reconnect_ms = 1000 * (time.perf_counter() - killed)
        print(f"\nA killed with {PHONES_ON_A} answers in flight ({len(retried)} retried after {retried}); "
              f"streams ended after {1000 * (max(ended) - killed):.1f} ms, EventSource's retry "
              f"{1000 * retry:.0f} ms, reconnected through nginx to B and shown question {position} "
              f"{1000 * (time.perf_counter() - reconnecting):.1f} ms later; reconnect_ms = all of it")
        step('data-state="reveal"')
        step('data-state="leaderboard"')
    # After A: every phone's requests went to B.
    assert all(phone.served_by[-1] == "B" for phone in phones), [p.served_by[-3:] for p in phones]
    control(host, round_id, "next")
    for stream in streams:
        stream.wait_for('data-state="final"')
        stream.close()
    assert servers["A"].proc.poll() is not None and servers["B"].healthy()

    # 3. Every acknowledged answer is in the database.
    db.session.expire_all()
    stored_live = {
        (name, position): chosen for name, position, chosen in db.session.execute(
            select(LivePlayer.name, LiveAnswer.position, LiveAnswer.chosen)
            .join(LivePlayer, LivePlayer.id == LiveAnswer.player_id)
            .where(LiveAnswer.round_id == round_id))
    }
    stored_contest = {
        (identifier, position): chosen for identifier, position, chosen in db.session.execute(
            select(Participant.identifier, AttemptQuestion.position, AttemptQuestion.chosen)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .join(Participant, Participant.id == Attempt.participant_id)
            .where(Attempt.contest_id == contest.id, Attempt.submitted_at.is_not(None)))
    }
    lost = [key for key, letter in acked_live.items() if stored_live.get(key) != letter]
    lost += [key for key, letter in acked_contest.items() if not stored_contest.get(key)]
    acked = len(acked_live) + len(acked_contest)
    assert len(acked_live) == PHONES_ON_A * QUESTIONS
    assert len(cross_ms) == PHONES_ON_A * (3 * (KILL_AT - 1) + 1)  # the killed question opened on A too
    cross = sorted(cross_ms)
    p50, p99 = statistics.median(cross), cross[min(len(cross) - 1, round(0.99 * (len(cross) - 1)))]
    print(f"\ncross-server pushes: {len(cross)} (host on B, phones' streams on A), "
          f"max {cross[-1]:.1f} ms; after A died, on B alone: median {statistics.median(same_ms):.1f} ms "
          f"of {len(same_ms)}; contest requests served by {dict((s, served.count(s)) for s in set(served))}")
    print(f"scaleout servers=2 push_cross_p50_ms={p50:.1f} push_cross_p99_ms={p99:.1f} "
          f"reconnect_ms={reconnect_ms:.0f} answers_acked={acked} answers_lost={len(lost)}")
    assert lost == [], lost
    assert p50 < 1000, cross  # "within a second"


def phone_name(phones: list[Browser], phone: Browser) -> str:
    return f"现场{phones.index(phone)}"
