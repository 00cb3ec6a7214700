"""`retry` with values longer than the audit's columns: refused and audited, never "store unavailable"."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.cli.conftest import Ran


def test_overlong_arguments_are_refused_and_audited_cut_to_their_columns(cli: Callable[..., Ran]) -> None:
    user, waba, phone_number_id, phone = "U" * 65, "7" * 65, "6" * 65, "9" * 65

    done = cli("retry", "--as", user, "--waba", waba, "--phone-number-id", phone_number_id, "--phone", phone)

    assert done.code == 1 and "INVALID" in done.out, done.out + done.err
    (row,) = json.loads(cli("audit", "--json").out)
    assert (row["user"], row["waba_id"], row["status"]) == (user[:64], waba[:64], "refused_invalid")
