"""The "Resend WhatsApp OTP" Workflow Builder step: signed function_executed events in, the step ended once.

A Kaleyra outcome completes the step (functions.completeSuccess) with its outputs; a refusal fails it
(functions.completeError) with the plain-language reason; both with the run's own token.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.slack.request_log import request_user
from bot.store.models import CooldownClaim
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.slack.conftest import SlackBot, attempts
from tests.support import (
    ALICE,
    BOB,
    MALLORY,
    OTHER_WABA,
    OTHER_WABA_NAME,
    PHONE,
    PHONE_NUMBER_ID,
    PHONE_PASTED,
    WABA,
    WABA_NAME,
)

WORKFLOW_CHANNEL = "C0WORKFLOW"


def step_inputs(user_id: str, waba_id: str = WABA, **more: str) -> dict[str, Any]:
    """What Workflow Builder maps into the step's inputs (type_verification left to its default)."""
    return {
        "waba_id": waba_id,
        "phone_number_id": PHONE_NUMBER_ID,
        "phone_number": PHONE_PASTED,
        "user_id": user_id,
        **more,
    }


def run_step(bot: SlackBot, inputs: dict[str, Any], **event: Any) -> tuple[str, dict[str, str]]:
    """Send the event; assert the ack is an empty 200 well inside Slack's 3 s; the signed request."""
    signed = slack_requests.function_executed(inputs, **event)
    started = time.monotonic()
    response = bot.send(signed)
    assert response.status_code == 200 and not response.content
    assert time.monotonic() - started < 1.0
    return signed


def ending(bot: SlackBot, method: str, timeout: float = 5.0) -> SlackCall:
    (call,) = bot.slack.wait_for(method, timeout=timeout)
    return call


def event_of(signed: tuple[str, dict[str, str]]) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(signed[0])["event"]
    return event


@pytest.mark.parametrize(
    ("scenario", "status", "code", "words"),
    [
        ("WA200", "sent", "WA200", "OTP sent by SMS to +91••••••3210 on Acme Retail."),
        # Kaleyra failing is an outcome the workflow can branch on, not a failure of the step.
        ("WA500_later", "upstream_error", "WA500", "Kaleyra failed to process the request."),
    ],
)
def test_a_granted_user_completes_the_step_with_the_outcome(
    bot: SlackBot, scenario: str, status: str, code: str, words: str
) -> None:
    bot.kaleyra.queue(scenario)
    signed = run_step(bot, step_inputs(ALICE, channel_id=WORKFLOW_CHANNEL))

    done = ending(bot, "functions.completeSuccess")
    event = event_of(signed)
    assert done.params["function_execution_id"] == event["function_execution_id"]
    # Ended with the token Slack issued for this run, not the bot token.
    assert done.token == event["bot_access_token"]
    (row,) = attempts(bot)
    outputs = done.params["outputs"]
    assert outputs == {"status": status, "code": code, "message": outputs["message"], "attempt_id": str(row.id)}
    assert outputs["message"].startswith(words)
    (sent,) = bot.kaleyra.requests
    assert sent.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "SMS"}
    assert (row.user_id, row.surface, row.channel_id, row.status) == (ALICE, "workflow", WORKFLOW_CHANNEL, status)
    bot.settle()
    assert bot.slack.calls_to("functions.completeError") == []


def test_a_member_of_a_granted_group_completes_a_voice_resend(bot: SlackBot) -> None:
    run_step(bot, step_inputs(BOB, OTHER_WABA, type_verification="VOICE"))

    done = ending(bot, "functions.completeSuccess")
    assert (done.params["outputs"]["status"], done.params["outputs"]["code"]) == ("sent", "WA200")
    assert OTHER_WABA_NAME in done.params["outputs"]["message"]
    (sent,) = bot.kaleyra.requests
    assert sent.json["type_verification"] == "VOICE"
    (row,) = attempts(bot)
    # No channel input mapped: the audit has none rather than a guess.
    assert (row.user_id, row.surface, row.channel_id) == (BOB, "workflow", None)


def test_an_ungranted_user_fails_the_step_readably_and_nothing_is_sent(bot: SlackBot) -> None:
    run_step(bot, step_inputs(MALLORY))

    failed = ending(bot, "functions.completeError")
    error = failed.params["error"]
    assert error.startswith("Nothing was sent: not allowed.")
    assert "ask an admin for access" in error
    # A refusal never names a WABA the person may not use.
    assert WABA_NAME not in error
    bot.settle()
    assert bot.kaleyra.requests == []
    assert bot.slack.calls_to("functions.completeSuccess") == []
    (row,) = attempts(bot)
    assert (row.user_id, row.surface, row.status) == (MALLORY, "workflow", "refused_not_allowed")


def test_a_number_in_cooldown_fails_the_step_with_when_to_retry(bot: SlackBot) -> None:
    run_step(bot, step_inputs(ALICE))
    ending(bot, "functions.completeSuccess")

    run_step(bot, step_inputs(BOB))

    failed = ending(bot, "functions.completeError")
    with bot.runtime.sessions() as session:
        ends = session.get_one(CooldownClaim, (WABA, PHONE)).expires_at
    error = failed.params["error"]
    assert error.startswith("Nothing was sent: this number is in cooldown.")
    assert f"{ALICE} asked for an OTP to this number" in error
    assert error.endswith(f"Try again after {ends:%H:%M:%S} UTC.")
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_a_person_over_the_hourly_limit_fails_the_step_with_when_the_next_is_possible(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot = start_bot(RESENDS_PER_USER_PER_HOUR="1")
    run_step(bot, step_inputs(ALICE))
    ending(bot, "functions.completeSuccess")

    # Another number: only the person's own limit can refuse it.
    run_step(bot, step_inputs(ALICE, phone_number="+91 98765 43211"))

    failed = ending(bot, "functions.completeError")
    assert failed.params["error"].startswith("Nothing was sent: you have reached the limit of resends per person")
    assert re.search(r"The next one is possible after \d\d:\d\d:\d\d UTC\.$", failed.params["error"])
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_a_hung_kaleyra_completes_the_step_as_timeout_within_the_deadline(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(KALEYRA_TIMEOUT_SECONDS="1")
    bot.kaleyra.queue("hang")
    started = time.monotonic()
    run_step(bot, step_inputs(ALICE))

    done = ending(bot, "functions.completeSuccess", timeout=5.0)
    took = time.monotonic() - started
    outputs = done.params["outputs"]
    assert (outputs["status"], outputs["code"]) == ("timeout", "TIMEOUT")
    assert "the outcome is unknown" in outputs["message"]
    # The deadline is the Kaleyra call's own (1 s here), plus the bot's bookkeeping.
    assert 1.0 <= took < 2.5
    (row,) = attempts(bot)
    assert row.status == "timeout"


def test_a_redelivered_event_runs_the_step_once(bot: SlackBot) -> None:
    first = run_step(bot, step_inputs(ALICE))
    event = event_of(first)
    event_id = json.loads(first[0])["event_id"]

    # Slack re-sends an event it thinks was missed: a new signature, the same event_id and run.
    run_step(
        bot,
        event["inputs"],
        event_id=event_id,
        function_execution_id=event["function_execution_id"],
        bot_access_token=event["bot_access_token"],
    )

    ending(bot, "functions.completeSuccess")
    bot.settle()
    assert len(bot.kaleyra.requests) == 1
    assert len(attempts(bot)) == 1
    assert len(bot.slack.calls_to("functions.completeSuccess")) == 1
    assert bot.slack.calls_to("functions.completeError") == []


def test_a_step_without_its_user_fails_and_sends_nothing(bot: SlackBot) -> None:
    run_step(bot, step_inputs(""))

    failed = ending(bot, "functions.completeError")
    assert "map the step's User input" in failed.params["error"]
    bot.settle()
    assert bot.kaleyra.requests == []
    assert attempts(bot) == []


def test_the_request_log_names_the_person_the_step_runs_for() -> None:
    body = json.loads(slack_requests.function_executed(step_inputs(ALICE))[0])
    assert request_user(body) == ALICE
