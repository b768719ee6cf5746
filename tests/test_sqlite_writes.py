"""A gevent worker waiting for SQLite's write lock keeps serving (quiz/sqlite_writes.py).

The other worker is a real second process that holds SQLite's write lock until told to let go.
"""
from __future__ import annotations

import subprocess
import sys

import gevent
import pytest
from sqlalchemy import select

from app import create_app
from quiz.extensions import db
from quiz.models import Attempt, Participant

from .conftest import Phone, RequestClient, _config

OTHER_WORKER = r"""
import sqlite3, sys
database, mode = sys.argv[1:]
connection = sqlite3.connect(database, isolation_level=None, timeout=0)
try:
    connection.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError:
    print("taken", flush=True)
    sys.exit()
if mode == "try":
    connection.execute("ROLLBACK")
    print("free", flush=True)
    sys.exit()
print("held", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
print("released", flush=True)
"""


@pytest.fixture
def locking_app(app, database_uri, clock):
    if not database_uri.startswith("sqlite:///"):
        pytest.skip("SQLite's write lock: the PostgreSQL run has row locks instead")
    config = _config(database_uri, clock)
    config.SQLITE_WAIT_IN_GEVENT = "on"
    # Without the lock a waiting writer would stop the whole process for this long.
    config.SQLITE_BUSY_TIMEOUT_MS = 300
    locking = create_app(config)
    locking.test_client_class = RequestClient
    yield locking
    with locking.app_context():
        db.engine.dispose()


def _other_worker(database: str, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", OTHER_WORKER, database, mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _lock_is_free(database: str) -> bool:
    other = _other_worker(database, "try")
    return other.communicate(timeout=30)[0].strip() == "free"


def test_a_sign_up_waits_for_another_workers_write_while_its_worker_serves_others(
        locking_app, contest, enterprises, database_uri):
    database = database_uri.removeprefix("sqlite:///")
    phone, reader = Phone(locking_app), Phone(locking_app)
    phone.headers()  # its sign-up form was read before the hall got busy

    other = _other_worker(database, "hold")
    try:
        assert other.stdout.readline().strip() == "held"
        signing = gevent.spawn(phone.sign_up, contest.code, name="李四", identifier="13900139000",
                               enterprise=enterprises[0].id)
        gevent.sleep(0)  # the sign-up runs up to its first write and waits there
        page = gevent.spawn(reader.get, f"/j/{contest.code}")
        page.join(timeout=30)
        assert page.successful() and page.value.status_code == 200
        assert "李四" not in page.value.get_data(as_text=True)
        assert not signing.ready(), ("the sign-up went ahead while another worker was writing", signing.exception, signing.value and signing.value.status_code)

        other.stdin.write("go\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "released"
        signing.join(timeout=30)
    finally:
        other.kill()
        other.wait()

    response = signing.get()
    attempt_id = phone.attempt_id(response)
    with locking_app.app_context():
        stored = db.session.execute(
            select(Participant.name).join(Attempt, Attempt.participant_id == Participant.id)
            .where(Attempt.id == attempt_id)).scalar_one()
    assert stored == "李四"
    assert _lock_is_free(database), "the write lock outlived the sign-up's transaction"


def test_the_lock_is_let_go_when_a_write_fails(locking_app, database_uri):
    database = database_uri.removeprefix("sqlite:///")
    with locking_app.app_context():
        db.session.add(Participant(name="王五", identifier="13700137000"))
        with pytest.raises(Exception):
            db.session.flush()  # no enterprise, no contest: the schema refuses it
        db.session.rollback()
        db.session.close()
    assert _lock_is_free(database)


def test_auto_is_off_outside_a_gevent_worker_and_for_postgresql():
    from quiz.sqlite_writes import wanted

    assert not wanted("auto", "sqlite:////srv/q.db")  # tests: no gevent patching
    assert wanted("on", "sqlite:////srv/q.db")
    assert not wanted("on", "sqlite://")
    assert not wanted("on", "postgresql+psycopg://u@h/d")
