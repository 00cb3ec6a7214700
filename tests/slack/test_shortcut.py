"""The "Resend OTP" message shortcut on an alert: a prefilled modal, the outcome in the alert's thread."""

from __future__ import annotations

from typing import Any

import pytest

from tests import slack_requests
from tests.slack.conftest import SlackBot, attempts, waba_options
from tests.support import (
    ALICE,
    MALLORY,
    OTHER_WABA,
    OTHER_WABA_NAME,
    PHONE,
    PHONE_MASKED,
    PHONE_NUMBER_ID,
    WABA,
    WABA_NAME,
)

CALLBACK_ID = "resend_otp_from_message"
CHANNEL = "C0ALERTS"
ALERT_TS = "1712345678.000200"
THREAD_TS = "1712345600.000100"

# What an alerting integration posts in #alerts: mrkdwn labels, code spans, a tel: link.
ALERT_TEXT = (
    ":rotating_light: *Onboarding stuck: OTP not received*\n"
    f"*WABA:* `{WABA}` ({WABA_NAME})\n"
    f"*Phone number id:* `{PHONE_NUMBER_ID}`\n"
    "*Number:* <tel:+919876543210|+91 98765 43210>"
)


def shortcut_on(bot: SlackBot, message: dict[str, Any], user_id: str = ALICE) -> dict[str, Any]:
    """Run the shortcut on `message` and return the modal it opened."""
    response = bot.send(
        slack_requests.message_shortcut(
            CALLBACK_ID,
            {"user": "U0ALERTBOT", **message},
            user_id=user_id,
            channel_id=CHANNEL,
            response_url=bot.slack.response_url("shortcut"),
        )
    )
    assert response.status_code == 200
    (opened,) = bot.slack.wait_for("views.open")
    return opened.params["view"]


def fields_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's input elements by block id."""
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def notices_of(view: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def submit(bot: SlackBot, view: dict[str, Any], waba_id: str | None, user_id: str = ALICE) -> Any:
    """Submit the modal with its prefilled values (and `waba_id` chosen)."""
    fields = fields_of(view)
    values = slack_requests.state_values(
        waba_id=waba_id,
        phone_number_id=fields["phone_number_id"].get("initial_value"),
        phone_number=fields["phone_number"].get("initial_value"),
        type_verification="SMS",
    )
    return bot.send(slack_requests.view_submission(view, user_id=user_id, values=values))


@pytest.mark.parametrize(
    ("message", "expected_thread"),
    [
        pytest.param({"ts": ALERT_TS, "text": ALERT_TEXT}, ALERT_TS, id="top-level-alert"),
        pytest.param(
            {
                "ts": ALERT_TS,
                "thread_ts": THREAD_TS,
                "text": f"Still stuck: WABA {WABA}, phone number id {PHONE_NUMBER_ID}, number +91 98765-43210",
            },
            THREAD_TS,
            id="alert-inside-a-thread",
        ),
    ],
)
def test_shortcut_answers_in_the_alerts_thread_without_a_parent_message(
    bot: SlackBot, message: dict[str, Any], expected_thread: str
) -> None:
    view = shortcut_on(bot, message)

    assert submit(bot, view, WABA).status_code == 200

    bot.slack.wait_for("chat.postMessage")
    bot.settle()
    (request,) = bot.kaleyra.requests
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "SMS"}
    # Only the reply: a shortcut never posts a parent of its own in the alerts channel.
    (reply,) = bot.slack.calls_to("chat.postMessage")
    assert reply.params["channel"] == CHANNEL
    assert reply.params["thread_ts"] == expected_thread
    assert "WA200" in reply.params["text"]
    assert PHONE_MASKED in str(reply.params["blocks"])
    assert PHONE.removeprefix("+91") not in str(reply.params)
    assert bot.slack.calls_to("chat.update") == []
    (attempt,) = attempts(bot)
    assert (attempt.surface, attempt.channel_id, attempt.thread_ts) == ("shortcut", CHANNEL, expected_thread)
    assert attempt.delivery == "channel"


def test_modal_is_prefilled_from_the_alert(bot: SlackBot) -> None:
    view = shortcut_on(bot, {"ts": ALERT_TS, "text": ALERT_TEXT})

    fields = fields_of(view)
    assert fields["waba_id"]["initial_option"]["value"] == WABA
    assert WABA_NAME in fields["waba_id"]["initial_option"]["text"]["text"]
    assert fields["phone_number_id"]["initial_value"] == PHONE_NUMBER_ID
    # The tel: link's target, normalised: what was pasted in the alert need not be retyped.
    assert fields["phone_number"]["initial_value"] == PHONE
    assert fields["type_verification"]["initial_option"]["value"] == "SMS"
    assert notices_of(view) == ""


def test_a_waba_the_user_may_not_use_is_named_not_preselected(bot: SlackBot) -> None:
    # Alice is granted Acme only; the alert is about Beta Foods.
    alert = {"ts": ALERT_TS, "text": ALERT_TEXT.replace(WABA, OTHER_WABA)}
    view = shortcut_on(bot, alert)

    fields = fields_of(view)
    assert "initial_option" not in fields["waba_id"]
    assert waba_options(view) == [WABA]
    assert OTHER_WABA in notices_of(view)
    assert "not one of yours" in notices_of(view) and OTHER_WABA_NAME not in notices_of(view)
    # The rest of the alert is still filled in.
    assert fields["phone_number_id"]["initial_value"] == PHONE_NUMBER_ID
    assert fields["phone_number"]["initial_value"] == PHONE

    # Sending the alert's WABA anyway (a forged submission) is refused in the modal.
    refused = submit(bot, view, OTHER_WABA)
    assert refused.json()["response_action"] == "errors"
    # The refusal names only what Alice typed, not what the bot knows of that WABA.
    assert OTHER_WABA in refused.json()["errors"]["waba_id"]
    assert OTHER_WABA_NAME not in refused.text
    bot.settle()
    assert bot.kaleyra.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []


def test_a_user_with_no_wabas_is_told_why_instead_of_a_modal(bot: SlackBot) -> None:
    response = bot.send(
        slack_requests.message_shortcut(
            CALLBACK_ID,
            {"ts": ALERT_TS, "text": ALERT_TEXT},
            user_id=MALLORY,
            channel_id=CHANNEL,
            response_url=bot.slack.response_url("shortcut"),
        )
    )
    assert response.status_code == 200
    (told,) = bot.slack.wait_for("response_url")
    assert "no WhatsApp Business Accounts" in told.params["text"]
    assert told.params["response_type"] == "ephemeral"
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


# PagerDuty and Opsgenie post their details as attachment fields; Alertmanager and
# Datadog templates often use section blocks. The message's own `text` is a summary.
ATTACHMENT_ALERT = {
    "text": "",
    "attachments": [
        {
            "color": "#d9534f",
            "fallback": "[Triggered] OTP not received",
            "title": "[Triggered] #4821 OTP not received during onboarding",
            "title_link": "https://acme.pagerduty.com/incidents/Q0RIJJZL24RC6W",
            "fields": [
                {"title": "WABA ID", "value": WABA, "short": True},
                {"title": "Phone Number ID", "value": PHONE_NUMBER_ID, "short": True},
                {"title": "Phone", "value": "+91 98765-43210", "short": True},
                {"title": "Priority", "value": "P2", "short": True},
            ],
            "footer": "PagerDuty",
            "ts": 1712345678,
        }
    ],
}
BLOCKS_ALERT = {
    "text": "[FIRING:1] OnboardingOtpNotReceived",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "[FIRING:1] OnboardingOtpNotReceived"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*waba_id:*\n{WABA}"},
                {"type": "mrkdwn", "text": f"*phone_number_id:*\n{PHONE_NUMBER_ID}"},
                {"type": "mrkdwn", "text": "*msisdn:*\n+91 98765 43210"},
            ],
        },
    ],
}


@pytest.mark.parametrize(
    "alert",
    [pytest.param(ATTACHMENT_ALERT, id="attachment-fields"), pytest.param(BLOCKS_ALERT, id="section-blocks")],
)
def test_fields_are_read_from_attachments_and_blocks(bot: SlackBot, alert: dict[str, Any]) -> None:
    view = shortcut_on(bot, {"ts": ALERT_TS, **alert})

    fields = fields_of(view)
    assert fields["waba_id"]["initial_option"]["value"] == WABA
    assert fields["phone_number_id"]["initial_value"] == PHONE_NUMBER_ID
    assert fields["phone_number"]["initial_value"] == PHONE


def test_an_alert_naming_nothing_opens_an_empty_form_that_still_answers_in_its_thread(bot: SlackBot) -> None:
    view = shortcut_on(bot, {"ts": ALERT_TS, "text": "Onboarding error rate above 5% for 10 minutes"})

    fields = fields_of(view)
    assert "initial_option" not in fields["waba_id"]
    assert "initial_value" not in fields["phone_number_id"]
    assert "initial_value" not in fields["phone_number"]
    assert "names no WABA or phone number" in notices_of(view)

    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+91 98765 43210", "VOICE")
    assert bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values)).status_code == 200
    bot.slack.wait_for("chat.postMessage")
    bot.settle()
    assert bot.kaleyra.requests[0].json["type_verification"] == "VOICE"
    (reply,) = bot.slack.calls_to("chat.postMessage")
    assert (reply.params["channel"], reply.params["thread_ts"]) == (CHANNEL, ALERT_TS)
