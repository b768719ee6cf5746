"""``flask backup`` / ``flask restore`` (quiz/backup.py), on the suite's database (SQLite, or
PostgreSQL with TEST_DATABASE_URL): a backup taken mid-contest while phones keep answering,
restored into a fresh instance directory and database, holds every answer acknowledged before
it started; restore refuses a database holding data without --force."""
from __future__ import annotations

import json
import tarfile
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from quiz import backup as backups
from quiz.clock import FrozenClock
from quiz.config import TestingConfig
from quiz.extensions import db
from quiz.models import AttemptQuestion

from .conftest import START, Phone, make_contest, question_of

PHONES = 4
QUESTIONS = 10


def _fresh_database(database_uri: str, tmp_path: Path) -> str:
    """An empty database beside the suite's: a new SQLite file, or a PostgreSQL database
    named after the suite's one (its name keeps "test")."""
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"{url.database}_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _app(uri: str, instance: Path):
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = uri
    config.CLOCK = FrozenClock(START)
    restored = create_app(config)
    restored.instance_path = str(instance)
    return restored


def test_a_backup_mid_contest_restores_every_acknowledged_answer(app, enterprises, database_uri, tmp_path):
    contest = make_contest(code="BACK01", question_count=QUESTIONS)
    phones, sheets = [], []
    for i in range(PHONES):
        phone = Phone(app)
        attempt_id = phone.attempt_id(phone.sign_up(contest.code, name=f"备份{i}", identifier=f"1380000000{i}",
                                                    enterprise=enterprises[0].id))
        choices = {p: (["A", "B"] if question_of(attempt_id, p).question.qtype == "multi" else ["A"])
                   for p in range(1, QUESTIONS + 1)}
        phones.append(phone)
        sheets.append((attempt_id, choices))
    db.session.commit()
    # Files of the instance directory travel too: an upload awaiting confirmation, the key.
    instance = Path(app.instance_path)
    (instance / "imports").mkdir(parents=True, exist_ok=True)
    (instance / "imports" / "test-backup-probe.bin").write_bytes(b"uploaded roster")
    (instance / "secret_key").write_text("the-instance-key")

    acknowledged: list[tuple[int, int]] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def answer(phone, attempt_id, position, choice):
        response = phone.post(f"/a/{attempt_id}/answer", {"position": position, "choice": choice})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        with lock:
            acknowledged.append((attempt_id, position))

    # Half of each paper before the backup starts.
    for phone, (attempt_id, choices) in zip(phones, sheets):
        for position in range(1, QUESTIONS // 2 + 1):
            answer(phone, attempt_id, position, choices[position])

    def writer():
        """Another phone-side writer: the rest of the papers, while the backup runs."""
        try:
            with app.app_context():
                for position in range(QUESTIONS // 2 + 1, QUESTIONS + 1):
                    for phone, (attempt_id, choices) in zip(phones, sheets):
                        if stop.is_set():
                            return
                        answer(phone, attempt_id, position, choices[position])
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    with lock:
        before = list(acknowledged)
    target = tmp_path / "safequiz-backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    thread.join(timeout=120)
    stop.set()
    assert not thread.is_alive() and errors == []
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    assert len(acknowledged) == PHONES * QUESTIONS

    with tarfile.open(target) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "files/secret_key" in names and "files/imports/test-backup-probe.bin" in names
    assert manifest["revision"] and manifest["tables"]["attempt_question"] >= PHONES * QUESTIONS
    assert oct(target.stat().st_mode & 0o777) == "0o600"

    db.session.expire_all()
    expected = {(a, p): chosen for a, p, chosen in db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.position, AttemptQuestion.chosen))}
    assert all(expected[key] for key in acknowledged)

    # A new server: fresh instance directory, empty database with the schema only.
    fresh_uri = _fresh_database(database_uri, tmp_path)
    fresh_instance = tmp_path / "instance-restored"
    restored = _app(fresh_uri, fresh_instance)
    with restored.app_context():
        upgrade()
        db.session.remove()
        output = restored.test_cli_runner().invoke(args=["restore", str(target)])
        assert output.exit_code == 0, output.output
        db.session.remove()
        stored = {(a, p): chosen for a, p, chosen in db.session.execute(
            select(AttemptQuestion.attempt_id, AttemptQuestion.position, AttemptQuestion.chosen))}
        missing = [key for key in before if not stored.get(key)]
        assert before and missing == []
        # Whatever the backup holds is whole: each answer it has is the one the server stored.
        assert {key: stored[key] for key in expected if stored.get(key)} == {
            key: value for key, value in expected.items() if stored.get(key)}
        assert (fresh_instance / "secret_key").read_text() == "the-instance-key"
        assert oct((fresh_instance / "secret_key").stat().st_mode & 0o777) == "0o600"
        assert (fresh_instance / "imports" / "test-backup-probe.bin").read_bytes() == b"uploaded roster"

        # Now it holds data: a second restore needs --force, and then works.
        db.session.remove()  # no open transaction of this test in the restore's way
        again = restored.test_cli_runner().invoke(args=["restore", str(target)])
        assert again.exit_code != 0 and "--force" in again.output
        forced = restored.test_cli_runner().invoke(args=["restore", "--force", str(target)])
        assert forced.exit_code == 0, forced.output
        db.session.remove()
        count = db.session.scalar(text("SELECT COUNT(*) FROM attempt_question WHERE chosen IS NOT NULL"))
        assert count >= len(before)
        db.session.remove()
        db.engine.dispose()


def test_a_directory_backup_and_the_refusals(app, tmp_path):
    folder = tmp_path / "backup-dir"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (folder / manifest["database_file"]).exists()
    # Never over an existing backup.
    again = runner.invoke(args=["backup", str(folder)])
    assert again.exit_code != 0 and "exists" in again.output
    # The suite's database holds the bank: no restore over it without --force.
    refused = runner.invoke(args=["restore", str(folder)])
    assert refused.exit_code != 0 and "--force" in refused.output
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    assert runner.invoke(args=["restore", str(tmp_path / "junk.tar.gz")]).exit_code != 0


def test_an_in_memory_database_is_refused(tmp_path):
    engine = create_engine("sqlite://")
    with pytest.raises(backups.BackupError, match="in-memory"):
        backups.backup(engine, tmp_path, tmp_path / "x.tar.gz")
