"""A WABA's owners grant and revoke that WABA only; admins name them, from Slack or the CLI; all of it audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.slack.conftest import SlackBot
from tests.slack.test_admin_commands import LEAD, MALLORY_MENTION, audited, cli, command, resend_refused, resend_runs
from tests.support import ALICE, MALLORY, OTHER_WABA, WABA

OWNER = "U0OWNER"
OWNER_MENTION = f"<@{OWNER}|owner>"


def test_an_owner_grants_and_revokes_their_waba_and_nothing_else(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(ADMIN_USER_IDS=LEAD)
    assert command(bot, OWNER, f"grant {MALLORY_MENTION} {WABA}").startswith("Only the bot's admins and the owners")

    added = command(bot, LEAD, f"owner add {OWNER_MENTION} {WABA}")

    assert added == f"{OWNER} now owns WABA {WABA}: they may grant, revoke and approve requests for it."
    assert command(bot, LEAD, "owners") == f"`{WABA}` <@{OWNER}>"
    assert command(bot, OWNER, f"grant {MALLORY_MENTION} {WABA} for 1h").startswith(f"Granted WABA {WABA} to {MALLORY}")
    assert "WA200" in resend_runs(bot, MALLORY, WABA)
    assert command(bot, OWNER, f"revoke <@{ALICE}|alice> {WABA}") == f"Revoked {WABA} from {ALICE}."
    assert "not allowed" in resend_refused(bot, ALICE, WABA)
    # Not another WABA, not every WABA, and not the admins' own commands.
    refused = {
        f"grant {MALLORY_MENTION} {OTHER_WABA}": f"Only the bot's admins and the owners of WABA {OTHER_WABA}",
        f"grant {MALLORY_MENTION} *": "Only the bot's admins may grant or revoke every WABA",
        f"owner add {MALLORY_MENTION} {WABA}": "Only the bot's admins may use `owner`",
        "owners": "Only the bot's admins may use `owners`",
        "waba list": "Only the bot's admins may use `waba`",
    }
    for text, says in refused.items():
        assert command(bot, OWNER, text).startswith(says), text
    assert "not allowed" in resend_refused(bot, MALLORY, OTHER_WABA)

    assert command(bot, LEAD, f"owner remove {OWNER_MENTION} {WABA}") == f"{OWNER} no longer owns WABA {WABA}."
    assert command(bot, OWNER, f"grant {MALLORY_MENTION} {WABA}").startswith("Only the bot's admins and the owners")
    actions = [(actor, action) for actor, action, _ in audited(bot)]
    assert actions == [
        (f"slack:{LEAD}", "owner_add"),
        (f"slack:{OWNER}", "grant"),
        (f"slack:{OWNER}", "revoke"),
        (f"slack:{LEAD}", "owner_remove"),
    ]


def test_the_cli_names_owners_lists_them_and_audits_it(bot: SlackBot, tmp_path: Path) -> None:
    assert cli(bot, tmp_path, "owner", "add", OWNER, WABA).startswith(f"{OWNER} now owns WABA {WABA}")
    assert cli(bot, tmp_path, "owner", "add", ALICE, OTHER_WABA).startswith(f"{ALICE} now owns WABA {OTHER_WABA}")
    rows = json.loads(cli(bot, tmp_path, "owners", WABA, "--json"))
    assert [(r["waba_id"], r["waba_name"], r["user"], r["added_by"]) for r in rows] == [
        (WABA, "Acme Retail", OWNER, "cli:operator")
    ]
    header, *lines = cli(bot, tmp_path, "owners").splitlines()
    assert header.split() == ["waba_id", "waba_name", "user", "added_by", "added_at"]
    assert len(lines) == 2
    assert cli(bot, tmp_path, "owner", "remove", OWNER, WABA).strip() == f"{OWNER} no longer owns WABA {WABA}."
    assert cli(bot, tmp_path, "owners", WABA).strip() == f"no owners for WABA {WABA}"
    admin_log = cli(bot, tmp_path, "audit", "--admin")
    assert "owner_add" in admin_log and "owner_remove" in admin_log
