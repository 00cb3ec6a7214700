"""Slack misbehaves: rate limits are waited out, outcomes find another way to the person, and a
result that reaches nobody is recorded and logged, never dropped silently."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests import slack_requests
from tests.fakes.kaleyra import unused_port
from tests.reliability.conftest import said, stored_attempts, timed_send
from tests.slack.conftest import SlackBot
from tests.support import ALICE, PHONE, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, WABA

INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"
SHORTCUT = "resend_otp_from_message"
ALERT_TS = "1712345678.000200"


def test_rate_limited_views_open_is_retried_after_retry_after_and_the_modal_opens(bot: SlackBot) -> None:
    bot.slack.rate_limit("views.open", retry_after=1)
    response, ack = timed_send(bot, slack_requests.slash_command("", user_id=ALICE))
    assert response.status_code == 200 and ack < 3.0

    limited, opened = bot.slack.wait_for("views.open", 2)
    assert (limited.status, opened.status) == (429, 200)
    assert opened.params["trigger_id"] == limited.params["trigger_id"]
    # Slack's trigger ids live 3 s: waiting Retry-After (1 s, plus slack_sdk's jitter) still fits.
    assert 1.0 <= opened.received_at - limited.received_at < 3.0
    bot.settle()
    assert not bot.slack.calls_to("response_url") and not bot.slack.calls_to("chat.postEphemeral")


def test_alert_outcome_the_thread_refuses_goes_to_the_shortcuts_response_url(bot: SlackBot) -> None:
    alert = {"ts": ALERT_TS, "text": f"OTP not received: WABA {WABA}, phone number id {PHONE_NUMBER_ID}, {PHONE}"}
    bot.send(
        slack_requests.message_shortcut(
            SHORTCUT, alert, user_id=ALICE, channel_id="C0ALERTS", response_url=bot.slack.response_url("shortcut")
        )
    )
    (opened,) = bot.slack.wait_for("views.open")
    bot.slack.fail("chat.postMessage", "not_in_channel")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    submitted = bot.send(slack_requests.view_submission(opened.params["view"], user_id=ALICE, values=values))
    assert submitted.status_code == 200 and not submitted.content, "the modal closes"

    (refused,) = bot.slack.wait_for("chat.postMessage")
    assert refused.params["thread_ts"] == ALERT_TS
    (told,) = bot.slack.wait_for("response_url")
    assert told.path.endswith("/shortcut") and "OTP sent" in said(told) and PHONE_MASKED in said(told)
    bot.settle()
    assert len(bot.kaleyra.requests) == 1, "a delivery problem must never resend the OTP"
    (row,) = stored_attempts(bot.runtime.sessions)
    assert (row.surface, row.status, row.delivery) == ("shortcut", "sent", "response_url")


def test_expired_trigger_tells_the_person_to_run_the_command_again(bot: SlackBot) -> None:
    bot.slack.fail("views.open", "expired_trigger_id")
    response, ack = timed_send(
        bot, slack_requests.slash_command("", user_id=ALICE, response_url=bot.slack.response_url("alice"))
    )
    assert response.status_code == 200 and ack < 3.0
    (told,) = bot.slack.wait_for("response_url")
    assert "run the command again" in said(told)
    assert not bot.kaleyra.requests


def test_slack_down_records_and_logs_the_undelivered_outcome(
    start_bot: Callable[..., SlackBot], caplog: pytest.LogCaptureFixture
) -> None:
    """Every Slack call fails (nothing listens at SLACK_API_URL or the response_url)."""
    bot = start_bot(SLACK_API_URL=f"http://127.0.0.1:{unused_port()}/api/")
    caplog.set_level(logging.INFO)
    dead_response_url = f"http://127.0.0.1:{unused_port()}/response_url/dead"
    response, ack = timed_send(bot, slack_requests.slash_command(INLINE, user_id=ALICE, response_url=dead_response_url))
    assert response.status_code == 200 and ack < 3.0

    bot.kaleyra.wait_for_requests(1)
    bot.settle()
    (row,) = stored_attempts(bot.runtime.sessions)
    assert (row.status, row.code, row.delivery) == ("sent", "WA200", "failed")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot")]
    assert [r.getMessage() for r in errors] == [f"outcome of attempt {row.id} reached nobody"]
    assert not bot.slack.calls, "Slack was supposed to be unreachable"
