"""The per-person limit and the bound on audited refusals, on SQLite and PostgreSQL.

(Across two real `serve` processes on PostgreSQL: tests/reliability/test_processes.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.explain import explain
from bot.resend import Resender
from bot.store.limits import REFUSAL_BURST
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import ALICE, MALLORY, OTHER_WABA, FakeClock
from tests.usecase.conftest import audit_rows, resend

NUMBERS = [f"+91 98765 4{n:04d}" for n in range(8)]


def test_a_person_past_their_hourly_limit_is_told_when_the_next_resend_is_possible(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra, clock: FakeClock
) -> None:
    resender = make_resender(RESENDS_PER_USER_PER_HOUR="3")
    first_at = clock.now
    for number in NUMBERS[:3]:
        assert resend(resender, phone_number=number).status == "sent"
        clock.advance(600)

    refused = resend(resender, phone_number=NUMBERS[3])
    assert refused.status == "refused_rate_limited" and refused.retry_at == first_at + timedelta(hours=1)
    told = explain(refused).as_text()
    assert "limit of resends per person per hour" in told and "10:30:00 UTC" in told and "RATE_LIMITED" in told
    assert len(fake_kaleyra.requests) == 3
    assert [r.status for r in audit_rows(seeded)] == ["sent"] * 3 + ["refused_rate_limited"]

    # The first resend leaves the rolling hour: one more, then the second's turn.
    clock.now = first_at + timedelta(hours=1, seconds=1)
    assert resend(resender, phone_number=NUMBERS[3]).status == "sent"
    assert resend(resender, phone_number=NUMBERS[4]).status == "refused_rate_limited"


def test_limit_zero_turns_it_off(make_resender: Callable[..., Resender], clock: FakeClock) -> None:
    resender = make_resender(RESENDS_PER_USER_PER_HOUR="0")
    for number in NUMBERS:
        assert resend(resender, phone_number=number).status == "sent"


def test_refusals_beyond_a_burst_are_counted_on_one_row_per_kind_and_none_is_lost(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender()
    refusals = REFUSAL_BURST * 3
    for n in range(refusals):
        result = resend(resender, MALLORY, phone_number="12" if n % 2 else NUMBERS[0], waba_id=OTHER_WABA)
        # Every refusal still tells the person why, counted on a row or not.
        assert result.status.startswith("refused_") and result.field_errors and result.attempt_id

    rows = audit_rows(seeded)
    assert len(rows) == REFUSAL_BURST  # the burst; the rest counted on the last row of their kind
    assert sum(1 + row.repeats for row in rows) == refusals
    assert {row.status for row in rows} == {"refused_invalid", "refused_not_allowed"}
    assert fake_kaleyra.requests == []
    # Someone else's refusals are their own: not folded into the flooder's.
    assert resend(resender, ALICE, waba_id=OTHER_WABA).attempt_id == len(rows) + 1
