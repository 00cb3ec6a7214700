"""The use case's fixtures: a Resender on the seeded store, the fake Kaleyra and the test's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import KaleyraClient
from bot.network import NetworkLoop
from bot.request import ResendRequest
from bot.resend import Resender
from bot.resend_values import Origin, Requester, ResendResult
from bot.store.models import Attempt
from tests.support import ALICE, PHONE_NUMBER_ID, PHONE_PASTED, WABA, FakeClock

REQUEST = ResendRequest(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
SLACK = Origin("command", channel_id="C0ALERTS", thread_ts="1700000000.000100")


def build_resender(
    settings: Settings, sessions: sessionmaker[Session], clock: FakeClock, network: NetworkLoop
) -> Resender:
    return Resender(settings, sessions, KaleyraClient.from_settings(settings, network), clock=clock)


@pytest.fixture
def make_resender(
    seeded: sessionmaker[Session], settings: Callable[..., Settings], clock: FakeClock, network: NetworkLoop
) -> Callable[..., Resender]:
    """A Resender on the seeded store, the fake Kaleyra and the test's clock; env overrides."""
    return lambda **env: build_resender(settings(**env), seeded, clock, network)


def resend(resender: Resender, user: str = ALICE, groups: frozenset[str] = frozenset(), **fields: str) -> ResendResult:
    return resender.resend(Requester(user, groups), SLACK, replace(REQUEST, **fields))


def audit_rows(sessions: sessionmaker[Session]) -> list[Attempt]:
    with sessions() as session:
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))
