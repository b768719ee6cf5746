"""Helpers shared by the benchmarks: a lean blocking HTTP/1.1 client, running app steps in a
child process, starting and stopping gunicorn and reading its log, CPU counters, percentiles.

Only the standard library (and psycopg for the PostgreSQL helpers). Nothing here patches
anything: a script that wants gevent monkey-patches before importing this module, as
contest_load.py does.
"""
from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
# What the simulated phones read off the pages.
CSRF_RE = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')  # hx-headers on <body>
ATTEMPT_RE = re.compile(r"/a/(\d+)")
OPTION_RE = re.compile(r'<input type="(radio|checkbox)" name="choice" value="([A-H])"')

# The worker class gunicorn.conf.py sets for production (gevent, admitting every waiting phone).
PRODUCTION_WORKER = "quiz.serving.GeventWorker"
SECRET_KEY = "safequiz-bench-not-secret"


# ---------------------------------------------------------------- output and numbers


def log(message: str) -> None:
    """Progress goes to stdout too, so that the final line is always the last one."""
    print(message, flush=True)


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks; NaN for no values."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# ---------------------------------------------------------------- app steps in a child process


def run_step(env: dict, *argv: str, stream: bool = False) -> str:
    """Run a command in the repository with ``env``; its output is returned (or, with
    ``stream``, shown as it comes). A failure raises RuntimeError with the output."""
    if stream:
        result = subprocess.run(list(argv), cwd=ROOT, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode})")
        return ""
    result = subprocess.run(list(argv), cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def ensure_pg_database(url: str) -> str:
    """Create the database when it does not exist (nothing is dropped here). Returns the URL
    as libpq takes it."""
    import psycopg
    from psycopg import sql

    conninfo = url.replace("postgresql+psycopg://", "postgresql://").replace(
        "postgres://", "postgresql://"
    )
    try:
        psycopg.connect(conninfo).close()
    except psycopg.OperationalError as error:
        dbname = psycopg.conninfo.conninfo_to_dict(conninfo).get("dbname")
        if not dbname or "does not exist" not in str(error):
            raise
        admin = psycopg.conninfo.make_conninfo(conninfo, dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as maint:
            maint.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return conninfo


def reset_pg(url: str) -> None:
    """Create the database if missing, then an empty schema public."""
    import psycopg

    conninfo = ensure_pg_database(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def run_internal_step(steps: dict[str, Callable[..., None]]) -> None:
    """``script.py _name args…``: run the internal step ``_name`` (app side, in the
    repository's import path) with the remaining arguments, then exit."""
    sys.path.insert(0, str(ROOT))
    step, rest = sys.argv[1], sys.argv[2:]
    if step not in steps:
        sys.exit(f"unknown step {step}")
    steps[step](*rest)
    sys.exit(0)


# ---------------------------------------------------------------- a lean HTTP/1.1 client


class HttpError(Exception):
    pass


class Response:
    __slots__ = ("status", "headers", "cookies", "body")

    def __init__(self, status: int, headers: dict[str, str], cookies: list[str], body: bytes):
        self.status = status
        self.headers = headers
        self.cookies = cookies
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_head(head: bytes) -> tuple[int, dict[str, str], list[str]]:
    """Status, headers (lower-case names; the last one of a name wins) and Set-Cookie values
    of a response head, without the blank line that ends it."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HttpError(f"bad status line {lines[0]!r}")
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        headers[name] = value
    return int(parts[1]), headers, cookies


class Connection:
    """One HTTP/1.1 connection, kept alive unless ``keep_alive`` is False.

    A request on a reused connection that the server has meanwhile closed (keep-alive
    timeout) is sent again once on a new connection, as browsers do; ``retries`` counts it.
    """

    def __init__(self, host: str, port: int, timeout: float, keep_alive: bool = True):
        self.host, self.port, self.timeout = host, port, timeout
        self.keep_alive = keep_alive
        self.sock: socket.socket | None = None
        self.buf = b""
        self.retries = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock, self.buf = None, b""

    def _connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if not self.keep_alive:
            lines.append("Connection: close")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = self.sock is not None
        if not reused:
            self._connect()
        try:
            self.sock.sendall(raw)
            return self._read_response(method)
        except (ConnectionError, HttpError, OSError) as error:
            self.close()
            if not (reused and getattr(error, "before_response", isinstance(error, ConnectionError))):
                raise
        # The server closed the idle connection before reading this request: send it again.
        self.retries += 1
        self._connect()
        self.sock.sendall(raw)
        return self._read_response(method)

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionResetError("connection closed by server")
        return data

    def _read_response(self, method: str) -> Response:
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            try:
                buf += self._recv()
            except ConnectionError as error:
                error.before_response = not buf  # type: ignore[attr-defined]
                raise
        status, headers, cookies = parse_head(buf[:end])
        buf = buf[end + 4:]
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "content-length" in headers:
            length = int(headers["content-length"])
            while len(buf) < length:
                buf += self._recv()
            body, buf = buf[:length], buf[length:]
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                while b"\r\n" not in buf:
                    buf += self._recv()
                size_line, _, buf = buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    buf += self._recv()
                chunks.append(buf[:size])
                buf = buf[size + 2:]
                if size == 0:
                    while b"\r\n" not in buf:  # no trailers expected
                        buf += self._recv()
                    buf = buf.partition(b"\r\n")[2]
                    break
            body = b"".join(chunks)
        else:  # body until the server closes
            chunks = [buf]
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
            body, buf = b"".join(chunks), b""
            headers["connection"] = "close"
        self.buf = buf
        if not self.keep_alive or headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, cookies, body)


# ---------------------------------------------------------------- processes and gunicorn


def process_cpu(pid: int, reaped: bool = False) -> float:
    """utime + stime of one process, in seconds (0 when it is gone); with ``reaped``, also
    the CPU of its children that have exited (PostgreSQL backends of closed connections)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def server_rss_mb(master: int) -> float:
    """Resident memory of gunicorn's master and workers together, in MB."""
    total = 0
    for pid in (master, *children(master)):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def server_cpu(master: int) -> float:
    return process_cpu(master) + sum(process_cpu(p) for p in children(master))


def named_cpu(names: tuple[str, ...]) -> float:
    """CPU of every local process with one of these names (PostgreSQL backends included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    total += process_cpu(int(entry.name), reaped=True)
            except OSError:
                continue
    return total


def client_cpu() -> float:
    """CPU seconds of this process (the benchmark's client)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds all cores spent busy so far (from /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = Connection("127.0.0.1", port, 2, keep_alive=False)
            r = conn.request("GET", "/healthz", [])
            conn.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def wait_booted(proc: subprocess.Popen, seconds: float = 60) -> None:
    """/healthz answers as soon as one worker is up; the others may still be importing the
    app (seconds on 2 cores). Wait until the workers' CPU stops growing."""
    deadline = time.monotonic() + seconds
    last = -1.0
    while time.monotonic() < deadline:
        cpu = sum(process_cpu(p) for p in children(proc.pid))
        if cpu - last < 0.05:
            return
        last = cpu
        time.sleep(0.5)


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM gunicorn (graceful), SIGKILL it and its workers if it does not exit in 20 s."""
    if proc is None or proc.poll() is not None:
        return
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)


def log_tail(gunicorn_log: Path, lines: int = 20) -> None:
    """The last lines of gunicorn's log, after a failed run."""
    if gunicorn_log.exists():
        tail = gunicorn_log.read_text(errors="replace").splitlines()[-lines:]
        log("gunicorn log (tail):\n" + "\n".join(tail))


def tracebacks(gunicorn_log: Path) -> tuple[int, Counter]:
    """The tracebacks in gunicorn's log: how many, and the exception line that ends each one,
    counted."""
    server_log = gunicorn_log.read_text(errors="replace").splitlines()
    count, kinds = 0, Counter()
    for i, line in enumerate(server_log):
        if "Traceback" in line:
            count += 1
            for later in server_log[i + 1:]:
                if later and not later.startswith((" ", "Traceback", "During", "The above")):
                    kinds[later[:200]] += 1
                    break
    return count, kinds
