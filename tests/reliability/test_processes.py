"""Real `python -m bot serve` processes (gunicorn) on one PostgreSQL schema: the cooldown holds across
them, a process killed mid-call loses nothing, and SIGTERM lets the call in flight finish and answer."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main as cli_main
from bot.store.db import make_engine
from tests import slack_requests
from tests.conftest import seed_store
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack, SlackCall
from tests.reliability.conftest import attempts_at, bot_environment, recorded_attempts_at, said
from tests.serve_process import ServeProcess
from tests.support import ALICE, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, SLACK_BOT_TOKEN, WABA

INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"
USERS = tuple(f"U0USER{n:02d}" for n in range(20))

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

Fakes = tuple[FakeSlack, FakeKaleyra]


def is_reply(call: SlackCall) -> bool:
    return bool(call.params.get("thread_ts"))


def test_twenty_commands_for_one_number_across_two_processes_make_one_kaleyra_call(
    database_url: str, slack_fakes: Fakes, start_serve: Callable[..., ServeProcess]
) -> None:
    slack, kaleyra = slack_fakes
    seed_store(database_url, USERS)
    environment = bot_environment(slack, kaleyra, database_url)
    servers = [start_serve(**environment), start_serve(**environment)]
    for server in servers:
        server.wait_healthy()

    commands = [
        (servers[n % 2], slack_requests.slash_command(INLINE, user_id=user, response_url=slack.response_url(user)))
        for n, user in enumerate(USERS)
    ]
    with ThreadPoolExecutor(max_workers=len(commands)) as senders:
        statuses = list(senders.map(lambda job: job[0].send(job[1]).status_code, commands))
    assert statuses == [200] * len(USERS)

    (reply,) = slack.wait_for("chat.postMessage", where=is_reply, timeout=15)
    told = slack.wait_for("response_url", len(USERS) - 1, timeout=15)
    assert "OTP sent" in said(reply)
    assert all("cooldown" in said(call) for call in told)
    winner = next(user for user in USERS if f"<@{user}>" in said(reply))
    assert {call.path.rsplit("/", 1)[1] for call in told} == set(USERS) - {winner}
    assert len(kaleyra.requests) == 1
    statuses_in_audit = sorted(a.status for a in recorded_attempts_at(database_url))
    assert statuses_in_audit == ["refused_cooldown"] * (len(USERS) - 1) + ["sent"]


def test_one_persons_limit_holds_across_two_processes(
    database_url: str, slack_fakes: Fakes, start_serve: Callable[..., ServeProcess]
) -> None:
    slack, kaleyra = slack_fakes
    seed_store(database_url)
    environment = bot_environment(slack, kaleyra, database_url, RESENDS_PER_USER_PER_HOUR="3")
    servers = [start_serve(**environment), start_serve(**environment)]
    for server in servers:
        server.wait_healthy()

    numbers = [f"+91 98765 4{n:04d}" for n in range(10)]
    commands = [
        (
            servers[n % 2],
            slack_requests.slash_command(
                f"{WABA} {PHONE_NUMBER_ID} {number}", user_id=ALICE, response_url=slack.response_url(f"r{n}")
            ),
        )
        for n, number in enumerate(numbers)
    ]
    with ThreadPoolExecutor(max_workers=len(commands)) as senders:
        statuses = list(senders.map(lambda job: job[0].send(job[1]).status_code, commands))
    assert statuses == [200] * len(commands)

    told = slack.wait_for("response_url", len(numbers) - 3, timeout=15)
    assert all("limit of resends per person per hour" in said(call) for call in told)
    slack.wait_for("chat.postMessage", 3, where=is_reply, timeout=15)
    assert len(kaleyra.requests) == 3
    statuses_in_audit = sorted(a.status for a in recorded_attempts_at(database_url))
    assert statuses_in_audit == ["refused_rate_limited"] * (len(numbers) - 3) + ["sent"] * 3


def test_a_process_killed_mid_call_leaves_pending_which_the_next_start_marks_unknown_in_audit_and_channel(
    database_url: str,
    slack_fakes: Fakes,
    start_serve: Callable[..., ServeProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack, kaleyra = slack_fakes
    seed_store(database_url)
    environment = bot_environment(slack, kaleyra, database_url)
    server = start_serve(**environment)
    server.wait_healthy()
    kaleyra.queue("hang")
    assert server.send(slack_requests.slash_command(INLINE, user_id=ALICE)).status_code == 200
    kaleyra.wait_for_requests(1, timeout=10)
    (parent,) = slack.wait_for("chat.postMessage", timeout=10)
    assert "sending…" in said(parent)
    # The parent's ts is recorded just after Slack answers the post; the kill must come after it.
    deadline = time.monotonic() + 10
    while not attempts_at(database_url)[0].parent_ts and time.monotonic() < deadline:
        time.sleep(0.05)

    server.kill()
    (row,) = attempts_at(database_url)
    assert (row.status, row.completed_at) == ("pending", None)
    assert not slack.calls_to("chat.update")

    # Old enough that no live process can still be inside its call (2 × timeout + 30 s).
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE attempts SET created_at = created_at - interval '10 minutes'"))
    finally:
        engine.dispose()
    restarted = start_serve(**environment)
    restarted.wait_healthy()
    assert "marked 1 interrupted attempts as unknown" in restarted.output()
    (row,) = attempts_at(database_url)
    assert row.status == "unknown" and "may or may not have been sent" in (row.message or "")
    # The channel hears it too: the parent no longer says "sending…", but how to find out.
    (update,) = slack.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (parent.params["channel"], row.parent_ts)
    assert "outcome unknown" in said(update) and "may or may not have been sent" in said(update)
    assert f"/resend-otp history {WABA}" in said(update) and PHONE_MASKED in said(update)
    assert row.delivery == "channel"
    # Told once: a later start leaves it alone.
    restarted.kill()
    start_serve(**environment).wait_healthy()
    assert len(slack.calls_to("chat.update")) == 1

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli_main(["audit", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["id"], entry["status"], entry["phone_number"]) == (row.id, "unknown", PHONE_MASKED)


def test_sigterm_stops_accepting_finishes_the_call_in_flight_posts_it_and_exits_0_logging_no_secret(
    database_url: str, slack_fakes: Fakes, start_serve: Callable[..., ServeProcess]
) -> None:
    slack, kaleyra = slack_fakes
    seed_store(database_url)
    environment = bot_environment(slack, kaleyra, database_url, KALEYRA_TIMEOUT_SECONDS="20", LOG_LEVEL="DEBUG")
    server = start_serve(**environment, LOG_FORMAT="json")
    server.wait_healthy()
    assert server.send(slack_requests.slash_command(INLINE, user_id=ALICE, secret="forged")).status_code == 401
    kaleyra.queue("hang")
    assert server.send(slack_requests.slash_command(INLINE, user_id=ALICE)).status_code == 200
    kaleyra.wait_for_requests(1, timeout=10)

    server.signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except ConnectionRefusedError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("still accepting connections 10 s after SIGTERM")
    assert server.process.poll() is None, "exited with a Kaleyra call in flight"
    assert not [c for c in slack.calls_to("chat.postMessage") if is_reply(c)]

    kaleyra.release_hung()
    (reply,) = slack.wait_for("chat.postMessage", where=is_reply, timeout=10)
    assert "OTP sent" in said(reply)
    assert server.process.wait(timeout=15) == 0
    (row,) = attempts_at(database_url)
    assert (row.status, row.delivery) == ("sent", "channel")

    # Everything the process wrote at debug, gunicorn's lines included, and not one secret.
    written = server.output()
    assert '"level": "debug"' in written and "draining in-flight resends" in written
    for secret in (kaleyra.api_key, slack_requests.SIGNING_SECRET, SLACK_BOT_TOKEN):
        assert secret not in written
