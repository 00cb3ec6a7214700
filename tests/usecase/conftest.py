"""The use case's fixtures: a Resender on the seeded store and the fake Kaleyra, with the test's clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import KaleyraClient
from bot.resend import Resender
from tests.support import FakeClock


def build_resender(settings: Settings, sessions: sessionmaker[Session], clock: FakeClock) -> Resender:
    client = KaleyraClient(
        sid=settings.kaleyra_sid,
        api_key=settings.kaleyra_api_key,
        base_url=settings.kaleyra_url_for(),
        timeout_seconds=settings.kaleyra_timeout_seconds,
    )
    return Resender(settings, sessions, client, clock=clock)


@pytest.fixture
def make_resender(
    seeded: sessionmaker[Session], settings: Callable[..., Settings], clock: FakeClock
) -> Callable[..., Resender]:
    """A Resender on the seeded store, the fake Kaleyra and the test's clock; env overrides."""
    return lambda **env: build_resender(settings(**env), seeded, clock)
