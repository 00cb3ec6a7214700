"""A surface tells the person as soon as Kaleyra answers; the outcome and where it was told are then recorded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.resend import Resender
from bot.resend_values import Requester, ResendResult, Started, Told
from bot.status import Status
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import ALICE
from tests.usecase.conftest import REQUEST, SLACK, audit_rows


def started(resender: Resender) -> Started:
    begun = resender.start(Requester(ALICE), SLACK, REQUEST)
    assert isinstance(begun, Started)
    return begun


def test_the_person_is_told_before_the_outcome_is_recorded_and_where_is_recorded_with_it(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session]
) -> None:
    resender = make_resender()
    seen_while_telling: list[tuple[Status, str | None]] = []

    def tell(result: ResendResult) -> Told:
        (row,) = audit_rows(seeded)
        seen_while_telling.append((result.status, row.status))
        return Told("channel", "1700000000.000200")

    result = resender.call(started(resender)).result(tell=tell)

    # The person heard "sent" while the row still said pending: nobody waits on the store to hear.
    assert seen_while_telling == [(Status.SENT, "pending")]
    (row,) = audit_rows(seeded)
    assert (result.status, row.status, row.code, row.delivery, row.thread_ts) == (
        "sent",
        "sent",
        "WA200",
        "channel",
        "1700000000.000200",
    )
    assert row.completed_at is not None


def test_an_outcome_is_recorded_even_when_telling_it_fails(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session]
) -> None:
    resender = make_resender()

    def tell(result: ResendResult) -> Told:
        raise RuntimeError("Slack fell over")

    with pytest.raises(RuntimeError, match="Slack fell over"):
        resender.call(started(resender)).result(tell=tell)

    # Kaleyra was called: the audit must say so, and that the outcome reached nobody on record.
    (row,) = audit_rows(seeded)
    assert (row.status, row.code, row.delivery) == ("sent", "WA200", None)
    assert row.completed_at is not None


@pytest.mark.parametrize(("dry_run", "warm_ups"), [("0", 1), ("1", 0)])
def test_opening_the_form_opens_a_kaleyra_connection_unless_it_is_a_dry_run(
    make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra, dry_run: str, warm_ups: int
) -> None:
    opening = make_resender(KALEYRA_DRY_RUN=dry_run).open_connection()
    if opening is not None:
        opening.result(timeout=5)
    # A dry run never calls Kaleyra, not even to say hello.
    assert len(fake_kaleyra.warm_ups) == warm_ups
