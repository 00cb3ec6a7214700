"""The "Resend again" button on an outcome: the same resend, in the same thread, within the rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.models import CooldownClaim
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.slack.conftest import SlackBot, attempts
from tests.support import ALICE, MALLORY, PHONE, PHONE_MASKED, PHONE_NUMBER_ID, WABA, WABA_NAME

CHANNEL = "C0ONBOARD"
REPLY_TS = "1700000000.000900"


def resend_by_command(bot: SlackBot) -> tuple[SlackCall, dict[str, Any]]:
    """Alice's inline voice resend; returns its threaded outcome and the outcome's "Resend again" button."""
    bot.send(
        slack_requests.slash_command(
            f"{WABA} {PHONE_NUMBER_ID} +91 98765 43210 voice", user_id=ALICE, channel_id=CHANNEL
        )
    )
    _parent, reply = bot.slack.wait_for("chat.postMessage", 2)
    buttons = [
        element
        for block in reply.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "resend_again"
    ]
    assert len(buttons) == 1, reply.params["blocks"]
    return reply, buttons[0]


def click(bot: SlackBot, reply: SlackCall, button: dict[str, Any], user_id: str) -> None:
    """Click the button as it sits in the outcome message, a reply in the command's thread."""
    message = {
        "type": "message",
        "bot_id": "BBOT",
        "ts": REPLY_TS,
        "thread_ts": reply.params["thread_ts"],
        "text": reply.params["text"],
        "blocks": reply.params["blocks"],
    }
    response = bot.send(
        slack_requests.block_actions(
            "resend_again",
            button["value"],
            user_id=user_id,
            channel_id=CHANNEL,
            message_ts=REPLY_TS,
            message=message,
            response_url=bot.slack.response_url(f"click-{user_id}"),
        )
    )
    assert response.status_code == 200


def test_resend_again_repeats_the_same_resend_in_the_same_thread(start_bot: Callable[..., SlackBot]) -> None:
    bot: SlackBot = start_bot(OTP_COOLDOWN_SECONDS="0")
    reply, button = resend_by_command(bot)
    # Slack shows this before anything happens: another code replaces the customer's last one.
    assert PHONE_MASKED in button["confirm"]["text"]["text"]

    click(bot, reply, button, ALICE)

    again = bot.slack.wait_for("chat.postMessage", 3)[2]
    first, second = bot.kaleyra.requests
    assert second.path == first.path
    assert second.json == first.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "VOICE"}
    assert (again.params["channel"], again.params["thread_ts"]) == (CHANNEL, reply.params["thread_ts"])
    assert "WA200" in again.params["text"]
    bot.settle()
    assert len(bot.slack.calls_to("chat.postMessage")) == 3  # no second parent: the thread is the record
    row = attempts(bot)[-1]
    assert (row.user_id, row.surface, row.status, row.thread_ts) == (ALICE, "button", "sent", reply.params["thread_ts"])
    # The new outcome's own button repeats the attempt it just made.
    assert f"'value': '{row.id}'" in str(again.params["blocks"])


def test_a_second_resend_within_the_cooldown_is_refused_to_the_clicker_with_its_end_time(bot: SlackBot) -> None:
    reply, button = resend_by_command(bot)

    click(bot, reply, button, ALICE)

    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"click-{ALICE}"))
    assert told.params["response_type"] == "ephemeral"
    assert told.params["replace_original"] is False
    assert "cooldown" in told.params["text"]
    with bot.runtime.sessions() as session:
        ends = session.get_one(CooldownClaim, (WABA, PHONE)).expires_at
    assert ends > datetime.now(UTC) + timedelta(seconds=50)
    shown = str(told.params["blocks"])
    # Slack renders <!date^…> in each reader's time zone; the fallback says UTC.
    assert f"Try again after <!date^{int(ends.timestamp())}^" in shown
    assert f"{ends:%H:%M:%S} UTC" in shown
    # Nothing was sent and nothing was said in the channel: only the first resend happened.
    bot.settle()
    assert len(bot.kaleyra.requests) == 1
    assert len(bot.slack.calls_to("chat.postMessage")) == 2
    assert bot.slack.calls_to("chat.postEphemeral") == []


def test_someone_who_may_not_see_the_attempt_learns_nothing_about_it(start_bot: Callable[..., SlackBot]) -> None:
    # No cooldown: a refusal here can only come from who may see the attempt.
    bot: SlackBot = start_bot(OTP_COOLDOWN_SECONDS="0")
    reply, button = resend_by_command(bot)

    click(bot, reply, button, MALLORY)

    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"click-{MALLORY}"))
    assert told.params["response_type"] == "ephemeral"
    assert "not one you can resend" in told.params["text"]
    said = json.dumps(told.params)
    assert WABA_NAME not in said and WABA not in said and PHONE_MASKED not in said
    bot.settle()
    assert len(bot.kaleyra.requests) == 1
    assert len(bot.slack.calls_to("chat.postMessage")) == 2
    assert [a.user_id for a in attempts(bot)] == [ALICE]
