"""Alerts in a watched channel: event in → card posted in its thread, and a click's acknowledgement."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bench.load import MS, Watcher, percentile
from bench.report import Check
from bench.sender import Sender, Signed
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.support import ALICE, PHONE_NUMBER_ID, WABA

ALERT_CHANNEL = "C0BENCHALERTS"
# SPEC: card < 1 s (p50) after the alert's event arrives; every Slack request acknowledged in < 3 s.
CARD_P50_MS = 1000.0
ACK_MAX_MS = 3000.0
_alerts = itertools.count(1)


@dataclass
class AlertRound:
    card_ms: list[float] = field(default_factory=list)
    click_ack_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def alert_event(ts: str, number: int) -> Signed:
    """An integration's alert naming the WABA, the id and a number never used before (no cooldown)."""
    phone = f"+91 97{number // 10_000:04d} {number % 10_000:04d}"
    text = f"OTP not received: WABA {WABA}, phone number id {PHONE_NUMBER_ID}, number {phone}"
    event = {"type": "message", "subtype": "bot_message", "bot_id": "B0ALERTS", "channel": ALERT_CHANNEL}
    return slack_requests.event({**event, "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"})


def card_for(call: SlackCall) -> str | None:
    """The alert's ts for a card posted in its thread."""
    if call.method != "chat.postMessage" or call.params.get("channel") != ALERT_CHANNEL:
        return None
    return str(call.params.get("thread_ts")) if "resend_sms" in str(call.params.get("blocks")) else None


def card_updated(call: SlackCall) -> str | None:
    # One alert at a time: the watcher reads on from the last call it saw, so any update is this round's.
    return "updated" if call.method == "chat.update" and call.params.get("channel") == ALERT_CHANNEL else None


def reference_on(card: SlackCall) -> str:
    (actions,) = [b for b in card.params["blocks"] if b["type"] == "actions"]
    return str(next(e["value"] for e in actions["elements"] if e["action_id"] == "resend_sms"))


def cards_and_clicks(sender: Sender, watcher: Watcher, count: int) -> AlertRound:
    """One alert at a time: its card, then a click on the card and the card's update."""
    result = AlertRound()
    for _ in range(count):
        n = next(_alerts)
        ts = f"1712000000.{n:06d}"
        (sent,) = sender.fire([alert_event(ts, n)])
        card = watcher.wait(card_for, {ts}).get(ts)
        if sent.status != 200 or card is None:
            result.problems.append(f"an alert got {sent.status} and {'a card' if card else 'no card'}")
            continue
        result.card_ms.append((card.received_at - sent.sent_at) * MS)
        click = slack_requests.block_actions(
            "resend_sms", reference_on(card), user_id=ALICE, channel_id=ALERT_CHANNEL, block_id="alert_card"
        )
        (clicked,) = sender.fire([click])
        result.click_ack_ms.append(clicked.ack_seconds * MS)
        # The card's update is a click's last call: waiting for it keeps the next alert clean.
        if clicked.status != 200 or not watcher.wait(card_updated, {"updated"}):
            result.problems.append(f"a click got {clicked.status}, or the card was never updated")
    return result


def checks(round_: AlertRound) -> list[Check]:
    if not round_.card_ms:
        return []
    p = percentile
    cards, acks = round_.card_ms, round_.click_ack_ms
    card_text = f"p50 {p(cards, 50):.1f}  p99 {p(cards, 99):.1f} ms  (target p50 < {CARD_P50_MS:.0f} ms)"
    rows = [Check("alert event → card in its thread", card_text, p(cards, 50) < CARD_P50_MS)]
    if acks:
        ack_text = f"p50 {p(acks, 50):.1f}  max {max(acks):.1f} ms  (target max < {ACK_MAX_MS:.0f} ms)"
        rows.append(Check("card click ack", ack_text, max(acks) < ACK_MAX_MS))
    return rows
