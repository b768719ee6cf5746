"""Extensions, created once and bound to the app in ``create_app`` via ``init_app``."""
import os

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .signing import RememberingCSRFProtect

# Named constraints so Alembic batch migrations on SQLite can alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit (a view commits, then renders what it has) instead of
# being re-read from the database on the next attribute access.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = RememberingCSRFProtect()
htmx = HTMX()
# Limits against automation. No default limit: each guarded route names its own (the settings
# RATELIMIT_* in quiz.config), so the answer path pays only where a limit is declared.
# Storage: Redis when REDIS_URL is set (shared by every worker and server), else memory.
limiter = Limiter(key_func=get_remote_address)


def sqlite_pragmas(engine, busy_timeout_ms: int = 10000) -> None:
    """WAL lets readers and one writer work at once; busy_timeout queues writers instead of failing."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Readers map the file instead of copying pages: with several workers each one's page
        # cache is dropped whenever another one writes, i.e. after nearly every answer.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Large sorts (the item statistics group 2 million answers) may use helper threads
        # inside SQLite: about a fifth faster on 2 cores. Small sorts never start them.
        cursor.execute(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")
        cursor.close()


def refresh_planner_statistics(engine) -> bool:
    """SQLite: a sampled ANALYZE (about 400 rows per index, milliseconds even on millions).

    SQLite plans without statistics until someone runs ANALYZE, and a database that grew from
    empty has none: on the large demo campaign the league's anti-joins then probed the wrong
    index and one table took minutes instead of half a second. PostgreSQL keeps its own
    statistics (autovacuum), so this does nothing there.
    """
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA analysis_limit=400")
        connection.exec_driver_sql("ANALYZE")
    return True


def upsert(table):
    """An INSERT that can say ON CONFLICT, for the database in use (SQLite and PostgreSQL
    share the syntax, but SQLAlchemy builds it per dialect)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
