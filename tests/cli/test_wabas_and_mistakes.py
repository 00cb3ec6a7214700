"""WABAs from the CLI, and what an operator reads when a command is written wrong: one line that says
what is wrong and how to write it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.cli.conftest import Ran
from tests.support import ALICE, OTHER_WABA, PHONE, PHONE_NUMBER_ID, WABA

NEW_WABA = "766000000003"


def test_a_waba_is_added_renamed_listed_and_removed(cli: Callable[..., Ran]) -> None:
    assert cli("waba", "add", NEW_WABA, "--name", " Gamma Pharma ").out == f"Added WABA {NEW_WABA} (Gamma Pharma).\n"
    renamed = cli("waba", "add", NEW_WABA, "--name", "Gamma", "--sid", "HXGAMMA", "--region", "eu")
    assert renamed.out.startswith(f"Updated WABA {NEW_WABA} (Gamma): name: 'Gamma Pharma' → 'Gamma'")
    gamma = {"waba_id": NEW_WABA, "name": "Gamma", "kaleyra_sid": "HXGAMMA", "region": "eu"}
    assert gamma in json.loads(cli("waba", "list", "--json").out)

    removed = cli("waba", "remove", NEW_WABA)
    assert removed.out == f"Removed WABA {NEW_WABA}; its grants stay until revoked.\n"
    assert [(w["waba_id"], w["name"]) for w in json.loads(cli("waba", "list", "--json").out)] == [
        (WABA, "Acme Retail"),
        (OTHER_WABA, "Beta Foods"),
    ]


MISTAKES = [
    (("waba", "add", "acme", "--name", "Acme"), "'acme' is not a WABA id: write its digits, e.g. 766123456789012"),
    (
        ("waba", "add", NEW_WABA, "--name", " "),
        "give the WABA a name of 1 to 200 characters, e.g. --name",
    ),
    (("waba", "add", NEW_WABA, "--name", "x" * 201), "give the WABA a name of 1 to 200 characters"),
    (("waba", "remove", NEW_WABA), f"WABA {NEW_WABA} is not one the bot knows (see `waba list`)"),
    (("grant", ALICE, "acme"), "'acme' is not a WABA id: write its digits, e.g. 766123456789012 or * for every WABA"),
    (("revoke", ALICE, "acme"), "'acme' is not a WABA id: write its digits, e.g. 766123456789012 or * for every WABA"),
    (("grant", ALICE, NEW_WABA), f"WABA {NEW_WABA} is not one the bot knows: add it first with `waba add`"),
    (
        ("grant", "alice", WABA),
        "'alice' is not a Slack user id (U…/W…) or user group id (S…): find it in the person's or group's Slack",
    ),
    (("revoke", "alice", WABA), "'alice' is not a Slack user id (U…/W…) or user group id (S…)"),
    (("admin", "add", "S0GROUP"), "'S0GROUP' is not a Slack user id (U… or W…)"),
]


@pytest.mark.parametrize(("args", "says"), MISTAKES, ids=[" ".join(m[0])[:40] for m in MISTAKES])
def test_a_mistake_is_one_line_that_says_how_to_write_it(
    cli: Callable[..., Ran], args: tuple[str, ...], says: str
) -> None:
    done = cli(*args)

    assert (done.code, done.out) == (1, "")
    assert done.err.startswith(f"error: {says}") and done.err.count("\n") == 1


@pytest.mark.parametrize(
    ("waba", "says"), [("acme", "The WABA id is digits only, e.g. 766123456789012."), (" ", "Choose a WABA.")]
)
def test_a_retry_names_what_is_wrong_with_the_waba(cli: Callable[..., Ran], waba: str, says: str) -> None:
    done = cli("retry", "--as", ALICE, "--waba", waba, "--phone-number-id", PHONE_NUMBER_ID, "--phone", PHONE)

    assert done.code == 1 and says in done.out


def test_waba_changes_are_audited_by_their_own_names(cli: Callable[..., Ran]) -> None:
    assert cli("waba", "add", NEW_WABA, "--name", "Gamma").code == 0
    assert cli("waba", "add", NEW_WABA, "--name", "Gamma Pharma").code == 0
    assert cli("waba", "remove", NEW_WABA).code == 0

    actions = [(row["action"], row["detail"].split()[0]) for row in json.loads(cli("audit", "--admin", "--json").out)]
    assert list(reversed(actions)) == [("waba_add", NEW_WABA), ("waba_update", NEW_WABA), ("waba_remove", NEW_WABA)]


def test_a_name_of_exactly_200_characters_is_a_name(cli: Callable[..., Ran]) -> None:
    assert cli("waba", "add", NEW_WABA, "--name", "x" * 200).code == 0


def test_lists_come_in_an_order_people_can_scan(cli: Callable[..., Ran]) -> None:
    cli("waba", "add", "766000000009", "--name", "Zeta Shoes")
    cli("waba", "add", "766000000008", "--name", "Alpha Bank")
    cli("admin", "add", "U0ZED")
    cli("admin", "add", "U0ABE")

    names = [row["name"] for row in json.loads(cli("waba", "list", "--json").out)]
    assert names == ["Acme Retail", "Alpha Bank", "Beta Foods", "Zeta Shoes"]
    assert [row["user"] for row in json.loads(cli("admins", "--json").out)] == ["U0ABE", "U0ZED"]
