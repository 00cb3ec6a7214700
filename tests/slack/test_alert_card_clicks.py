"""A click on an alert card: one resend by the clicker, authorised and cooled down like any other."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.alert_offers import AlertOffer
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.slack.conftest import SlackBot, attempts
from tests.slack.test_alert_cards import (
    ALERT_TS,
    ALERTS,
    FULL_DIGITS,
    buttons,
    cards,
    deliver,
    person_alert,
    watched_bot,
)
from tests.support import ALICE, BOB, MALLORY, PHONE, PHONE_MASKED, PHONE_NUMBER_ID, WABA, WABA_NAME


def carded(start_bot: Callable[..., SlackBot], **env: str) -> tuple[SlackBot, AlertOffer]:
    """A bot that has posted its card on the alert, and that card's offer."""
    bot = watched_bot(start_bot, **env)
    deliver(bot, person_alert())
    (card,) = cards(bot)
    offer = bot.runtime.service.alerts.offer(buttons(card)["resend_sms"]["value"])
    assert offer is not None and offer.card_ts is not None
    return bot, offer


def click(bot: SlackBot, offer: AlertOffer, action_id: str, user_id: str, value: str | None = None) -> None:
    """Click a button on the card as `user_id`; the clicker's response_url is named after them."""
    card_ts = str(offer.card_ts)
    signed = slack_requests.block_actions(
        action_id,
        offer.reference if value is None else value,
        user_id=user_id,
        channel_id=ALERTS,
        message_ts=card_ts,
        message={"type": "message", "ts": card_ts, "thread_ts": ALERT_TS, "text": "", "bot_id": "BBOT"},
        response_url=bot.slack.response_url(f"click-{user_id}"),
        block_id="alert_card",
    )
    assert bot.send(signed).status_code == 200


def told(bot: SlackBot, user_id: str) -> list[SlackCall]:
    return [c for c in bot.slack.calls_to("response_url") if c.path.endswith(f"/click-{user_id}")]


def replies_in_the_alerts_thread(bot: SlackBot) -> list[SlackCall]:
    return [
        c
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params.get("thread_ts") == ALERT_TS and "Code" in str(c.params.get("blocks"))
    ]


@pytest.mark.parametrize(("action_id", "via"), [("resend_sms", "SMS"), ("resend_voice", "VOICE")])
def test_a_granted_click_resends_once_answers_in_the_thread_and_updates_the_card(
    start_bot: Callable[..., SlackBot], action_id: str, via: str
) -> None:
    bot, offer = carded(start_bot)

    click(bot, offer, action_id, BOB)
    bot.slack.wait_for("chat.update")
    bot.settle()

    (request,) = bot.kaleyra.requests
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": via}
    (reply,) = replies_in_the_alerts_thread(bot)
    assert reply.params["channel"] == ALERTS and "WA200" in reply.params["text"]
    assert f"Asked by <@{BOB}>" in str(reply.params["blocks"])
    (update,) = bot.slack.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (ALERTS, offer.card_ts)
    card = str(update.params["blocks"])
    assert f"sent via {via} by <@{BOB}> at " in card and " UTC · WA200" in card
    assert WABA_NAME in card and PHONE_MASKED in card and FULL_DIGITS not in str(update.params)
    # The cooldown is on the buttons while it runs.
    assert "Resend by SMS (after " in card
    (attempt,) = attempts(bot)
    assert (attempt.surface, attempt.user_id, attempt.channel_id, attempt.thread_ts) == (
        "alert_card",
        BOB,
        ALERTS,
        ALERT_TS,
    )
    assert told(bot, BOB) == []


def test_an_ungranted_click_calls_nothing_and_tells_only_the_clicker(start_bot: Callable[..., SlackBot]) -> None:
    bot, offer = carded(start_bot)

    click(bot, offer, "resend_sms", MALLORY)
    bot.settle()

    assert bot.kaleyra.requests == []
    (refusal,) = told(bot, MALLORY)
    assert refusal.params["response_type"] == "ephemeral"
    assert "may not resend" in refusal.params["text"] or "may not" in str(refusal.params["blocks"])
    assert WABA_NAME not in str(refusal.params)
    assert replies_in_the_alerts_thread(bot) == [] and bot.slack.calls_to("chat.update") == []
    assert len(bot.slack.calls_to("chat.postMessage")) == 1  # the card, nothing since
    (attempt,) = attempts(bot)
    assert (attempt.surface, attempt.status) == ("alert_card", "refused_not_allowed")


def test_simultaneous_clicks_make_one_kaleyra_call(start_bot: Callable[..., SlackBot], database_url: str) -> None:
    bot, offer = carded(start_bot, DATABASE_URL=database_url)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda user_id: click(bot, offer, "resend_sms", user_id), (ALICE, BOB)))
    bot.slack.wait_for("chat.update")
    bot.settle()

    assert len(bot.kaleyra.requests) == 1
    assert len(replies_in_the_alerts_thread(bot)) == 1
    (sent,) = [a for a in attempts(bot) if a.status == "sent"]
    (refused,) = [a for a in attempts(bot) if a.status == "refused_cooldown"]
    # The one who lost the race alone hears who asked and when to retry.
    (cooled,) = told(bot, refused.user_id)
    assert "cooldown" in cooled.params["text"] and told(bot, sent.user_id) == []


@pytest.mark.parametrize("value", ["1.forged-token", "999.x", f"{WABA}|{PHONE_NUMBER_ID}|{PHONE}", ""])
def test_a_forged_button_value_sends_nothing(start_bot: Callable[..., SlackBot], value: str) -> None:
    bot, offer = carded(start_bot)

    click(bot, offer, "resend_sms", BOB, value=value)
    bot.settle()

    assert bot.kaleyra.requests == [] and attempts(bot) == []
    (note,) = told(bot, BOB)
    assert "not one the bot can act on" in note.params["text"]


def test_open_form_prefills_the_modal_from_the_card_and_answers_in_the_alerts_thread(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot, offer = carded(start_bot)

    click(bot, offer, "open_form", ALICE)
    (opened,) = bot.slack.wait_for("views.open")
    view: dict[str, Any] = opened.params["view"]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["waba_id"]["initial_option"]["value"] == WABA
    assert fields["phone_number_id"]["initial_value"] == PHONE_NUMBER_ID
    assert fields["phone_number"]["initial_value"] == PHONE

    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE, "VOICE")
    assert bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values)).status_code == 200
    bot.slack.wait_for("chat.postMessage", 2)
    bot.settle()

    (request,) = bot.kaleyra.requests
    assert request.json["type_verification"] == "VOICE"
    (reply,) = replies_in_the_alerts_thread(bot)
    assert reply.params["channel"] == ALERTS
    (attempt,) = attempts(bot)
    assert (attempt.surface, attempt.thread_ts) == ("alert_card", ALERT_TS)
