"""What the CLI shows of phone numbers: the country code and the last 4 digits, never more, and
never a crash on a number that was stored as someone typed it."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.cli.conftest import Ran
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import ALICE, PHONE_NUMBER_ID, WABA

RETRY = ("retry", "--as", ALICE, "--waba", WABA, "--phone-number-id", PHONE_NUMBER_ID)
# Niue: a 4-digit national number. Its "last 4 digits" are the whole number, so none is shown.
SHORT = "+683 4002"
SHORT_MASKED = "+683\u2022\u2022\u2022\u2022"


def test_a_short_national_number_is_never_shown(cli: Callable[..., Ran], fake_kaleyra: FakeKaleyra) -> None:
    retried = cli(*RETRY, "--phone", SHORT)

    assert retried.code == 0, retried.err
    assert f"OTP sent by SMS to {SHORT_MASKED}" in retried.out
    (request,) = fake_kaleyra.requests
    assert request.json["phone_number"] == "+6834002"
    audit = cli("audit")
    (row,) = json.loads(cli("audit", "--json").out)
    assert SHORT_MASKED in audit.out and row["phone_number"] == SHORT_MASKED
    for shown in (retried.out, audit.out, audit.err):
        assert "4002" not in shown


def test_a_refusal_that_kept_an_unreadable_number_is_listed_not_a_crash(cli: Callable[..., Ran]) -> None:
    refused = cli(*RETRY, "--phone", "call me")
    assert refused.code == 1 and "INVALID" in refused.out

    audit = cli("audit")

    assert audit.code == 0, audit.err
    (line,) = audit.out.splitlines()[1:]
    assert "refused_invalid" in line and ALICE in line
    (row,) = json.loads(cli("audit", "--json").out)
    assert row["status"] == "refused_invalid"
