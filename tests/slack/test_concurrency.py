"""Kaleyra calls that hang must not starve new Slack requests of their ack (trigger ids die after 3 s)."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.slack.conftest import SlackBot
from tests.support import ALICE, BOB, PHONE_NUMBER_ID, PHONE_PASTED, WABA

HUNG = 10
INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"


def is_reply(call: SlackCall) -> bool:
    return "thread_ts" in call.params and "WA200" in call.params.get("text", "")


def timed_send(bot: SlackBot, signed: tuple[str, dict[str, str]]) -> float:
    started = time.monotonic()
    response = bot.send(signed)
    assert response.status_code == 200
    return time.monotonic() - started


def test_ten_hung_kaleyra_calls_do_not_delay_the_next_command(start_bot: Callable[..., SlackBot]) -> None:
    # Cooldown off: the same number again is what makes every command reach Kaleyra.
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    bot.kaleyra.queue(*["hang"] * HUNG)
    for _ in range(HUNG):
        assert timed_send(bot, slack_requests.slash_command(INLINE, user_id=BOB)) < 1.0
    bot.kaleyra.wait_for_requests(HUNG)

    trigger_id = "42.modal.while-hung"
    sent_at = time.monotonic()
    ack = timed_send(bot, slack_requests.slash_command("", user_id=ALICE, trigger_id=trigger_id))
    assert ack < 1.0, f"ack took {ack:.2f}s with {HUNG} Kaleyra calls hung"
    (opened,) = bot.slack.wait_for("views.open", where=lambda c: c.params.get("trigger_id") == trigger_id)
    assert opened.received_at - sent_at < 1.0

    # A new resend is not queued behind the hung ones either.
    assert timed_send(bot, slack_requests.slash_command(INLINE, user_id=ALICE)) < 1.0
    (reply,) = bot.slack.wait_for("chat.postMessage", where=is_reply)
    assert "<@U0ALICE>" in str(reply.params["blocks"])
    assert len(bot.kaleyra.requests) == HUNG + 1

    bot.kaleyra.release_hung()
    bot.slack.wait_for("chat.postMessage", HUNG + 1, where=is_reply)
    bot.settle()


def test_a_slow_slack_api_does_not_delay_the_first_ack(bot: SlackBot) -> None:
    # Bolt's default authorization calls auth.test on the first request, inside the 3 s window.
    bot.slack.hang("auth.test", 5)
    assert timed_send(bot, slack_requests.slash_command("help", user_id=ALICE)) < 1.0
    assert timed_send(bot, slack_requests.slash_command("", user_id=ALICE)) < 1.0
    bot.slack.wait_for("views.open")
