"""Live rounds across real processes: a phone connected to one process sees the host's
"next" made on the other.

Two gunicorn processes (the production worker, ``-w 1``) share the test database
(the session's SQLite file, or PostgreSQL via TEST_DATABASE_URL) and the secret key.
Their hubs learn of each other's changes through Redis pub/sub ("redis") or by watching
the database every LIVE_POLL_SECONDS ("database"). The data is made through the test's
own app fixture and committed, so both processes read the same rows.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from .conftest import START, make_organiser
from quiz.live import rules as live_rules
from quiz.extensions import db
from quiz.models import Question

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHANNEL = "safequiz:live"  # quiz.live.push.CHANNEL, the prefix of each database's channel
SECRET_KEY = "test-secret"  # TestingConfig's, so both processes sign and read the same cookies
PASSWORD = "correct horse 1"
STAGE_SECONDS = 5.0  # how long a phone may wait for a change made on the other process
# Through Redis a change arrives in milliseconds; the database safety net every 5 s
# (live_push) must not be what makes the "redis" variant pass.
REDIS_SECONDS = 2.0


# ---------------------------------------------------------------- the processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_reachable() -> str | None:
    """None when Redis answers, else why not."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        return f"{type(error).__name__}: {error}"


class Server:
    """One gunicorn process serving ``app:create_app()`` on its own port."""

    def __init__(self, name: str, env: dict, workdir: Path):
        self.name = name
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{name}.log"
        command = [
            sys.executable, "-m", "gunicorn", "-k", "quiz.serving.GeventWorker", "-w", "1",
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "1", "--timeout", "30",
            "app:create_app()",
        ]
        with open(self.log_path, "w") as out:
            # A session of its own: the finaliser can kill the master and its worker by group id.
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def log(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return f"--- gunicorn {self.name} (port {self.port}) ---\n" + "\n".join(text[-lines:])

    def healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)


def start_servers(env: dict, workdir: Path, names=("A", "B"), seconds: float = 15.0) -> list[Server]:
    servers = [Server(name, env, workdir) for name in names]
    deadline = time.monotonic() + seconds
    waiting = list(servers)
    try:
        while waiting:
            for server in list(waiting):
                if server.proc.poll() is not None:
                    raise RuntimeError(f"gunicorn {server.name} exited with {server.proc.returncode}")
                if server.healthy():
                    waiting.remove(server)
            if waiting:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer /healthz in time")
                time.sleep(0.1)
    except RuntimeError as error:
        for server in servers:
            server.stop()
        pytest.skip(f"gunicorn could not start: {error}\n" + "\n".join(s.log() for s in servers))
    return servers


@pytest.fixture(params=["redis", "database"])
def servers(request, app, database_uri, tmp_path):
    """Process A and process B on one database; ``request.param`` is how changes travel."""
    mode = request.param
    if mode == "redis":
        why = redis_reachable()
        if why:
            pytest.skip(f"Redis is not reachable at {REDIS_URL} ({why}): the pub/sub variant needs it")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_uri,
        REDIS_URL=REDIS_URL if mode == "redis" else "",
        SECRET_KEY=SECRET_KEY,
        SAFEQUIZ_INSTANCE=str(tmp_path / "instance"),
        LIVE_POLL_SECONDS="0.1",
        LIVE_SPEED="1",
        # Only a few connections each: PostgreSQL's max_connections is shared with other tests.
        DB_POOL_SIZE="3",
        DB_MAX_OVERFLOW="2",
        PYTHONUNBUFFERED="1",
        PUBLIC_BASE_URL="http://127.0.0.1",  # a server needs it (quiz/hosts.py); any port matches
    )
    started = start_servers(env, tmp_path)
    request.addfinalizer(lambda: [server.stop() for server in started])
    a, b = started
    yield mode, a, b


# ---------------------------------------------------------------- clients


class Browser:
    """One browser against one process: its cookie jar, form posts, htmx posts."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self._keep_cookies(response)
        conn.close()
        return response.status, response.headers, text

    def _keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def on(self, port: int) -> "Browser":
        """The same browser (same cookies) talking to another process."""
        other = Browser(port)
        other.cookies = dict(self.cookies)
        return other

    def csrf(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status, page[:500])
        match = re.search(r'"X-CSRFToken": "([^"]+)"', page) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "no CSRF token on " + path
        return match.group(1)


class EventStream:
    """A phone's open event stream (SSE), read with socket timeouts."""

    def __init__(self, browser: Browser, path: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=STAGE_SECONDS)
        headers = {"Accept": "text/event-stream"}
        if browser.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200, (self.response.status, self.response.read()[:500])
        assert self.response.headers["Content-Type"].startswith("text/event-stream")

    def next_event(self, deadline: float) -> tuple[str, str]:
        """The next event (name, data) before ``deadline`` (time.monotonic), skipping comments."""
        name, data = "", []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.conn.sock.settimeout(left)
            try:
                raw = self.response.readline()
            except (socket.timeout, TimeoutError):
                raise TimeoutError from None
            if not raw:
                raise EOFError("the event stream ended")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if name or data:
                    return name, "\n".join(data)
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    def wait_for_stage(self, marker: str, seconds: float = STAGE_SECONDS) -> tuple[str, float]:
        """The first stage event containing ``marker``; fails with what came instead."""
        started = time.monotonic()
        deadline = started + seconds
        seen = []
        while True:
            try:
                name, data = self.next_event(deadline)
            except TimeoutError:
                shown = [re.search(r'data-state="[^"]*" data-position="\d+"', d) for d in seen]
                pytest.fail(f"no stage with {marker} within {seconds:.0f} s; stages seen: "
                            f"{[m.group(0) if m else d[:200] for m, d in zip(shown, seen)]}")
            if name != "stage":
                continue
            if marker in data:
                return data, time.monotonic() - started
            seen.append(data)

    def close(self) -> None:
        self.conn.close()


def redis_listener():
    """A subscription of the test's own to the live channel (pub/sub keeps nothing)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=STAGE_SECONDS)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe(CHANNEL + ":*")  # one channel per database: safequiz:live:<hash>
    pubsub.get_message(timeout=1)  # the subscription confirmation
    return client, pubsub


def published(pubsub, expected: str, seconds: float = STAGE_SECONDS) -> list[str]:
    deadline = time.monotonic() + seconds
    heard = []
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
        if message and message["type"] in ("message", "pmessage"):
            heard.append(message["data"].decode())
            if expected in heard:
                break
    return heard


# ---------------------------------------------------------------- the test


def make_round(enterprises):
    organiser = make_organiser()
    questions = list(db.session.scalars(
        select(Question).where(Question.qtype == "single", Question.current.is_(True))
        .order_by(Question.uid).limit(3)))
    round_ = live_rules.create_round(organiser.id, "6·16 我问你答（两个进程）", questions, START,
                                     question_seconds=30)
    db.session.commit()
    return round_


def control(host: Browser, round_id: int, action: str) -> str:
    token = host.csrf(f"/admin/live/{round_id}")
    status, _, page = host.request("POST", f"/admin/live/{round_id}/control", data={"action": action},
                                   headers={"HX-Request": "true", "X-CSRFToken": token})
    assert status == 200, (action, status, page[:500])
    return page


def test_phone_on_one_process_sees_the_hosts_next_on_the_other(servers, enterprises):
    mode, a, b = servers
    round_ = make_round(enterprises)
    round_id, code, version = round_.id, round_.code, round_.version
    stream = listener = None
    try:
        # The host logs in on process B.
        host = Browser(b.port)
        token = host.csrf("/admin/login")
        status, _, page = host.request("POST", "/admin/login", data={
            "username": "organiser", "password": PASSWORD, "csrf_token": token})
        assert status == 303, (status, page[:500])

        # A phone joins on process A; its cookie is as good on B (one secret key).
        phone = Browser(a.port)
        token = phone.csrf(f"/live/{code}")
        status, _, page = phone.request("POST", f"/live/{code}", data={
            "name": "张三", "enterprise": str(enterprises[0].id), "department": "安全科", "csrf_token": token})
        assert status == 303, (status, page[:500])
        page_token = phone.csrf(f"/live/{code}")  # what the phone's page gives htmx
        # A second phone that never answers keeps the question open until the host's "next".
        other = Browser(b.port)
        token = other.csrf(f"/live/{code}")
        status, _, page = other.request("POST", f"/live/{code}", data={
            "name": "李四", "enterprise": str(enterprises[1].id), "department": "仓储部", "csrf_token": token})
        assert status == 303, (status, page[:500])
        status, _, page = phone.on(b.port).request("GET", f"/live/{code}")
        assert status == 200 and 'data-state="lobby"' in page and "已加入" in page

        # The phone's event stream on A starts with the lobby.
        stream = EventStream(phone, f"/live/{code}/events")
        stream.wait_for_stage('data-state="lobby"')

        if mode == "redis":
            client, listener = redis_listener()

        # "start" on B → the phone on A shows question 1.
        budget = REDIS_SECONDS if mode == "redis" else STAGE_SECONDS
        control(host, round_id, "start")
        stage, first_delay = stream.wait_for_stage('data-state="question" data-position="1"', budget)
        assert f'data-version="{version + 1}"' in stage
        assert 'name="choice"' in stage  # the phone can answer: the buttons came with the push

        # It answers with the form it was pushed (htmx posts the form's fields and the
        # page's X-CSRFToken header; Flask-WTF checks the form field first).
        pushed = re.search(r'name="csrf_token" value="([^"]*)"', stage).group(1)
        letter = re.search(r'name="choice" value="([A-H])"', stage).group(1)
        status, _, reply = phone.request("POST", f"/live/{code}/answer", data={
            "csrf_token": pushed, "position": "1", "choice": letter,
        }, headers={"HX-Request": "true", "X-CSRFToken": page_token})
        assert status == 200 and "已提交" in reply, (status, reply[:500])

        # "next" on B → the question closes: the phone on A shows the answer.
        control(host, round_id, "next")
        stage, second_delay = stream.wait_for_stage('data-state="reveal"', budget)
        assert 'data-position="1"' in stage and f'data-version="{version + 2}"' in stage

        if mode == "redis":  # the changes did travel through Redis
            heard = published(listener, f"{round_id}:{version + 2}")
            assert f"{round_id}:{version + 1}" in heard and f"{round_id}:{version + 2}" in heard, heard
        print(f"{mode}: start seen after {first_delay:.3f} s, next after {second_delay:.3f} s")
    except BaseException:
        print(a.log())
        print(b.log())
        raise
    finally:
        if stream is not None:
            stream.close()
        if listener is not None:
            listener.close()
            client.close()
    for server in (a, b):
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, server.log(80)
