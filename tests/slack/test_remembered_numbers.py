"""Numbers the bot remembers: an alert or a form without the phone number id uses the last one Kaleyra took."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.store import access
from tests import slack_requests
from tests.slack.conftest import SlackBot, attempts
from tests.slack.test_alert_card_clicks import click
from tests.slack.test_alert_cards import ALERTS, buttons, cards, deliver, person_alert, watched_bot
from tests.slack.test_shortcut import CALLBACK_ID, fields_of, notices_of
from tests.support import ALICE, BOB, PHONE, PHONE_NUMBER_ID, PHONE_PASTED, WABA, WABA_NAME

# Names the WABA and the number, not the phone number id.
ALERT_WITHOUT_ID = f"OTP not received on {WABA_NAME}: WABA {WABA}, number {PHONE_PASTED}"


def resend_inline(bot: SlackBot, user_id: str = BOB) -> None:
    """An earlier resend by command, to its outcome."""
    signed = slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id=user_id)
    assert bot.send(signed).status_code == 200
    bot.slack.wait_for("chat.postMessage", where=lambda c: "thread_ts" in c.params)
    bot.settle()


def today() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d}"


def test_an_alert_without_the_id_gets_the_one_from_the_last_accepted_resend(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot = watched_bot(start_bot, OTP_COOLDOWN_SECONDS="0")
    resend_inline(bot)

    deliver(bot, person_alert(text=ALERT_WITHOUT_ID))

    (card,) = cards(bot)
    shown = str(card.params["blocks"])
    assert PHONE_NUMBER_ID in shown and f"phone number id from the last resend on {today()}" in shown
    offer = bot.runtime.service.alerts.offer(buttons(card)["resend_sms"]["value"])
    assert offer is not None
    click(bot, offer, "resend_sms", BOB)
    bot.slack.wait_for("chat.update")
    bot.settle()
    assert [r.json["id"] for r in bot.kaleyra.requests] == [PHONE_NUMBER_ID, PHONE_NUMBER_ID]
    assert [a.surface for a in attempts(bot)] == ["command", "alert_card"]


@pytest.mark.parametrize("answer", ["WA400_payload", "RBC001", "WA401", "hang"])
def test_an_answer_that_may_be_about_the_id_is_not_remembered(start_bot: Callable[..., SlackBot], answer: str) -> None:
    bot = watched_bot(start_bot, OTP_COOLDOWN_SECONDS="0", KALEYRA_TIMEOUT_SECONDS="1")
    bot.kaleyra.queue(answer)
    resend_inline(bot)

    deliver(bot, person_alert(text=ALERT_WITHOUT_ID))

    (card,) = cards(bot)
    # Without an id only the form can help: no button that would send a guess.
    assert set(buttons(card)) == {"open_form"}
    assert "not in the alert" in str(card.params["blocks"])
    assert bot.runtime.service.alerts.remembered_id(WABA, PHONE) is None


def test_the_shortcuts_form_fills_in_the_remembered_id_and_says_so(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    resend_inline(bot)

    signed = slack_requests.message_shortcut(
        CALLBACK_ID, {"ts": "1712345678.000900", "text": ALERT_WITHOUT_ID}, user_id=ALICE, channel_id=ALERTS
    )
    assert bot.send(signed).status_code == 200
    (opened,) = bot.slack.wait_for("views.open")

    view = opened.params["view"]
    assert fields_of(view)["phone_number_id"]["initial_value"] == PHONE_NUMBER_ID
    assert f"phone number id from the last resend on {today()}" in notices_of(view)


def test_a_user_who_may_not_use_the_waba_gets_no_remembered_id(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    resend_inline(bot)
    with bot.runtime.sessions.begin() as session:
        access.add_grant(session, "U0CAROL", "766000000002", by="test")

    signed = slack_requests.message_shortcut(
        CALLBACK_ID, {"ts": "1712345678.000900", "text": ALERT_WITHOUT_ID}, user_id="U0CAROL", channel_id=ALERTS
    )
    assert bot.send(signed).status_code == 200
    (opened,) = bot.slack.wait_for("views.open")

    assert fields_of(opened.params["view"])["phone_number_id"].get("initial_value") is None
    # (The field's placeholder happens to be the same digits as the tests' id: look at the notice instead.)
    assert "last resend" not in notices_of(opened.params["view"])
