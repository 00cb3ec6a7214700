"""Watched alert channels: one card per alert, in its thread, whoever posted it; nothing for anything else."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests import slack_requests
from tests.fakes.slack import BOT_ID, BOT_USER_ID, SlackCall
from tests.slack.conftest import SlackBot
from tests.support import PHONE, PHONE_MASKED, PHONE_NUMBER_ID, WABA, WABA_NAME

ALERTS = "C0ALERTS"
UNWATCHED = "C0GENERAL"
ALERT_TS = "1712345678.000200"
THREAD_TS = "1712345600.000100"
FULL_DIGITS = PHONE.removeprefix("+91")
ALERT_TEXT = (
    ":rotating_light: *Onboarding stuck: OTP not received*\n"
    f"*WABA:* `{WABA}` ({WABA_NAME})\n"
    f"*Phone number id:* `{PHONE_NUMBER_ID}`\n"
    "*Number:* <tel:+919876543210|+91 98765 43210>"
)


def person_alert(channel: str = ALERTS, ts: str = ALERT_TS, text: str = ALERT_TEXT, **extra: Any) -> dict[str, Any]:
    """A message a person typed, as Slack's Events API sends it."""
    return {
        "type": "message",
        "channel": channel,
        "user": "U0PERSON",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": "T1",
        **extra,
    }


def integration_alert(channel: str = ALERTS, ts: str = ALERT_TS, **extra: Any) -> dict[str, Any]:
    """An alerting integration's `bot_message`: the facts in an attachment's fields."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "channel": channel,
        "bot_id": "B0ALERTMGR",
        "username": "alertmanager",
        "text": "",
        "attachments": [
            {
                "fallback": "[FIRING] OTP not received",
                "title": "[FIRING:1] OnboardingOtpNotReceived",
                "fields": [
                    {"title": "WABA ID", "value": WABA, "short": True},
                    {"title": "Phone number id", "value": PHONE_NUMBER_ID, "short": True},
                    {"title": "Number", "value": "+91 98765 43210", "short": True},
                ],
            }
        ],
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        **extra,
    }


def watched_bot(start_bot: Callable[..., SlackBot], **env: str) -> SlackBot:
    bot = start_bot(**env)
    bot.runtime.service.watch("test", ALERTS)
    return bot


def deliver(bot: SlackBot, event: dict[str, Any], **options: Any) -> None:
    """Send the event as Slack does; it is acknowledged with 200 at once, whatever the bot makes of it."""
    response = bot.send(slack_requests.event(event, **options))
    assert response.status_code == 200
    bot.settle()


def is_card(call: SlackCall) -> bool:
    return "resend_sms" in str(call.params.get("blocks")) or "open_form" in str(call.params.get("blocks"))


def cards(bot: SlackBot) -> list[SlackCall]:
    return [c for c in bot.slack.calls_to("chat.postMessage") if is_card(c)]


def buttons(card: SlackCall) -> dict[str, dict[str, Any]]:
    (actions,) = [b for b in card.params["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e for e in actions["elements"]}


@pytest.mark.parametrize("make", [person_alert, integration_alert], ids=["person", "integration"])
@pytest.mark.parametrize(("thread", "expected_thread"), [({}, ALERT_TS), ({"thread_ts": THREAD_TS}, THREAD_TS)])
def test_a_watched_alert_gets_one_card_in_its_thread(
    start_bot: Callable[..., SlackBot],
    make: Callable[..., dict[str, Any]],
    thread: dict[str, str],
    expected_thread: str,
) -> None:
    bot = watched_bot(start_bot)

    deliver(bot, make(**thread))

    (card,) = bot.slack.calls_to("chat.postMessage")
    assert (card.params["channel"], card.params["thread_ts"]) == (ALERTS, expected_thread)
    shown = str(card.params["blocks"])
    assert WABA_NAME in shown and PHONE_MASKED in shown and PHONE_NUMBER_ID in shown
    assert FULL_DIGITS not in str(card.params)
    found = buttons(card)
    assert set(found) == {"resend_sms", "resend_voice", "open_form"}
    # The buttons carry a reference to the stored card, never the fields a forged value could change.
    for button in found.values():
        assert WABA not in button["value"] and PHONE_NUMBER_ID not in button["value"]
        assert bot.runtime.service.alerts.offer(button["value"]) is not None
    (offer,) = {bot.runtime.service.alerts.offer(b["value"]) for b in found.values()}
    assert offer is not None
    assert (offer.waba_id, offer.phone_number_id, offer.phone_number) == (WABA, PHONE_NUMBER_ID, PHONE)
    # Kept to update the card after a click.
    assert offer.card_ts is not None
    assert bot.kaleyra.requests == []


def test_posting_a_card_opens_the_kaleyra_connection_ahead_of_a_click(start_bot: Callable[..., SlackBot]) -> None:
    bot = watched_bot(start_bot)

    deliver(bot, person_alert())

    (warm_up,) = bot.kaleyra.wait_for_requests(1, warm_ups=True)
    assert warm_up.method == "HEAD" and "api-key" not in warm_up.headers
    assert bot.kaleyra.requests == [] and bot.kaleyra.connections == 1


def test_a_redelivered_event_makes_no_second_card(start_bot: Callable[..., SlackBot]) -> None:
    bot = watched_bot(start_bot)
    now = int(time.time())
    # Slack's retry: the same event_id under a new signature (X-Slack-Retry-Num set).
    deliver(bot, person_alert(), event_id="Ev0RETRIED01", timestamp=now - 2)
    deliver(bot, person_alert(), event_id="Ev0RETRIED01", timestamp=now)
    # The same message under another event id (a second subscription, a Slack Connect copy).
    deliver(bot, person_alert(), event_id="Ev0ANOTHER01")

    assert len(cards(bot)) == 1


def test_the_same_alert_to_two_processes_makes_one_card(start_bot: Callable[..., SlackBot], database_url: str) -> None:
    first, second = (watched_bot(start_bot, DATABASE_URL=database_url) for _ in range(2))
    now = int(time.time())
    sends = [(first, "Ev0SHARED001", now), (second, "Ev0SHARED001", now - 1)]
    sends += [(bot, f"Ev0OTHER{n:04d}", now) for n, bot in enumerate((first, second, first, second))]

    def send(bot: SlackBot, event_id: str, timestamp: int) -> int:
        return bot.send(slack_requests.event(person_alert(), event_id=event_id, timestamp=timestamp)).status_code

    with ThreadPoolExecutor(len(sends)) as pool:
        assert list(pool.map(lambda s: send(*s), sends)) == [200] * len(sends)
    first.settle()
    second.settle()

    assert len(cards(first)) == 1


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(person_alert(channel=UNWATCHED), id="unwatched-channel"),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": ALERTS,
                "hidden": True,
                "ts": "1712345700.000300",
                "message": person_alert(edited={"user": "U0PERSON", "ts": "1712345700.000300"}),
                "previous_message": person_alert(text="OTP not received"),
            },
            id="edit",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": ALERTS,
                "hidden": True,
                "deleted_ts": ALERT_TS,
                "ts": "1712345700.000300",
                "previous_message": person_alert(),
            },
            id="deletion",
        ),
        pytest.param(person_alert(user=BOT_USER_ID, bot_id=BOT_ID, app_id="A1"), id="the-bots-own-card"),
        pytest.param(person_alert(user=BOT_USER_ID), id="the-bots-own-by-user"),
        pytest.param(person_alert(text="Onboarding is slow today, nothing stuck."), id="names-nothing"),
        pytest.param(person_alert(text="Number +91 98765 43210 on WABA 766999999999"), id="unknown-waba"),
        pytest.param(person_alert(text=f"WABA {WABA} is stuck"), id="no-number"),
        pytest.param(person_alert(subtype="channel_join", text="<@U0NEW> has joined the channel"), id="join"),
    ],
)
def test_nothing_but_a_new_alert_from_others_in_a_watched_channel_gets_a_card(
    start_bot: Callable[..., SlackBot], event: dict[str, Any]
) -> None:
    bot = watched_bot(start_bot)

    deliver(bot, event)

    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            {
                "type": "reaction_added",
                "user": "U0PERSON",
                "reaction": "eyes",
                "item": {"type": "message", "channel": ALERTS, "ts": ALERT_TS},
                "item_user": "U0ALERTBOT",
                "event_ts": "1712345700.000400",
            },
            id="reaction_added",
        ),
        pytest.param(
            {
                "type": "app_mention",
                "user": "U0PERSON",
                "text": f"<@{BOT_USER_ID}> help",
                "ts": "1712345700.000500",
                "channel": ALERTS,
                "event_ts": "1712345700.000500",
            },
            id="app_mention",
        ),
        pytest.param(
            {
                "type": "member_joined_channel",
                "user": BOT_USER_ID,
                "channel": ALERTS,
                "channel_type": "C",
                "team": "T1",
                "inviter": "U0PERSON",
                "event_ts": "1712345700.000600",
            },
            id="member_joined_channel",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "thread_broadcast",
                "channel": UNWATCHED,
                "user": "W0GRIDUSER",
                "text": "also sent to the channel",
                "ts": "1712345700.000700",
                "thread_ts": THREAD_TS,
                "root": {"ts": THREAD_TS, "text": "root"},
                "user_team": "T0OTHERORG",
                "source_team": "T0OTHERORG",
                "event_ts": "1712345700.000700",
                "channel_type": "channel",
            },
            id="slack-connect-thread-broadcast-unwatched",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "file_share",
                "channel": UNWATCHED,
                "user": "U0PERSON",
                "text": "screenshot",
                "files": [{"id": "F0SHOT", "name": "shot.png", "mimetype": "image/png"}],
                "upload": False,
                "ts": "1712345700.000800",
                "event_ts": "1712345700.000800",
                "channel_type": "channel",
            },
            id="file_share-unwatched",
        ),
    ],
)
def test_events_the_bot_does_not_act_on_are_acknowledged_with_200(
    start_bot: Callable[..., SlackBot], event: dict[str, Any]
) -> None:
    bot = watched_bot(start_bot)

    response = bot.send(slack_requests.event(event, team_id="T1"))

    assert response.status_code == 200
    bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []
