"""The modal's submission: errors on the field concerned, re-authorisation, cooldown, the threaded outcome."""

from __future__ import annotations

from typing import Any

import pytest

from tests import slack_requests
from tests.slack.conftest import SlackBot, attempts, open_modal
from tests.support import ALICE, BOB, OTHER_WABA, PHONE, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, WABA

# FakeSlack numbers the messages it is sent from 100: the first one posted (the parent) gets this ts.
FIRST_TS = "1700000000.000100"

VALID = {"waba_id": WABA, "phone_number_id": PHONE_NUMBER_ID, "phone_number": PHONE_PASTED, "type_verification": "SMS"}


def submit(bot: SlackBot, view: dict[str, Any], user_id: str = ALICE, **fields: str | None) -> Any:
    """Submit `view` as `user_id` with VALID's fields overridden; the ack's JSON, or None for an empty ack."""
    values = slack_requests.state_values(**{**VALID, **fields})
    response = bot.send(slack_requests.view_submission(view, user_id=user_id, values=values))
    assert response.status_code == 200
    return response.json() if response.content else None


def assert_nothing_sent(bot: SlackBot) -> None:
    bot.settle()
    assert bot.kaleyra.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("waba_id", None, "Choose a WABA"),
        ("phone_number_id", "6789-abc", "digits Kaleyra returned"),
        ("phone_number", "+91 98765", "not a valid number"),
        ("phone_number", "call me", "only digits"),
        ("type_verification", "FAX", "SMS or VOICE"),
    ],
)
def test_an_invalid_field_is_flagged_on_its_block_and_nothing_is_sent(
    bot: SlackBot, field: str, value: str | None, says: str
) -> None:
    view = open_modal(bot, ALICE)
    ack = submit(bot, view, **{field: value})
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [field]
    assert says in ack["errors"][field]
    assert_nothing_sent(bot)
    assert [a.status for a in attempts(bot)] == ["refused_invalid"]


def test_every_invalid_field_is_flagged_at_once(bot: SlackBot) -> None:
    view = open_modal(bot, ALICE)
    ack = submit(bot, view, waba_id=None, phone_number_id="", phone_number="", type_verification="FAX")
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"waba_id", "phone_number_id", "phone_number", "type_verification"}
    assert_nothing_sent(bot)


def test_valid_submission_closes_the_modal_and_threads_the_outcome_under_its_parent(bot: SlackBot) -> None:
    view = open_modal(bot, ALICE, channel_id="C0ONBOARD")
    assert submit(bot, view) is None  # an empty ack closes the modal

    parent, reply = bot.slack.wait_for("chat.postMessage", 2)
    assert parent.params["channel"] == reply.params["channel"] == "C0ONBOARD"
    assert "thread_ts" not in parent.params
    assert PHONE_MASKED in parent.params["text"] and "Acme Retail" in parent.params["text"]
    assert "<@U0ALICE>" in parent.params["text"] and "sending" in parent.params["text"]
    assert reply.params["thread_ts"] == FIRST_TS
    assert "WA200" in reply.params["text"]

    (update,) = bot.slack.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C0ONBOARD", FIRST_TS)
    assert "OTP sent by SMS" in update.params["text"] and "sending" not in update.params["text"]
    assert reply.received_at <= update.received_at

    (sent,) = bot.kaleyra.requests
    assert sent.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "SMS"}
    bot.settle()
    (attempt,) = attempts(bot)
    assert (attempt.surface, attempt.status, attempt.thread_ts, attempt.delivery) == (
        "command",
        "sent",
        FIRST_TS,
        "channel",
    )


@pytest.mark.parametrize(
    ("waba_id", "says"),
    # Alike whether the WABA exists or not: Alice learns nothing of one she may not use.
    [(OTHER_WABA, f"You may not resend OTPs for WABA {OTHER_WABA}"), ("766999999999", "You may not resend OTPs")],
)
def test_a_waba_the_modal_never_offered_is_refused(bot: SlackBot, waba_id: str, says: str) -> None:
    view = open_modal(bot, ALICE)
    ack = submit(bot, view, waba_id=waba_id)
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == ["waba_id"] and says in ack["errors"]["waba_id"]
    assert_nothing_sent(bot)


def test_cooldown_is_an_error_on_the_phone_number_naming_who_asked(bot: SlackBot) -> None:
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE}", user_id=BOB))
    bot.kaleyra.wait_for_requests(1)
    bot.settle()

    view = open_modal(bot, ALICE)
    ack = submit(bot, view, phone_number="0091 98765 43210")
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == ["phone_number"]
    assert BOB in ack["errors"]["phone_number"] and "Try again after" in ack["errors"]["phone_number"]
    bot.settle()
    assert len(bot.kaleyra.requests) == 1
    assert [a.status for a in attempts(bot)] == ["sent", "refused_cooldown"]
