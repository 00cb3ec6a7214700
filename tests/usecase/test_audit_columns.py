"""What people type is audited cut to its column, on PostgreSQL, which (unlike SQLite) refuses a value
one character too long: the refusal would be lost from the audit and the person told "store unavailable"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.resend import Resender
from bot.resend_values import Origin, Requester
from tests.support import ALICE
from tests.usecase.test_resend import REQUEST, audit_rows

# field as typed, its column, the column's size
TYPED = [("waba_id", 64), ("phone_number_id", 64), ("phone_number", 64), ("verification", 8)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("extra", [0, 1], ids=["at-size", "past-size"])
@pytest.mark.parametrize(("name", "size"), TYPED, ids=[t[0] for t in TYPED])
def test_an_overlong_field_is_refused_and_audited_cut_to_its_column(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], name: str, size: int, extra: int
) -> None:
    typed = "9" * (size + extra)

    result = make_resender().resend(Requester(ALICE), Origin("command"), replace(REQUEST, **{name: typed}))

    assert result.status == "refused_invalid"
    (row,) = audit_rows(seeded)
    assert row.status == "refused_invalid"
    assert getattr(row, name) == typed[:size]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("extra", [0, 1], ids=["at-size", "past-size"])
def test_an_overlong_requester_and_surface_are_audited_cut_to_their_columns(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], extra: int
) -> None:
    user_id, surface = "U" * (64 + extra), "s" * (16 + extra)

    result = make_resender().resend(Requester(user_id), Origin(surface), REQUEST)

    assert result.status == "refused_not_allowed"
    (row,) = audit_rows(seeded)
    assert (row.user_id, row.surface, row.status) == (user_id[:64], surface[:16], "refused_not_allowed")


@pytest.mark.parametrize(
    ("verification", "audited"), [("voice", "VOICE"), (None, "")], ids=["typed-lower", "not-given"]
)
def test_a_refusal_audits_what_was_typed_nul_removed_and_the_type_upper_cased(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], verification: str | None, audited: str
) -> None:
    # PostgreSQL refuses NUL in text: kept, it would lose the refusal from the audit.
    typed = replace(REQUEST, phone_number="+91 98\x0076", verification=verification)

    result = make_resender().resend(Requester(ALICE), Origin("command"), typed)

    assert result.status == "refused_invalid"
    (row,) = audit_rows(seeded)
    assert (row.status, row.phone_number, row.verification) == ("refused_invalid", "+91 9876", audited)
