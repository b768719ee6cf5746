"""``flask backup PATH`` and ``flask restore PATH``: the database, the secret key and the
instance directory's files, in one .tar.gz (or a directory), taken while the app serves.

- SQLite: Python's online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot; in WAL mode writers go on meanwhile.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot too); ``pg_restore`` puts it back.
  Debian's ``postgresql-client`` provides both (its major version must be at least the server's).
- ``secret_key`` (the instance's, when SECRET_KEY is not set in the environment: without it
  every signed cookie and certificate link breaks) and every other file under the instance
  directory (question-bank and roster uploads awaiting confirmation, …) go under ``files/``.
- ``manifest.json``: when, which database kind, the schema revision (alembic) and each table's
  row count, so a restore can say what it brought back.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MANIFEST = "manifest.json"
SECRET_KEY_FILE = "secret_key"


class BackupError(RuntimeError):
    pass


def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database: {name}")
    return name


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(engine: Engine) -> tuple[str, dict]:
    """A libpq URL for pg_dump / pg_restore, and the environment with the password (not on the
    command line, where ``ps`` shows it)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} not found: apt-get install postgresql-client")
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()}")


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table of the database (alembic's own included)."""
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in sorted(names)}


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _instance_files(instance: Path, skip: set[Path]) -> list[Path]:
    found = []
    for path in sorted(instance.rglob("*")):
        if path.is_file() and path.resolve() not in skip and not any(p in skip for p in path.resolve().parents):
            found.append(path)
    return found


def backup(engine: Engine, instance: Path, target: Path) -> dict:
    """Write a backup to ``target`` (``….tar.gz``/``….tgz``: an archive; else a new or empty
    directory). Returns the manifest."""
    kind = _kind(engine)
    instance = Path(instance).resolve()
    target = Path(target).resolve()
    archive = target.name.endswith((".tar.gz", ".tgz"))
    if target.exists() and (archive or any(target.iterdir())):
        raise BackupError(f"{target} exists; choose a new name (备份不会覆盖已有文件)")
    with tempfile.TemporaryDirectory(prefix="safequiz-backup-") as work:
        folder = Path(work) / "backup" if archive else target
        folder.mkdir(parents=True, exist_ok=True)
        skip = {target, Path(work).resolve()}
        if kind == "sqlite":
            database = _sqlite_path(engine).resolve()
            skip |= {database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")}
            if not database.exists():
                raise BackupError(f"{database} not found: nothing to back up")
            source = sqlite3.connect(database)
            copy = sqlite3.connect(folder / SQLITE_FILE)
            try:
                source.backup(copy)  # one step: a consistent snapshot; writers continue (WAL)
            finally:
                copy.close()
                source.close()
        else:
            url, env = _libpq(engine)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(folder / PG_FILE), "--dbname", url], env)
        files = folder / "files"
        for path in _instance_files(instance, skip):
            relative = path.relative_to(instance)
            (files / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, files / relative)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": kind,
            "database_file": SQLITE_FILE if kind == "sqlite" else PG_FILE,
            "revision": revision(engine),
            "secret_key": (files / SECRET_KEY_FILE).exists(),
            "files": sorted(str(p.relative_to(files)) for p in files.rglob("*") if p.is_file()),
            "tables": table_counts_of_copy(folder / SQLITE_FILE) if kind == "sqlite" else table_counts(engine),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if archive:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            with tarfile.open(partial, "w:gz") as tar:
                for path in sorted(folder.iterdir()):
                    tar.add(path, arcname=path.name)
            partial.chmod(0o600)  # it holds the secret key and everyone's answers
            partial.replace(target)
        else:
            target.chmod(0o700)
    return manifest


def table_counts_of_copy(path: Path) -> dict[str, int]:
    """Row counts of the copied SQLite file (what the backup holds, not the live database)."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        conn.close()


def holds_data(engine: Engine) -> bool:
    """Whether any table other than alembic's has a row: a restore would overwrite it."""
    return any(count for name, count in table_counts(engine).items() if name != "alembic_version")


def _open(source: Path, work: Path) -> Path:
    if source.is_dir():
        return source
    if not tarfile.is_tarfile(source):
        raise BackupError(f"{source} is neither a backup directory nor a .tar.gz")
    with tarfile.open(source, "r:*") as tar:
        tar.extractall(work, filter="data")  # no absolute paths, no links out of work
    return work


def restore(engine: Engine, instance: Path, source: Path, force: bool = False) -> dict:
    """Put a backup back: the database, the secret key, the instance files. Refuses to
    overwrite a database holding data unless ``force``. Returns the manifest."""
    kind = _kind(engine)
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} not found")
    instance = Path(instance)
    with tempfile.TemporaryDirectory(prefix="safequiz-restore-") as work:
        folder = _open(source, Path(work))
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BackupError(f"{source}: no readable {MANIFEST} ({error})") from error
        if manifest.get("database") != kind:
            raise BackupError(f"this backup holds a {manifest.get('database')} database; the app uses {kind}")
        if holds_data(engine) and not force:
            raise BackupError("the database already holds data; restore with --force to replace it "
                              "(数据库非空，确认覆盖请加 --force)")
        if kind == "sqlite":
            target = _sqlite_path(engine)
            target.parent.mkdir(parents=True, exist_ok=True)
            engine.dispose()  # no pooled connection keeps reading the old pages
            copy = sqlite3.connect(folder / SQLITE_FILE)
            live = sqlite3.connect(target)
            try:
                copy.backup(live)  # replaces every page, WAL included
            finally:
                live.close()
                copy.close()
        else:
            url, env = _libpq(engine)
            engine.dispose()
            with engine.begin() as conn:  # the dump recreates every table of the schema
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                  "--dbname", url, str(folder / PG_FILE)], env)
        files = folder / "files"
        if files.is_dir():
            instance.mkdir(parents=True, exist_ok=True)
            for path in sorted(files.rglob("*")):
                if path.is_file():
                    destination = instance / path.relative_to(files)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, destination)
                    if destination.name == SECRET_KEY_FILE:
                        destination.chmod(0o600)
    return manifest
