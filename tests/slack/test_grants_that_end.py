"""Grants that end: `grant … for 8h` from Slack, `--for` from the CLI; an ended grant counts for nothing anywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.store import access
from tests import slack_requests
from tests.serve_process import run_cli
from tests.slack.conftest import SlackBot, attempts, open_modal, waba_options
from tests.slack.test_admin_commands import (
    LEAD,
    MALLORY_MENTION,
    audited,
    cli_env,
    command,
    resend_refused,
    resend_runs,
)
from tests.slack.test_app_home import open_home
from tests.support import MALLORY, OTHER_WABA, PHONE, PHONE_NUMBER_ID, WABA, FakeClock

HOURS_8 = 8 * 3600


def cli_run(bot: SlackBot, tmp_path: Path, *args: str) -> tuple[int, str]:
    """`python -m bot ARGS` whatever its exit code (a dry run: `retry` needs no Kaleyra key)."""
    done = run_cli(args, tmp_path, cli_env(bot, tmp_path), KALEYRA_DRY_RUN="1")
    return done.returncode, done.stdout + done.stderr


def home_text(bot: SlackBot, user_id: str) -> str:
    before = len(bot.slack.calls_to("views.publish"))
    assert bot.send(slack_requests.event({"type": "app_home_opened", "user": user_id, "tab": "home"})).status_code
    (published,) = bot.slack.wait_for("views.publish", before + 1)[before:]
    return json.dumps(published.params["view"]["blocks"])


def test_a_grant_for_8h_from_slack_works_shows_its_end_and_then_counts_for_nothing(
    start_bot: Callable[..., SlackBot], tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    bot = start_bot(clock=clock, ADMIN_USER_IDS=LEAD, OTP_COOLDOWN_SECONDS="0")
    ends = clock.now + timedelta(hours=8)

    reply = command(bot, LEAD, f"grant {MALLORY_MENTION} {OTHER_WABA} for 8h")

    assert reply == f"Granted WABA {OTHER_WABA} to {MALLORY} until {ends:%Y-%m-%d %H:%M} UTC."
    assert audited(bot)[-1] == (f"slack:{LEAD}", "grant", f"{MALLORY} {OTHER_WABA} until {ends:%Y-%m-%d %H:%M} UTC")
    listed = command(bot, LEAD, f"grants {MALLORY_MENTION}")
    assert listed.startswith(f"<@{MALLORY}> → Beta Foods `{OTHER_WABA}`, until <!date^{int(ends.timestamp())}^")
    assert "WA200" in resend_runs(bot, MALLORY, OTHER_WABA)
    home = home_text(bot, MALLORY)
    assert "Your access" in home and f"until <!date^{int(ends.timestamp())}^" in home
    assert waba_options(open_modal(bot, MALLORY)) == [OTHER_WABA]
    (sent,) = attempts(bot)

    clock.advance(HOURS_8)

    # Every surface, at the moment it ends: the inline command, the form, its submission, the
    # "Resend again" button, App Home, and the listing.
    assert "not allowed" in resend_refused(bot, MALLORY, OTHER_WABA)
    bot.send(slack_requests.slash_command("", user_id=MALLORY, response_url=bot.slack.response_url("form")))
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/form"))
    assert "no WhatsApp Business Accounts" in told.params["text"]
    view = open_modal(bot, "U0ALICE")
    values = slack_requests.state_values(OTHER_WABA, PHONE_NUMBER_ID, PHONE, "SMS")
    ack = bot.send(slack_requests.view_submission(view, user_id=MALLORY, values=values)).json()
    assert ack["response_action"] == "errors" and "may not" in ack["errors"]["waba_id"]
    bot.send(
        slack_requests.block_actions(
            "resend_again", str(sent.id), user_id=MALLORY, response_url=bot.slack.response_url("again")
        )
    )
    (again,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/again"))
    assert "not allowed" in again.params["text"]
    home = home_text(bot, MALLORY)
    assert "Your access" not in home and "no WhatsApp Business Accounts" in home
    assert ", ended <!date^" in command(bot, LEAD, f"grants {MALLORY_MENTION}")
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_the_cli_grants_for_a_while_lists_the_end_and_refuses_an_ended_grant(bot: SlackBot, tmp_path: Path) -> None:
    code, out = cli_run(bot, tmp_path, "grant", MALLORY, OTHER_WABA, "--for", "30m")
    assert code == 0 and out.startswith(f"Granted WABA {OTHER_WABA} to {MALLORY} until "), out
    code, out = cli_run(bot, tmp_path, "grants", MALLORY, "--json")
    (row,) = json.loads(out)
    ends_at = datetime.fromisoformat(row["ends_at"])
    assert timedelta(minutes=29) < ends_at - datetime.now(UTC) <= timedelta(minutes=30)
    assert row["ended"] is False
    code, out = cli_run(bot, tmp_path, "grant", MALLORY, OTHER_WABA, "--for", "8 hours")
    assert code == 2 and "1m, 30m, 8h or 7d" in out

    # Ended half an hour ago, as the store's clock sees it: `retry` is refused, `grants` says so.
    with bot.runtime.sessions.begin() as session:
        access.remove_grant(session, MALLORY, OTHER_WABA)
        access.add_grant(session, MALLORY, OTHER_WABA, by="test", expires_at=datetime.now(UTC) - timedelta(minutes=30))
    retry = ("retry", "--as", MALLORY, "--waba", OTHER_WABA, "--phone-number-id", PHONE_NUMBER_ID, "--phone", PHONE)
    code, out = cli_run(bot, tmp_path, *retry)
    assert code == 1 and "may not" in out
    code, out = cli_run(bot, tmp_path, "grants", MALLORY)
    header, line = out.splitlines()
    assert header.split()[-2:] == ["ends_at", "ended"] and line.rstrip().endswith("yes")
    assert bot.kaleyra.requests == []


def test_a_permanent_grant_has_no_end_anywhere(bot: SlackBot, tmp_path: Path) -> None:
    code, out = cli_run(bot, tmp_path, "grants", "U0ALICE", "--json")
    rows: list[dict[str, Any]] = json.loads(out)
    assert [(r["waba_id"], r["ends_at"], r["ended"]) for r in rows] == [(WABA, None, False)]
    assert "until revoked" in json.dumps(open_home(bot, "U0ALICE")["blocks"])
