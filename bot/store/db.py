"""Engine, sessions and migrations for the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


class StoreError(Exception):
    """The database cannot be used; the message says what to do."""


def make_engine(database_url: str) -> Engine:
    """An engine tuned for many short transactions from several threads and processes."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # libpq waits forever for a host that accepts and never answers; a URL's own connect_timeout wins.
    url = make_url(database_url)
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=20, hide_parameters=True, connect_args=connect_args
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event (pysqlite's own is broken).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock up front: a deferred transaction that reads, then writes, gets
    # SQLITE_BUSY at once when another writer went first, and the busy timeout can't help.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(session: Session) -> Any:
    """The INSERT with `on_conflict_do_update` for the session's database (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# Alembic is imported where it is used: web workers never need it, and it costs ~0.1 s to import.


def alembic_config(engine: Engine | None = None, database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> str | None:
    """Migrate to head; return the revision reached."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return current_revision(engine)


# The revision `serve` and every CLI command expect. Asking Alembic would import it (every
# dialect's DDL, Mako: ~0.17 s of start-up CPU); tests/store/test_migrations.py fails when a new
# migration is added without this being moved to it.
SCHEMA_REVISION = "0003_trust"


def head_revision() -> str:
    """The latest migration's revision."""
    return SCHEMA_REVISION


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_migrated(engine: Engine) -> None:
    """Refuse a database that is unreachable or not at the latest migration."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not Path(database).exists() and Path(database).parent.is_dir():
        # Connecting would create an empty file that then looks like a database to the operator.
        raise StoreError(f"the database ({database}) is not migrated (no file yet): run `python -m bot db upgrade`")
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach the database ({describe_url(engine)}): {_short(exc)}") from None
    if current != head_revision():
        raise StoreError(
            f"the database ({describe_url(engine)}) is not migrated "
            f"(at {current or 'nothing'}): run `python -m bot db upgrade`"
        )


def describe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
