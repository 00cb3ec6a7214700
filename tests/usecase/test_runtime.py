"""The runtime `serve` and the CLI build: the same use case, wired from settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.config import Settings
from bot.request import ResendRequest
from bot.resend import Origin, Requester
from bot.runtime import Runtime, build_runtime, recover_interrupted_attempts
from bot.store import attempts
from bot.store.db import StoreError
from bot.store.models import Attempt, utcnow
from tests.fakes.kaleyra import FakeKaleyra
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
