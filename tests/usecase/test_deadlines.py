"""The Kaleyra deadline, on each side of "the request went out": what the person is told and what the
cooldown does. A request that never left frees the number; one that may have reached Kaleyra keeps it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.explain import explain
from bot.network import NetworkLoop
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.stalling import StallingServer
from tests.support import FakeClock
from tests.usecase.conftest import build_resender
from tests.usecase.test_resend import audit_rows, resend


# httpcore does not close the socket when a deadline cancels its TLS handshake (it closes on errors,
# not on cancellation): the garbage collector does, with a ResourceWarning. Collected here, in scope.
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
def test_deadline_before_the_request_went_out_is_unreachable_and_frees_the_number(
    settings: Callable[..., Settings],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    network: NetworkLoop,
) -> None:
    # TCP connects, the TLS handshake never completes: the request cannot have been sent.
    with StallingServer(read_headers=False) as silent:
        env = settings(KALEYRA_BASE_URL=f"https://127.0.0.1:{silent.port}", KALEYRA_TIMEOUT_SECONDS="1")
        first = resend(build_resender(env, seeded, clock, network))
        assert silent.connected.is_set()
    gc.collect()

    told = explain(first)
    assert (first.status, told.code) == ("unreachable", "UNREACHABLE")
    assert "nothing was sent" in told.headline
    assert first.retry_at is None
    (row,) = audit_rows(seeded)
    assert (row.status, row.code, row.message) == ("unreachable", None, "No connection before the deadline")
    assert row.completed_at is not None

    # Nothing went out, so the number is free for a retry at once, by anyone.
    assert resend(build_resender(settings(), seeded, clock, network)).status == "sent"
    assert len(fake_kaleyra.requests) == 1


def test_deadline_after_the_request_went_out_is_a_timeout_and_keeps_the_number(
    settings: Callable[..., Settings],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    network: NetworkLoop,
) -> None:
    with StallingServer(read_headers=True) as stalled:
        env = settings(KALEYRA_BASE_URL=f"http://127.0.0.1:{stalled.port}", KALEYRA_TIMEOUT_SECONDS="1")
        first = resend(build_resender(env, seeded, clock, network))
        (head,) = stalled.heads

    assert head.startswith(b"POST /v2/")
    told = explain(first)
    assert (first.status, told.code) == ("timeout", "TIMEOUT")
    assert "may or may not have been sent" in told.advice
    assert first.retry_at is not None
    (row,) = audit_rows(seeded)
    # What `audit` and history show for it.
    assert (row.status, row.code, row.message) == ("timeout", None, "No answer before the deadline")

    # An OTP may be on its way: the next ask is held, and Kaleyra is not called again.
    second = resend(build_resender(settings(), seeded, clock, network))
    assert second.status == "refused_cooldown"
    assert fake_kaleyra.requests == []
