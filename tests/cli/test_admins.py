"""Admins and grants from the CLI: each change is made once, said plainly, audited, and undone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.cli.conftest import Ran
from tests.support import ALICE, MALLORY, OTHER_WABA, WABA

OPS = "U0OPS"


def ok(ran: Ran) -> str:
    assert ran.code == 0, ran.err
    return ran.out.strip()


def error(ran: Ran) -> str:
    assert ran.code == 1 and ran.out == "", ran.out
    assert ran.err.startswith("error: ") and "Traceback" not in ran.err
    return ran.err.strip()


def listed(cli: Callable[..., Ran], *args: str) -> list[dict[str, Any]]:
    """A list command's rows, through its --json."""
    rows: list[dict[str, Any]] = json.loads(ok(cli(*args, "--json")))
    return rows


def admin_actions(cli: Callable[..., Ran]) -> list[tuple[str, str]]:
    """(action, detail) of the admin audit, oldest first."""
    return [(row["action"], row["detail"]) for row in reversed(listed(cli, "audit", "--admin"))]


def grants_of(cli: Callable[..., Ran], *principal: str) -> list[list[str]]:
    return [[row["principal"], row["waba_id"]] for row in listed(cli, "grants", *principal)]


def test_an_admin_is_added_once_listed_and_removed(cli: Callable[..., Ran]) -> None:
    assert ok(cli("admins")) == "no admins: add one with `admin add USER`"

    assert ok(cli("admin", "add", OPS)) == f"{OPS} is now an admin."
    assert ok(cli("admin", "add", OPS)) == f"{OPS} was an admin already."
    ((row),) = listed(cli, "admins")
    assert (row["user"], row["source"], row["added_by"]) == (OPS, "admin add", "cli:operator")

    assert ok(cli("admin", "remove", OPS)) == f"{OPS} is no longer an admin."
    assert ok(cli("admins")) == "no admins: add one with `admin add USER`"
    assert error(cli("admin", "remove", OPS)) == f"error: {OPS} is not an admin in the store (see `admins`)"

    assert admin_actions(cli) == [("admin_add", OPS), ("admin_remove", OPS)]


def test_a_grant_is_made_once_and_revoking_a_missing_one_says_so(cli: Callable[..., Ran]) -> None:
    assert ok(cli("grant", MALLORY, OTHER_WABA)) == f"Granted WABA {OTHER_WABA} to {MALLORY}."
    assert ok(cli("grant", MALLORY, OTHER_WABA)) == f"{MALLORY} already had WABA {OTHER_WABA}."
    assert ok(cli("grant", ALICE, "*")) == f"Granted every WABA to {ALICE}."
    assert grants_of(cli, MALLORY) == [[MALLORY, OTHER_WABA]]

    assert ok(cli("grant", MALLORY, WABA)) == f"Granted WABA {WABA} to {MALLORY}."
    every = grants_of(cli)
    assert every == sorted(every) and [MALLORY, WABA] in every

    assert ok(cli("revoke", MALLORY, OTHER_WABA)) == f"Revoked {OTHER_WABA} from {MALLORY}."
    # Only that grant went: Mallory keeps Acme Retail.
    assert grants_of(cli, MALLORY) == [[MALLORY, WABA]]
    assert ok(cli("revoke", MALLORY, WABA)) == f"Revoked {WABA} from {MALLORY}."
    assert ok(cli("grants", MALLORY)) == f"no grants for {MALLORY}"
    missing = error(cli("revoke", MALLORY, WABA))
    assert missing == f"error: {MALLORY} has no grant for {WABA} (see `grants {MALLORY}`)"

    assert admin_actions(cli) == [
        ("grant", f"{MALLORY} {OTHER_WABA}"),
        ("grant", f"{ALICE} *"),
        ("grant", f"{MALLORY} {WABA}"),
        ("revoke", f"{MALLORY} {OTHER_WABA}"),
        ("revoke", f"{MALLORY} {WABA}"),
    ]
