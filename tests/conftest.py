"""Shared fixtures: a fresh database per test (SQLite and PostgreSQL), settings, fakes, a runtime.

Every database test runs twice: on a SQLite file in tmp_path and on PostgreSQL in a schema of its
own, created and dropped here. PostgreSQL is TEST_DATABASE_URL when set (a SQLAlchemy or libpq URL),
else 127.0.0.1:5432 (database `test`, user `postgres`, trust auth). When TEST_DATABASE_URL is unset
and nothing answers there, the PostgreSQL tests are skipped with one reason; under CI=true (.ci/run
starts PostgreSQL) or with TEST_DATABASE_URL set, a PostgreSQL that does not answer fails them.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.network import NetworkLoop
from bot.runtime import Runtime, build_runtime
from bot.store import access, wabas
from bot.store.db import make_engine, make_sessions, upgrade
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.support import (
    ALICE,
    BOB,
    KALEYRA_API_KEY,
    KALEYRA_SID,
    ONCALL_GROUP,
    OTHER_WABA,
    OTHER_WABA_NAME,
    TEST_TIMINGS,
    WABA,
    WABA_NAME,
    FakeClock,
)

_POSTGRES = make_url(os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_URL = _POSTGRES.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
POSTGRES_DSN = _POSTGRES.set(drivername="postgresql").render_as_string(hide_password=False)
POSTGRES_SHOWN = _POSTGRES.render_as_string(hide_password=True)


@functools.cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, once per session (a host that never answers costs 3 s a try)."""
    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_SHOWN} is not answering ({str(exc).strip().splitlines()[0]})"
    return None


def postgres_required() -> bool:
    """CI starts PostgreSQL, and an explicit TEST_DATABASE_URL means "test on this one": never skip then."""
    return os.environ.get("CI") == "true" or bool(os.environ.get("TEST_DATABASE_URL"))


def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the PostgreSQL tests out, said once, when PostgreSQL is down and nobody asked for it."""
    if postgres_required() or not any(map(_needs_postgres, items)) or postgres_unavailable() is None:
        return
    left_out = [item for item in items if _needs_postgres(item)]
    items[:] = [item for item in items if not _needs_postgres(item)]
    config.hook.pytest_deselected(items=left_out)
    config.stash[_LEFT_OUT] = len(left_out)


_LEFT_OUT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} PostgreSQL tests NOT RUN: {postgres_unavailable()}; "
            "set TEST_DATABASE_URL or start PostgreSQL to run them",
            yellow=True,
            bold=True,
        )


@pytest.fixture
def network() -> Iterator[NetworkLoop]:
    """The loop the bot's Kaleyra and Slack clients run on; their connections closed at the end."""
    loop = NetworkLoop("test-network")
    yield loop
    loop.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def postgres_schema(prefix: str = "test") -> Iterator[str]:
    """A SQLAlchemy URL to a fresh schema of its own in the `test` database, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            # search_path holds only this schema: tables and alembic_version land in it.
            url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            # A connection still inside a transaction would block the drop forever.
            admin.execute("SET lock_timeout = '10s'")
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def holding_a_write_lock(engine: Engine, database_url: str) -> Iterator[None]:
    """Another process, mid-transaction, holding the lock the bot's next write needs (on PostgreSQL,
    every table a resend takes: even its reads wait)."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(str(engine.url.database), isolation_level=None, check_same_thread=False)
        try:
            other.execute("BEGIN IMMEDIATE")
            yield
        finally:
            other.close()
        return
    schema = database_url.rsplit("search_path%3D", 1)[-1]
    with psycopg.connect(POSTGRES_DSN) as holder:
        tables = ", ".join(f'"{schema}".{table}' for table in ("wabas", "person_locks", "attempts"))
        holder.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL to an empty database that only this test uses."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    reason = postgres_unavailable()
    if reason is not None:
        pytest.fail(f"{reason}; start it (.ci/run does) or point TEST_DATABASE_URL at one", pytrace=False)
    with postgres_schema() as url:
        yield url


def seed(session: Session, users: tuple[str, ...] = ()) -> None:
    """Two WABAs; Alice (and `users`) may use Acme Retail, the on-call group may use both."""
    wabas.add_waba(session, WABA, WABA_NAME)
    wabas.add_waba(session, OTHER_WABA, OTHER_WABA_NAME)
    for user in (ALICE, *users):
        access.add_grant(session, user, WABA, by="test")
    access.add_grant(session, ONCALL_GROUP, "*", by="test")


def seed_store(database_url: str, users: tuple[str, ...] = ()) -> None:
    """Migrate the database at `database_url` and `seed` it, for a bot that is not running yet."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_sessions(engine).begin() as session:
            seed(session, users)
    finally:
        engine.dispose()


@pytest.fixture
def engines(database_url: str) -> Iterator[Callable[[], Engine]]:
    """Make more engines on the test's database (another 'process'); all disposed at the end."""
    made: list[Engine] = []

    def make() -> Engine:
        made.append(make_engine(database_url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def migrated(engines: Callable[[], Engine]) -> Engine:
    """An engine on a database migrated to head with `bot.store.db.upgrade`."""
    engine = engines()
    upgrade(engine)
    return engine


@pytest.fixture
def sessions(migrated: Engine) -> sessionmaker[Session]:
    return make_sessions(migrated)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Two WABAs; Alice may use Acme Retail, the on-call group may use both."""
    with sessions.begin() as session:
        seed(session)
    return sessions


@pytest.fixture
def fake_kaleyra() -> Iterator[FakeKaleyra]:
    with FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA, OTHER_WABA)) as fake:
        yield fake


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(usergroups={ONCALL_GROUP: [BOB]}) as fake:
        yield fake


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, fake_kaleyra: FakeKaleyra) -> Callable[..., Settings]:
    """Settings from an explicit environment (never `.env`): the fakes, plus overrides.

    DATABASE_URL is the test's `database_url` when the test uses one, else an unused SQLite file.
    """
    if "database_url" in request.fixturenames:
        database_url = request.getfixturevalue("database_url")
    else:
        database_url = f"sqlite:///{tmp_path / 'settings.db'}"
    base = {
        "DATABASE_URL": database_url,
        "KALEYRA_SID": fake_kaleyra.sid,
        "KALEYRA_API_KEY": fake_kaleyra.api_key,
        "KALEYRA_BASE_URL": fake_kaleyra.base_url,
        **TEST_TIMINGS,
    }

    def make(**overrides: str) -> Settings:
        return load_settings({**base, **overrides}, dotenv=False)

    return make


@pytest.fixture
def make_runtime(migrated: Engine, settings: Callable[..., Settings]) -> Iterator[Callable[..., Runtime]]:
    """Build the bot's runtime against the fakes and the migrated store, with env overrides."""
    built: list[Runtime] = []

    def make(**overrides: str) -> Runtime:
        built.append(build_runtime(settings(**overrides)))
        return built[-1]

    yield make
    for runtime in built:
        runtime.close()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], seeded: sessionmaker[Session]) -> Runtime:
    """The runtime with the seeded WABAs and grants, as `serve` would build it."""
    return make_runtime()
