"""The cooldown claim: atomic across threads and engines, expiring, releasable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.cooldown import Claim, Held, claim_cooldown, release_cooldown
from bot.store.db import make_sessions
from bot.store.models import CooldownClaim
from tests.support import ALICE, BOB, MALLORY, OTHER_WABA, PHONE, WABA, FakeClock

CONTENDERS = 20


def claim(sessions: sessionmaker[Session], user: str, clock: FakeClock, *, waba: str = WABA, seconds: int = 60):
    with sessions.begin() as session:
        return claim_cooldown(session, waba_id=waba, phone_number=PHONE, user_id=user, now=clock(), seconds=seconds)


@pytest.mark.parametrize("earlier_claim", ["none", "expired"])
def test_twenty_threads_claiming_at_once_one_wins(
    migrated: Engine, engines: Callable[[], Engine], clock: FakeClock, earlier_claim: str
) -> None:
    # Two engines: like two worker processes sharing the database.
    pools = [make_sessions(migrated), make_sessions(engines())]
    if earlier_claim == "expired":
        assert isinstance(claim(pools[0], MALLORY, clock), Claim)
        clock.advance(60)
    barrier = threading.Barrier(CONTENDERS)

    def contend(n: int) -> Claim | Held:
        sessions = pools[n % 2]
        with sessions() as session:
            session.connection()  # connect before the barrier, so the claims really collide
        barrier.wait(timeout=10)
        return claim(sessions, f"U{n:04d}", clock)

    with ThreadPoolExecutor(CONTENDERS) as pool:
        results = list(pool.map(contend, range(CONTENDERS)))

    winners = [r for r in results if isinstance(r, Claim)]
    assert len(winners) == 1
    held = [r for r in results if isinstance(r, Held)]
    assert len(held) == CONTENDERS - 1
    with pools[0]() as session:
        (row,) = session.scalars(select(CooldownClaim)).all()
    # Everyone who lost is told who won and until when.
    assert {h.user_id for h in held} == {row.user_id}
    assert {h.expires_at for h in held} == {clock.now + timedelta(seconds=60)}
    assert row.claim_token == winners[0].token


def test_a_live_claim_is_held_until_it_expires_then_retaken(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    first = claim(sessions, ALICE, clock)
    assert isinstance(first, Claim)

    clock.advance(59)
    held = claim(sessions, BOB, clock)
    assert isinstance(held, Held)
    assert held.user_id == ALICE
    assert held.expires_at == held.claimed_at + timedelta(seconds=60)

    clock.advance(1)
    assert isinstance(claim(sessions, BOB, clock), Claim)
    again = claim(sessions, MALLORY, clock)
    assert isinstance(again, Held) and again.user_id == BOB


def test_the_same_person_is_held_too(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    assert isinstance(claim(sessions, ALICE, clock), Claim)
    assert isinstance(claim(sessions, ALICE, clock), Held)


def test_claims_are_per_waba_and_number(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    assert isinstance(claim(sessions, ALICE, clock), Claim)
    assert isinstance(claim(sessions, ALICE, clock, waba=OTHER_WABA), Claim)


def test_release_frees_the_number_at_once(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    first = claim(sessions, ALICE, clock)
    assert isinstance(first, Claim)
    with sessions.begin() as session:
        release_cooldown(session, first)

    assert isinstance(claim(sessions, BOB, clock), Claim)


def test_a_late_release_does_not_free_someone_elses_claim(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    stale = claim(sessions, ALICE, clock)
    assert isinstance(stale, Claim)
    clock.advance(61)
    assert isinstance(claim(sessions, BOB, clock), Claim)

    # Alice's slow call finally ends with "sent nothing": Bob's claim must stay.
    with sessions.begin() as session:
        release_cooldown(session, stale)

    held = claim(sessions, MALLORY, clock)
    assert isinstance(held, Held) and held.user_id == BOB
