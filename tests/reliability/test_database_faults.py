"""The database fails: at start (one clear line), mid-request (the person is told; Kaleyra is never
called without the attempt written first), and SQLite under many writers (no "database is locked")."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.explain import explain
from bot.request import ResendRequest
from bot.resend_values import Origin, Requester
from bot.runtime import build_runtime
from tests import slack_requests
from tests.conftest import holding_a_write_lock, seed_store
from tests.fakes.kaleyra import unused_port
from tests.reliability.conftest import TcpRelay, attempts_at, said, stored_attempts, timed_send
from tests.serve_process import run_cli
from tests.slack.conftest import SlackBot
from tests.support import ALICE, BOB, ONCALL_GROUP, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, WABA

INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"
CREDENTIALS = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3", "KALEYRA_SID": "SID", "KALEYRA_API_KEY": "k"}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: a database host that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.parametrize("fault", ["refused", "silent", "missing_directory", "not_migrated"])
def test_serve_without_a_usable_database_prints_one_line_and_exits_non_zero(
    tmp_path: Path, silent_server: int, fault: str
) -> None:
    database_url, says = {
        "refused": (f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/test", "cannot reach the database"),
        "silent": (f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/test", "cannot reach the database"),
        "missing_directory": (f"sqlite:///{tmp_path}/no/such/dir/bot.db", f"{tmp_path}/no/such/dir does not exist"),
        "not_migrated": (f"sqlite:///{tmp_path}/empty.db", "python -m bot db upgrade"),
    }[fault]
    started = time.monotonic()
    done = run_cli(["serve"], tmp_path, DATABASE_URL=database_url, PORT=str(unused_port()), **CREDENTIALS)
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and says in lines[0]
    assert time.monotonic() - started < 15, "a database that never answers must not hang the start"


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """A fresh, seeded PostgreSQL schema (run with `database_url` parametrized to postgresql)."""
    seed_store(database_url)
    return database_url


ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def relayed(postgres_url: str) -> Iterator[tuple[str, TcpRelay]]:
    """The schema's URL through a relay the test can cut, as if the database server went away."""
    direct = make_url(postgres_url)
    relay = TcpRelay(direct.host or "127.0.0.1", direct.port or 5432)
    relay.start()
    try:
        yield direct.set(port=relay.port).render_as_string(hide_password=False), relay
    finally:
        relay.cut()


@ON_POSTGRESQL
def test_database_lost_before_the_call_tells_the_person_and_calls_nobody(
    start_bot: Callable[..., SlackBot], postgres_url: str, relayed: tuple[str, TcpRelay]
) -> None:
    url, relay = relayed
    bot = start_bot(DATABASE_URL=url)
    bot.send(slack_requests.slash_command("", user_id=ALICE))
    (opened,) = bot.slack.wait_for("views.open")
    relay.cut()

    started = time.perf_counter()
    health = httpx.get(f"{bot.url}/healthz", timeout=10)
    assert health.status_code == 503 and time.perf_counter() - started < 3.0

    response, ack = timed_send(
        bot, slack_requests.slash_command(INLINE, user_id=ALICE, response_url=bot.slack.response_url("inline"))
    )
    assert response.status_code == 200 and ack < 3.0
    (told,) = bot.slack.wait_for("response_url")
    assert "database is not answering" in said(told)

    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    response, ack = timed_send(bot, slack_requests.view_submission(opened.params["view"], user_id=ALICE, values=values))
    assert response.status_code == 200 and ack < 3.0
    assert response.json()["response_action"] == "errors"
    assert "database is not answering" in str(response.json()["errors"])

    bot.settle()
    assert not bot.kaleyra.requests, "Kaleyra was called with no audit row written"

    # The database comes back: the same bot works again, no restart.
    relay.restore()
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    (reply,) = bot.slack.wait_for("chat.postMessage", where=lambda c: bool(c.params.get("thread_ts")))
    assert "OTP sent" in said(reply)
    bot.settle()
    assert [(a.status, a.delivery) for a in attempts_at(postgres_url)] == [("sent", "channel")]


@ON_POSTGRESQL
def test_database_lost_during_the_call_keeps_the_pending_row_and_still_answers(
    start_bot: Callable[..., SlackBot], postgres_url: str, relayed: tuple[str, TcpRelay]
) -> None:
    url, relay = relayed
    bot = start_bot(DATABASE_URL=url)
    bot.kaleyra.queue("hang")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    bot.kaleyra.wait_for_requests(1)
    # Kaleyra has the request: the attempt must already be in the database.
    assert [a.status for a in attempts_at(postgres_url)] == ["pending"]

    relay.cut()
    bot.kaleyra.release_hung()
    (reply,) = bot.slack.wait_for("chat.postMessage", where=lambda c: bool(c.params.get("thread_ts")))
    assert "OTP sent" in said(reply) and PHONE_MASKED in said(reply)
    bot.settle()
    # Not completed (the database was gone) and not lost: the next start marks it unknown.
    assert [a.status for a in attempts_at(postgres_url)] == ["pending"]


def test_concurrent_writers_on_one_sqlite_file_never_see_database_is_locked(
    tmp_path: Path, bot_settings: Callable[..., Settings]
) -> None:
    """48 threads in three 'processes' (engines) run the use case at once; a quarter share one number."""
    database_url = f"sqlite:///{tmp_path / 'busy.db'}"
    seed_store(database_url)
    runtimes = [build_runtime(bot_settings(DATABASE_URL=database_url)) for _ in range(3)]
    try:
        requests = [(n, f"+91 98765 4{n:04d}" if n % 4 else "+91 98765 43210") for n in range(48)]

        def resend(job: tuple[int, str]) -> str:
            n, phone = job
            runtime = runtimes[n % len(runtimes)]
            result = runtime.resender.resend(
                Requester(BOB if n % 2 else ALICE, frozenset({ONCALL_GROUP}) if n % 2 else frozenset()),
                Origin("cli"),
                ResendRequest(WABA, PHONE_NUMBER_ID, phone),
            )
            explanation = explain(result)
            return f"{result.status}: {explanation.as_text()}"

        with ThreadPoolExecutor(max_workers=48) as pool:
            answers = list(pool.map(resend, requests))
        assert not [a for a in answers if "database" in a.lower() or "locked" in a.lower()]
        statuses = sorted(a.split(":")[0] for a in answers)
        shared = sum(1 for n, _ in requests if n % 4 == 0)
        assert statuses.count("sent") == len(requests) - shared + 1
        assert statuses.count("refused_cooldown") == shared - 1
        rows = stored_attempts(runtimes[0].sessions)
        assert len(rows) == len(requests) and not [r for r in rows if r.status == "pending"]
    finally:
        for runtime in runtimes:
            runtime.close()


def test_a_writer_holding_the_sqlite_lock_delays_a_command_instead_of_failing_it(bot: SlackBot) -> None:
    other = sqlite3.connect(str(bot.runtime.engine.url.database), isolation_level=None, check_same_thread=False)
    committed: list[float] = []

    def commit() -> None:
        other.execute("COMMIT")
        committed.append(time.monotonic())

    try:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a (1 s) write
        bot.send(slack_requests.slash_command(INLINE, user_id=ALICE, response_url=bot.slack.response_url("inline")))
        release = threading.Timer(1.0, commit)
        release.start()
        (reply,) = bot.slack.wait_for("chat.postMessage", timeout=10, where=lambda c: bool(c.params.get("thread_ts")))
        release.join()
    finally:
        other.close()
    assert "OTP sent" in said(reply) and reply.received_at > committed[0], "the command did not wait for the lock"
    bot.settle()
    assert not bot.slack.calls_to("response_url")
    assert [a.status for a in stored_attempts(bot.runtime.sessions)] == ["sent"]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("", id="open-the-form"),
        pytest.param("history", id="history"),
        pytest.param("grants", id="admin-command"),
    ],
)
def test_a_store_lost_after_the_ack_is_told_to_the_person(bot: SlackBot, command: str) -> None:
    # The SQLite file vanishes under the running bot: every later query finds no tables.
    database = Path(make_url(bot.runtime.settings.database_url).database or "")
    bot.runtime.close()
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    response_url = bot.slack.response_url("lost")
    assert bot.send(slack_requests.slash_command(command, user_id=ALICE, response_url=response_url)).status_code == 200
    bot.settle()
    told = bot.slack.wait_for("response_url")[0]
    assert "database is not answering" in said(told)
    assert not bot.slack.calls_to("views.open")


def test_a_database_that_hangs_on_a_lock_is_answered_inside_slacks_3_s(
    start_bot: Callable[..., SlackBot], database_url: str
) -> None:
    bot = start_bot(DATABASE_URL=database_url)
    bot.send(slack_requests.slash_command("", user_id=ALICE))
    (opened,) = bot.slack.wait_for("views.open")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    submission = slack_requests.view_submission(opened.params["view"], user_id=ALICE, values=values)

    with holding_a_write_lock(bot.runtime.engine, database_url):
        response, ack = timed_send(bot, submission)

    assert response.status_code == 200 and ack < 3.0
    assert response.json()["response_action"] == "errors"
    assert "database is not answering in time" in str(response.json()["errors"])
    bot.settle()
    assert not bot.kaleyra.requests

    # The lock gone, the form submitted again (a new request: a replay of the first would be ignored) goes through.
    again = slack_requests.view_submission(
        opened.params["view"], user_id=ALICE, values=values, timestamp=int(time.time()) + 1
    )
    response, ack = timed_send(bot, again)
    assert response.status_code == 200 and not response.content
    (reply,) = bot.slack.wait_for("chat.postMessage", where=lambda c: bool(c.params.get("thread_ts")))
    assert "OTP sent" in said(reply)
