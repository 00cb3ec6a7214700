"""Admins manage grants and WABAs from Slack; everyone else is refused; every change is audited."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import access, wabas
from bot.store.admin_log import recent_admin_actions
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.serve_process import run_cli
from tests.slack.conftest import SlackBot
from tests.support import ALICE, MALLORY, OTHER_WABA, PHONE_NUMBER_ID, WABA

LEAD = "U0LEAD"  # an admin through ADMIN_USER_IDS
OPS = "U0OPS"  # an admin added to the store with `admin add`
SUPPORT_GROUP = "S0SUPPORT"
NEW_WABA = "766000000003"
OTHER_SID = "HXEU16OTHER97EU"
# As Slack sends mentions in a command's text when the command escapes them (manifest: should_escape).
MALLORY_MENTION = f"<@{MALLORY}|mallory>"
SUPPORT_MENTION = f"<!subteam^{SUPPORT_GROUP}|@support>"

_replies = itertools.count(1)


def command(bot: SlackBot, user_id: str, text: str) -> str:
    """Run `/resend-otp TEXT` as `user_id` and return what the bot answered them."""
    name = f"reply-{next(_replies)}"
    signed = slack_requests.slash_command(text, user_id=user_id, response_url=bot.slack.response_url(name))
    assert bot.send(signed).status_code == 200
    (reply,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    assert reply.params["response_type"] == "ephemeral"
    return str(reply.params["text"])


def send_resend(bot: SlackBot, user_id: str, waba_id: str) -> str:
    """Send an inline resend as `user_id`; returns the name of its response_url."""
    name = f"resend-{next(_replies)}"
    signed = slack_requests.slash_command(
        f"{waba_id} {PHONE_NUMBER_ID} +91 98765 43210", user_id=user_id, response_url=bot.slack.response_url(name)
    )
    assert bot.send(signed).status_code == 200
    return name


def resend_runs(bot: SlackBot, user_id: str, waba_id: str) -> str:
    """An inline resend that goes through: its threaded outcome's text."""

    def outcome_for_user(call: SlackCall) -> bool:
        return bool(call.params.get("thread_ts")) and f"Asked by <@{user_id}>" in str(call.params.get("blocks"))

    before = len([c for c in bot.slack.calls_to("chat.postMessage") if outcome_for_user(c)])
    send_resend(bot, user_id, waba_id)
    outcome = bot.slack.wait_for("chat.postMessage", before + 1, where=outcome_for_user)[-1]
    return str(outcome.params["text"])


def resend_refused(bot: SlackBot, user_id: str, waba_id: str) -> str:
    """An inline resend that is refused: what the user alone was told."""
    name = send_resend(bot, user_id, waba_id)
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    return str(told.params["text"])


def cli_env(bot: SlackBot, tmp_path: Path) -> dict[str, str]:
    """The environment an operator's `python -m bot` has, on the bot's database."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "USER": "operator",
        "PYTHONIOENCODING": "utf-8",
        "DATABASE_URL": bot.runtime.settings.database_url,
    }


def cli(bot: SlackBot, tmp_path: Path, *args: str) -> str:
    """`python -m bot ARGS` as an operator runs it, on the bot's database."""
    done = run_cli(args, tmp_path, cli_env(bot, tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout


def audited(bot: SlackBot) -> list[tuple[str, str, str]]:
    """Admin changes in the store, oldest first, as (actor, action, detail)."""
    with bot.runtime.sessions() as session:
        return [(a.actor, a.action, a.detail) for a in reversed(recent_admin_actions(session, 50))]


@pytest.fixture
def admin_bot(start_bot: Callable[..., SlackBot]) -> SlackBot:
    return start_bot(ADMIN_USER_IDS=f"U0SOMEONE, {LEAD}")


@pytest.mark.parametrize("how", ["ADMIN_USER_IDS", "admin add"])
def test_an_admins_grant_by_mention_makes_the_users_next_command_work(
    start_bot: Callable[..., SlackBot], tmp_path: Path, how: str
) -> None:
    if how == "ADMIN_USER_IDS":
        bot, admin = start_bot(ADMIN_USER_IDS=LEAD), LEAD
    else:
        bot, admin = start_bot(), OPS
        assert cli(bot, tmp_path, "admin", "add", OPS).strip() == f"{OPS} is now an admin."
    assert "not allowed" in resend_refused(bot, MALLORY, WABA)

    reply = command(bot, admin, f"grant {MALLORY_MENTION} {WABA}")

    assert reply == f"Granted WABA {WABA} to {MALLORY}."
    assert "WA200" in resend_runs(bot, MALLORY, WABA)
    (request,) = bot.kaleyra.requests
    assert request.path.endswith(f"/whatsapp/{WABA}/number/retry_otp")
    # Granted exactly what was asked: Beta Foods is still out of reach.
    assert "not allowed" in resend_refused(bot, MALLORY, OTHER_WABA)
    assert audited(bot)[-1] == (f"slack:{admin}", "grant", f"{MALLORY} {WABA}")


def test_a_grant_to_a_group_mention_reaches_its_members(admin_bot: SlackBot) -> None:
    bot = admin_bot
    bot.slack.usergroups[SUPPORT_GROUP] = [MALLORY]
    assert "not allowed" in resend_refused(bot, MALLORY, OTHER_WABA)

    assert command(bot, LEAD, f"grant {SUPPORT_MENTION} *") == f"Granted every WABA to {SUPPORT_GROUP}."

    assert "WA200" in resend_runs(bot, MALLORY, OTHER_WABA)
    assert bot.kaleyra.requests[-1].path.endswith(f"/whatsapp/{OTHER_WABA}/number/retry_otp")
    grants = command(bot, LEAD, f"grants {SUPPORT_MENTION}")
    assert grants == f"<!subteam^{SUPPORT_GROUP}> → every WABA, until revoked"


def test_a_non_admins_changes_are_refused_and_change_nothing(admin_bot: SlackBot) -> None:
    bot = admin_bot
    with bot.runtime.sessions() as session:
        grants_before = [(g.principal, g.waba_id) for g in access.list_grants(session)]

    for text, says in (
        (f"grant {MALLORY_MENTION} *", "Only the bot's admins may grant or revoke every WABA"),
        (f"revoke <@{ALICE}|alice> {WABA}", f"Only the bot's admins and the owners of WABA {WABA} may change"),
        (f"waba add {NEW_WABA} Mine", "Only the bot's admins may use"),
    ):
        reply = command(bot, MALLORY, text)
        assert reply.startswith(says), reply

    with bot.runtime.sessions() as session:
        assert [(g.principal, g.waba_id) for g in access.list_grants(session)] == grants_before
        assert wabas.get_waba(session, NEW_WABA) is None
    assert audited(bot) == []
    assert "not allowed" in resend_refused(bot, MALLORY, WABA)
    assert "WA200" in resend_runs(bot, ALICE, WABA)  # Alice's grant survived the attempted revoke
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_waba_and_grant_changes_are_all_audited_in_the_store_and_the_cli(admin_bot: SlackBot, tmp_path: Path) -> None:
    bot = admin_bot

    assert command(bot, LEAD, f"waba add {NEW_WABA} Gamma Pharma") == f"Added WABA {NEW_WABA} (Gamma Pharma)."
    listed = command(bot, LEAD, "waba list").splitlines()
    assert f"`{NEW_WABA}` Gamma Pharma" in listed
    assert f"`{WABA}` Acme Retail" in listed and f"`{OTHER_WABA}` Beta Foods" in listed

    assert command(bot, LEAD, f"grant {MALLORY_MENTION} {NEW_WABA}") == f"Granted WABA {NEW_WABA} to {MALLORY}."
    assert command(bot, LEAD, f"grants <@{MALLORY}>") == f"<@{MALLORY}> → Gamma Pharma `{NEW_WABA}`, until revoked"
    assert command(bot, LEAD, f"revoke {MALLORY_MENTION} {NEW_WABA}") == f"Revoked {NEW_WABA} from {MALLORY}."
    assert command(bot, LEAD, f"grants {MALLORY_MENTION}") == f"No grants for <@{MALLORY}>."
    assert command(bot, LEAD, f"waba remove {NEW_WABA}").startswith(f"Removed WABA {NEW_WABA}")
    assert f"`{NEW_WABA}` Gamma Pharma" not in command(bot, LEAD, "waba list").splitlines()
    # A mistake is explained with the way to write it, and changes nothing.
    mistake = command(bot, LEAD, f"grant {MALLORY_MENTION} 999")
    assert "not one the bot knows" in mistake and "/resend-otp grant" in mistake

    expected = [
        (f"slack:{LEAD}", "waba_add", f"{NEW_WABA} Gamma Pharma"),
        (f"slack:{LEAD}", "grant", f"{MALLORY} {NEW_WABA}"),
        (f"slack:{LEAD}", "revoke", f"{MALLORY} {NEW_WABA}"),
        (f"slack:{LEAD}", "waba_remove", NEW_WABA),
    ]
    assert audited(bot) == expected
    # What an operator reads: when, who, what, newest first.
    header, *lines = cli(bot, tmp_path, "audit", "--admin").splitlines()
    assert header.split() == ["at", "actor", "action", "detail"]
    rows = [re.split(r"\s{2,}", line) for line in lines]
    assert [tuple(row[1:]) for row in reversed(rows)] == expected
    for row in rows:
        assert datetime.fromisoformat(row[0]) > datetime.now(UTC) - timedelta(minutes=5)


def test_renaming_a_waba_from_slack_keeps_its_kaleyra_account_and_logs_old_and_new(
    admin_bot: SlackBot, tmp_path: Path
) -> None:
    bot = admin_bot
    cli(bot, tmp_path, "waba", "add", WABA, "--name", "Acme Retail", "--sid", OTHER_SID, "--region", "eu")

    renamed = command(bot, LEAD, f"waba add {WABA} Acme Retail EU")
    resend_runs(bot, ALICE, WABA)
    (call,) = bot.kaleyra.requests
    assert call.path.startswith(f"/v2/{OTHER_SID}/whatsapp/{WABA}/"), "the rename dropped the SID override"
    assert renamed == f"Updated WABA {WABA} (Acme Retail EU): name: 'Acme Retail' → 'Acme Retail EU'."
    listed = [line.split("  ") for line in cli(bot, tmp_path, "waba", "list").splitlines()]
    assert [WABA, "Acme Retail EU", OTHER_SID, "eu"] in [[cell.strip() for cell in row if cell] for row in listed]
    assert audited(bot) == [
        (
            "cli:operator",
            "waba_update",
            f"{WABA} sid: (the bot's default) → '{OTHER_SID}'; region: (the bot's default) → 'eu'",
        ),
        (f"slack:{LEAD}", "waba_update", f"{WABA} name: 'Acme Retail' → 'Acme Retail EU'"),
    ]


def test_an_admin_removed_in_the_store_can_no_longer_change_grants_from_slack(
    start_bot: Callable[..., SlackBot], tmp_path: Path
) -> None:
    bot = start_bot()
    assert cli(bot, tmp_path, "admin", "add", OPS).strip() == f"{OPS} is now an admin."
    assert command(bot, OPS, f"grant {MALLORY_MENTION} {WABA}") == f"Granted WABA {WABA} to {MALLORY}."

    assert cli(bot, tmp_path, "admin", "remove", OPS).strip() == f"{OPS} is no longer an admin."

    assert command(bot, OPS, f"revoke {MALLORY_MENTION} {WABA}").startswith("Only the bot's admins")
    assert "WA200" in resend_runs(bot, MALLORY, WABA)  # the refused revoke changed nothing
