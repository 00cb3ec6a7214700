"""KALEYRA_DRY_RUN=1: every step but the Kaleyra call, and every outcome says it was a dry run."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from bot.store import access, wabas
from bot.store.db import make_engine, make_sessions, upgrade
from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra
from tests.serve_process import run_cli
from tests.slack.conftest import SlackBot, attempts, open_modal
from tests.support import ALICE, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, WABA, WABA_NAME


def test_slack_dry_run_calls_no_kaleyra_and_every_outcome_says_so(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(KALEYRA_DRY_RUN="1")
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id=ALICE))
    parent, reply = bot.slack.wait_for("chat.postMessage", 2)
    (update,) = bot.slack.wait_for("chat.update")
    view = open_modal(bot, ALICE, response_url=bot.slack.response_url())
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+91 98765 11111", "VOICE")
    bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))
    # The same number again: the cooldown holds in a dry run too, and its refusal says "dry run".
    again = slack_requests.slash_command(
        f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id=ALICE, response_url=bot.slack.response_url("again")
    )
    bot.send(again)
    bot.settle()

    assert bot.kaleyra.requests == []
    assert "dry run" in parent.params["text"].lower()  # staging channels must not read it as a real send
    assert "Dry run: would have sent an OTP by SMS" in reply.params["text"]
    assert PHONE_MASKED in reply.params["text"] and "DRY_RUN" in json.dumps(reply.params["blocks"])
    assert "dry run" in update.params["text"].lower()
    replies = bot.slack.calls_to("chat.postMessage")[2:]
    voice = [c for c in replies if "would have sent an OTP by VOICE" in c.params["text"]]
    assert len(voice) == 1 and "Dry run: would have sent" in voice[0].params["text"]
    (refused,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/again"))
    assert "Dry run: nothing was sent: this number is in cooldown" in refused.params["text"]

    rows = attempts(bot)
    assert [(r.status, r.dry_run) for r in rows] == [
        ("dry_run", True),
        ("dry_run", True),
        ("refused_cooldown", True),
    ]


def test_cli_retry_in_dry_run_says_so_and_marks_the_audit(tmp_path: Path, fake_kaleyra: FakeKaleyra) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'resend_otp.db'}")
    upgrade(engine)
    with make_sessions(engine).begin() as session:
        wabas.add_waba(session, WABA, WABA_NAME)
        access.add_grant(session, ALICE, WABA, by="test")
    engine.dispose()
    # No Kaleyra credentials at all: a dry run needs none, and the fake must see nothing.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "KALEYRA_BASE_URL": fake_kaleyra.base_url,
        "KALEYRA_DRY_RUN": "1",
        "PYTHONIOENCODING": "utf-8",
    }

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(args, tmp_path, env)

    retried = bot("retry", "--as", ALICE, "--waba", WABA, "--phone-number-id", PHONE_NUMBER_ID, "--phone", PHONE_PASTED)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith(f"Dry run: would have sent an OTP by SMS to {PHONE_MASKED} on {WABA_NAME}.")
    assert "Kaleyra was not called" in retried.stdout and "DRY_RUN" in retried.stdout
    assert fake_kaleyra.requests == []

    audit = bot("audit", "--json")
    assert audit.returncode == 0, audit.stderr
    (row,) = json.loads(audit.stdout)
    assert (row["status"], row["dry_run"], row["code"], row["surface"]) == ("dry_run", True, None, "cli")
