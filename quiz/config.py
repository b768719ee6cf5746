"""Configuration from environment variables.

``DATABASE_URL`` picks the database (SQLite under ``instance/`` when unset);
``SECRET_KEY`` is generated into ``instance/secret_key`` on first run when unset.
"""
from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("SAFEQUIZ_INSTANCE", ROOT / "instance"))


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(url: str | None) -> str:
    if not url:
        return f"sqlite:///{INSTANCE / 'safequiz.db'}"
    # Accept the common "postgres://" and "postgresql://" spellings; we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        # Per worker process. With gevent a worker serves many requests at once; keep
        # workers × (size + overflow) under the server's max_connections (PostgreSQL: 100).
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "5")),
        "pool_timeout": int(os.environ.get("DB_POOL_TIMEOUT", "30")),
        # Chinese stays readable in JSON columns (and tag search can match it as text).
        "json_serializer": lambda value: json.dumps(value, ensure_ascii=False),
    }
    TIMEZONE = os.environ.get("SAFEQUIZ_TIMEZONE", "Asia/Shanghai")
    # The name in every page's header and title, e.g. the organiser's "XX区安全生产委员会办公室".
    # Unset: the campaign's name (on a contest's pages that contest's campaign, elsewhere the
    # newest one), and without any campaign "安全知识竞赛" (quiz.web.site_title).
    SITE_TITLE = os.environ.get("SITE_TITLE", "").strip()
    # Base of the URLs printed on QR posters and certificates, e.g. https://quiz.example.gov.cn
    # (a poster is read by phones, so it must not say 127.0.0.1). Required to serve without
    # debug (quiz.hosts): a forged Host header must never reach a QR code. Requests must name
    # its host, or one of ALLOWED_HOSTS (comma-separated; ".example.com" admits subdomains).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "")
    # Seconds after the deadline that an answer in flight is still accepted.
    ANSWER_GRACE_SECONDS = float(os.environ.get("ANSWER_GRACE_SECONDS", "2"))
    # Live rounds. With REDIS_URL, state changes fan out to every worker process through
    # Redis pub/sub; without it each process watches the rounds' state in the database.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # One small query per worker each time; 0.25 s left two workers in three up to a quarter
    # of a second behind the host's in pushing a question (bench/live_round.py, 5 000 phones).
    LIVE_POLL_SECONDS = float(os.environ.get("LIVE_POLL_SECONDS", "0.1"))
    # Whether each worker stores the answers waiting at a moment in one transaction ("auto":
    # in gunicorn's gevent workers; "on", "off"; quiz/live/writer.py).
    LIVE_ANSWER_BATCHING = os.environ.get("LIVE_ANSWER_BATCHING", "auto")
    # Stage contests (现场赛): how often each buzzer/stage stream reads its contest's version
    # (changes made in another worker process arrive within this; docs/stage-contest.md).
    STAGE_POLL_SECONDS = 0.1
    # Seconds between keep-alive comments on an idle event stream (proxies close silent ones).
    LIVE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "15"))
    # Round time runs this many times faster than the wall clock: for tests only.
    LIVE_SPEED = float(os.environ.get("LIVE_SPEED", "1"))
    # League tables and reports are cached this long (seconds; 0 turns the cache off), and
    # dropped when an attempt is submitted (quiz/results_cache.py).
    RESULTS_CACHE_SECONDS = float(os.environ.get("RESULTS_CACHE_SECONDS", "30"))
    # SQLite: how long a writer waits for another one's write lock before "database is locked"
    # (ms), and whether a gevent worker waits for it without stopping its other requests
    # ("auto": in gunicorn's gevent workers; quiz/sqlite_writes.py).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "10000"))
    SQLITE_WAIT_IN_GEVENT = os.environ.get("SQLITE_WAIT_IN_GEVENT", "auto")
    # SQLite: seconds between refreshes of the query planner's statistics in each worker.
    PLANNER_STATS_SECONDS = float(os.environ.get("PLANNER_STATS_SECONDS", "3600"))
    # Limits against automation (Flask-Limiter's notation: "N per minute", several joined by
    # ";"). A whole factory may sit behind one address on Wi-Fi, so the per-address limits let
    # a hall of several hundred sign up within a minute. Counted in Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_SIGNUP_PER_ADDRESS = os.environ.get("RATELIMIT_SIGNUP_PER_ADDRESS", "600 per minute")
    RATELIMIT_SIGNUP_PER_CONTEST = os.environ.get("RATELIMIT_SIGNUP_PER_CONTEST", "10000 per minute")
    RATELIMIT_RESUME_PER_ATTEMPT = os.environ.get("RATELIMIT_RESUME_PER_ATTEMPT", "5 per 15 minutes")
    RATELIMIT_RESUME_PER_ADDRESS = os.environ.get("RATELIMIT_RESUME_PER_ADDRESS", "30 per 15 minutes")
    RATELIMIT_ANSWER_PER_ATTEMPT = os.environ.get("RATELIMIT_ANSWER_PER_ATTEMPT", "10 per second")
    RATELIMIT_LIVE_JOIN_PER_ADDRESS = os.environ.get("RATELIMIT_LIVE_JOIN_PER_ADDRESS", "600 per minute")
    RATELIMIT_LOGIN_PER_ADDRESS = os.environ.get("RATELIMIT_LOGIN_PER_ADDRESS", "30 per 15 minutes")
    RATELIMIT_LOGIN_PER_USER = os.environ.get("RATELIMIT_LOGIN_PER_USER", "10 per 15 minutes")
    # The participants list's flags (quiz/contests/participant_list.py): an address is "同一地址" when
    # more than this many attempts of one contest started from it (a hall on one Wi-Fi shares
    # an address, so it is a hint to look); "用时过短" below this many seconds per question.
    PARTICIPANTS_SHARED_ADDRESS_MIN = int(os.environ.get("PARTICIPANTS_SHARED_ADDRESS_MIN", "20"))
    PARTICIPANTS_FAST_SECONDS_PER_QUESTION = float(os.environ.get("PARTICIPANTS_FAST_SECONDS_PER_QUESTION", "2"))
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For then gives the
    # phone's address; without it every phone would share the proxy's, and one limit.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
    # This server's name among several behind one proxy (e.g. "app1"): sent back in an
    # X-Served-By header so that one can see which server answered. Unset: no header.
    INSTANCE_NAME = os.environ.get("INSTANCE_NAME", "").strip()
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 60  # phones come back weeks later
    # Re-signing the cookie on every answer costs CPU at the busiest moment for nothing:
    # the lifetime is long, and it is renewed whenever the session changes (sign-up, login).
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    # The organisers' remember-me cookie (Flask-Login): as guarded as the session cookie, and
    # two weeks rather than a year; logout, a new password or disabling ends it at once.
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_COOKIE_DAYS", "14")))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # a quiz may be left open for hours; the token is session-bound
    WTF_I18N_ENABLED = False  # WTForms' own messages, zh or en by the page (quiz.forms.Form) instead
    # Question-bank uploads: the file itself; the request may be a little larger (form fields).
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES + 1024 * 1024
    # Static URLs carry a content hash (static_url), so phones may cache them for a year.
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
    TESTING = False

    @property
    def SECRET_KEY(self) -> str:  # noqa: N802 - Flask config name
        return _secret_key()


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    WTF_CSRF_ENABLED = True  # tests send real tokens, as a browser does
    PUBLIC_BASE_URL = "http://quiz.test"
    ALLOWED_HOSTS = "localhost,127.0.0.1"  # the test client's host and the browser tests' server
    SERVER_NAME = None
    # Tests answer a whole paper within milliseconds; tests/test_limits.py sets its own limits.
    RATELIMIT_ANSWER_PER_ATTEMPT = "1000 per second"
