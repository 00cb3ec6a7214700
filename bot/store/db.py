"""Engine, sessions and migrations for the store."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Slack gives up on a request not acknowledged within 3 s, and a modal's acknowledgement waits on
# the store: a database that hangs (a held lock, a stuck query) must fail within these instead, so
# the person is told it is not answering. Migrations (`bounded=False`) may take as long as they need.
LOCK_TIMEOUT_SECONDS = 1
STATEMENT_TIMEOUT_SECONDS = 2
# SQLite's writers queue on one write lock, which a burst of them keeps busy: only work an
# acknowledgement waits on (`answering_slack`) gives up on it, once this budget for all of that
# work's transactions together is spent; other work waits it out.
SQLITE_ACK_BUDGET_SECONDS = 2.0
SQLITE_PATIENT_BUSY_TIMEOUT_SECONDS = 30
_ack_deadline: ContextVar[float | None] = ContextVar("ack_deadline", default=None)
POSTGRES_CONNECT_TIMEOUT_SECONDS = 2


class StoreError(Exception):
    """The database cannot be used; the message says what to do."""


def make_engine(database_url: str, *, bounded: bool = True) -> Engine:
    """An engine tuned for many short transactions from several threads and processes.

    `bounded`: every statement and lock wait ends within the timeouts above.
    """
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"timeout": SQLITE_PATIENT_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        if bounded:
            _bound_sqlite_statements(engine)
        return engine
    # libpq waits forever for a host that accepts and never answers; a URL's own connect_timeout wins.
    url = make_url(database_url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    if bounded:
        # In the startup packet: no extra round trip, and the URL's own `-c` settings, after ours, win.
        ours = f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS}s -c lock_timeout={LOCK_TIMEOUT_SECONDS}s"
        given = url.query.get("options", "")
        url = url.update_query_dict({"options": " ".join([ours, *([given] if isinstance(given, str) else given)])})
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=20, hide_parameters=True, connect_args=connect_args
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The busy timeout is sqlite3.connect's `timeout`.
    # Hand transaction control to SQLAlchemy's "begin" event (pysqlite's own is broken).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _bound_sqlite_statements(engine: Engine) -> None:
    """SQLite has no statement timeout: a progress handler interrupts a statement past its deadline."""

    @event.listens_for(engine, "connect")
    def deadline_on_connect(dbapi_connection: Any, record: Any) -> None:
        deadline = record.info["statement_deadline"] = [math.inf]
        dbapi_connection.set_progress_handler(lambda: time.monotonic() > deadline[0], _SQLITE_PROGRESS_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def start_the_clock(connection: Any, *_: Any) -> None:
        connection.info["statement_deadline"][0] = time.monotonic() + STATEMENT_TIMEOUT_SECONDS

    @event.listens_for(engine, "after_cursor_execute")
    def stop_the_clock(connection: Any, *_: Any) -> None:
        # COMMIT runs outside any cursor: it must never meet an old deadline.
        connection.info["statement_deadline"][0] = math.inf


# Virtual machine steps between two looks at the clock: well under a millisecond of work.
_SQLITE_PROGRESS_STEPS = 10_000


@contextmanager
def answering_slack(budget: float = SQLITE_ACK_BUDGET_SECONDS) -> Iterator[None]:
    """Store work a Slack acknowledgement waits on: SQLite waits for its write lock `budget` s in all."""
    token = _ack_deadline.set(time.monotonic() + budget)
    try:
        yield
    finally:
        _ack_deadline.reset(token)


def _begin_immediate(connection: Any) -> None:
    deadline = _ack_deadline.get()
    busy = SQLITE_PATIENT_BUSY_TIMEOUT_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy * 1000)}")
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

    check_sqlite_directory(engine)
    command.upgrade(alembic_config(engine), "head")
    return current_revision(engine)


# The revision `serve` and every CLI command expect. Asking Alembic would import it (every
# dialect's DDL, Mako: ~0.17 s of start-up CPU); tests/store/test_migrations.py fails when a new
# migration is added without this being moved to it.
SCHEMA_REVISION = "0005"


def head_revision() -> str:
    """The latest migration's revision."""
    return SCHEMA_REVISION


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def sqlite_file(engine: Engine) -> Path | None:
    """The SQLite file an engine opens; None for another database or an in-memory one."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    return Path(database) if database and database != ":memory:" else None


def check_sqlite_directory(engine: Engine) -> None:
    """Name the path when SQLite could not create its file there (it only says "unable to open")."""
    path = sqlite_file(engine)
    if path is None:
        return
    if not path.parent.is_dir():
        raise StoreError(f"cannot create the SQLite file {path}: the directory {path.parent} does not exist")
    # WAL mode writes -wal and -shm files beside the database, so the directory must be writable.
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot write the SQLite file {path}: the directory {path.parent} is not writable by this user"
        )


def ensure_migrated(engine: Engine) -> None:
    """Refuse a database that is unreachable or not at the latest migration."""
    check_sqlite_directory(engine)
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        # Connecting would create an empty file that then looks like a database to the operator.
        raise StoreError(
            f"the database ({describe_url(engine)}) is not migrated (no file yet): run `python -m bot db upgrade`"
        )
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


def database_error(exc: Exception, database_url: str, source: str) -> str:
    """One line for any database failure: what failed, the database (password hidden), where its URL came from."""
    what = str(exc) if isinstance(exc, StoreError) else f"the database failed: {_short(exc)}"
    url = make_url(database_url).render_as_string(hide_password=True)
    return f"{what} [{'' if url in what else url + ', '}from {source}]"


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
