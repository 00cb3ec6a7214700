"""A database that hangs rather than refuses: a stuck statement or a held lock fails within the
store's bounds (so a modal's acknowledgement stays inside Slack's 3 s), on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.store.db import (
    LOCK_TIMEOUT_SECONDS,
    SQLITE_ACK_BUDGET_SECONDS,
    STATEMENT_TIMEOUT_SECONDS,
    answering_slack,
)
from bot.store.models import utcnow
from tests.conftest import holding_a_write_lock

# Counting to a billion takes SQLite minutes; pg_sleep(30) takes 30 s: both far past the bound.
ENDLESS = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000000) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(30)",
}
SLACK_ACK_SECONDS = 3


def test_a_statement_that_runs_on_is_cut_at_the_statement_timeout(migrated: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(OperationalError), migrated.connect() as connection:
        connection.execute(text(ENDLESS[migrated.dialect.name]))
    assert time.monotonic() - started < STATEMENT_TIMEOUT_SECONDS + 1
    # The connection it ran on is still good for the next request.
    with migrated.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_lock_held_elsewhere_is_given_up_on_while_slack_waits(migrated: Engine, database_url: str) -> None:
    bound = SQLITE_ACK_BUDGET_SECONDS if migrated.dialect.name == "sqlite" else LOCK_TIMEOUT_SECONDS
    with holding_a_write_lock(migrated, database_url), answering_slack():
        started = time.monotonic()
        with pytest.raises(OperationalError), migrated.begin() as connection:
            connection.execute(
                text("INSERT INTO person_locks (user_id, touched_at) VALUES ('U0ALICE', :now)"), {"now": utcnow()}
            )
        assert time.monotonic() - started < bound + 1 < SLACK_ACK_SECONDS + 1
