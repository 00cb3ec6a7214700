"""The buttons on an alert card: one resend by the clicker, or the form prefilled from the card."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.alert_offers import AlertOffer
from bot.request import ResendRequest
from bot.resend_values import Origin, ResendResult
from bot.slack import flows
from bot.slack.alert_card import VERIFICATION_BY_ACTION, card_blocks, card_text, note_for, remembered_note
from bot.slack.blocks import Prefill, as_dicts
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)

SURFACE = "alert_card"
UNKNOWN_CARD = "That card is not one the bot can act on any more: use `/resend-otp` or the form instead."


def resend_from_card(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    # Refusals go to the clicker alone (response_url, else ephemeral); the outcome to the alert's thread.
    destination = Destination.from_payload(body, in_thread=True)
    reference = str(action.get("value", ""))
    verification = VERIFICATION_BY_ACTION.get(str(action.get("action_id")), "SMS")
    flows.after_ack(deps, destination, lambda: _resend(deps, destination, reference, verification), calls_kaleyra=True)


def open_form_from_card(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    destination = Destination.from_payload(body, in_thread=True)
    reference = str(action.get("value", ""))
    trigger_id = str(body.get("trigger_id", ""))
    flows.after_ack(deps, destination, lambda: _open_form(deps, destination, reference, trigger_id))


def _resend(deps: SlackDeps, clicked: Destination, reference: str, verification: str) -> None:
    offer = deps.service.alerts.offer(reference)
    if offer is None:
        log.warning("alert card button with a value the bot never gave out, from %s", clicked.user_id)
        flows.tell(deps, clicked, UNKNOWN_CARD)
        return
    if offer.phone_number_id is None:
        flows.tell(deps, clicked, "The alert names no phone number id: use *Open the form* on the card.")
        return
    destination = replace(clicked, channel_id=offer.channel_id, thread_ts=offer.thread_ts)
    request = ResendRequest(offer.waba_id, offer.phone_number_id, offer.phone_number, verification)
    origin = Origin(SURFACE, offer.channel_id, offer.thread_ts)
    result = flows.resend_and_deliver(deps, destination, origin, request)
    if not result.status.is_refusal:
        _update_card(deps, offer, result)


def _update_card(deps: SlackDeps, offer: AlertOffer, result: ResendResult) -> None:
    """Everyone in the channel sees who sent what, when, and the code; the buttons show the cooldown."""
    card_ts = offer.card_ts
    if card_ts is None:
        return
    blocks = as_dicts(card_blocks(offer, note_for(result, datetime.now(UTC))))
    text = card_text(offer)
    try:
        deps.client.call(lambda web: web.chat_update(channel=offer.channel_id, ts=card_ts, text=text, blocks=blocks))
    except SLACK_FAILURES as exc:
        # The outcome is in the thread already; a stale card is cosmetic.
        log.warning("cannot update the alert card: %s", error_code(exc))


def _open_form(deps: SlackDeps, clicked: Destination, reference: str, trigger_id: str) -> None:
    offer = deps.service.alerts.offer(reference)
    if offer is None:
        flows.tell(deps, clicked, UNKNOWN_CARD)
        return
    destination = replace(clicked, channel_id=offer.channel_id, thread_ts=offer.thread_ts)
    notice = f"The {remembered_note(offer.remembered_at)}." if offer.remembered_at else None
    prefill = Prefill(offer.waba_id, offer.phone_number_id, offer.phone_number, notice=notice)
    flows.open_modal(deps, trigger_id, SURFACE, destination, lambda _allowed: prefill)
