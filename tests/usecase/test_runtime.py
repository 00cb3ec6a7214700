"""The runtime `serve` and the CLI build: the same use case, wired from settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select

from bot.config import Settings
from bot.recovery import announce_interrupted
from bot.request import ResendRequest
from bot.resend_values import Origin, Requester
from bot.runtime import Runtime, build_runtime, recover_interrupted_attempts
from bot.store import attempts
from bot.store.db import StoreError
from bot.store.models import Attempt, utcnow
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.slack import FakeSlack
from tests.support import ALICE, PHONE, PHONE_NUMBER_ID, WABA


def test_runtime_resends_through_the_configured_kaleyra(runtime: Runtime, fake_kaleyra: FakeKaleyra) -> None:
    result = runtime.resender.resend(
        Requester(ALICE), Origin("command", "C1"), ResendRequest(WABA, PHONE_NUMBER_ID, PHONE)
    )

    assert result.status == "sent"
    assert len(fake_kaleyra.requests) == 1


def test_runtime_refuses_an_unmigrated_store(engines: Callable[[], Engine], settings: Callable[..., Settings]) -> None:
    engines()  # the database exists, empty
    with pytest.raises(StoreError, match="db upgrade"):
        build_runtime(settings())


def test_attempts_left_pending_by_a_dead_process_become_unknown(runtime: Runtime) -> None:
    fields = {"user_id": ALICE, "surface": "command", "waba_id": WABA, "phone_number": PHONE}
    fields |= {"phone_number_id": PHONE_NUMBER_ID, "verification": "SMS"}
    with runtime.sessions.begin() as session:
        attempts.start_attempt(session, created_at=utcnow() - timedelta(hours=1), **fields)
        # Another worker may still be inside this call: left alone.
        attempts.start_attempt(session, created_at=utcnow(), **fields)

    assert recover_interrupted_attempts(runtime) == 1

    with runtime.sessions() as session:
        statuses = list(session.scalars(select(Attempt.status).order_by(Attempt.id)))
    assert statuses == ["unknown", "pending"]


def test_interrupted_parents_are_told_once_and_a_gone_message_is_given_up_on(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fields = {"user_id": ALICE, "surface": "command", "waba_id": WABA, "phone_number": PHONE}
    fields |= {"phone_number_id": PHONE_NUMBER_ID, "verification": "SMS"}
    with runtime.sessions.begin() as session:
        for n in range(3):
            attempt = attempts.start_attempt(session, created_at=utcnow() - timedelta(hours=1), **fields)
            attempts.record_parent(session, attempt.id, "C0ALERTS", f"1700000000.00000{n}")
    recover_interrupted_attempts(runtime)
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url, timeout=2)

    unreachable = WebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{unused_port()}/api/", timeout=2)
    assert announce_interrupted(unreachable, runtime.sessions) == 0  # Slack down: every parent waits for next time
    fake_slack.fail("chat.update", "message_not_found")
    assert announce_interrupted(client, runtime.sessions) == 2
    assert announce_interrupted(client, runtime.sessions) == 0

    updates = fake_slack.calls_to("chat.update")
    assert [call.params["ts"] for call in updates] == [f"1700000000.00000{n}" for n in (2, 1, 0)]
    assert all("outcome unknown" in call.params["text"] for call in updates)
    with runtime.sessions() as session:
        deliveries = list(session.scalars(select(Attempt.delivery).order_by(Attempt.id)))
    assert deliveries == ["channel", "channel", "failed"]
