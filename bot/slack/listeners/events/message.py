"""A new message in a watched channel that names a known WABA and a number: a card in its thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltContext

from bot.alert_offers import AlertOffer
from bot.alerts import extract_alert_fields
from bot.slack.alert_card import card_blocks, card_text
from bot.slack.blocks import as_dicts
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)

# New messages: a person's (no subtype, or sent to the channel from a thread, or with files) and an
# integration's. Edits (message_changed), deletions and joins are not alerts.
NEW_MESSAGE_SUBTYPES = frozenset({None, "bot_message", "thread_broadcast", "file_share"})


def message(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    if not is_new_message_from_others(body, event):
        return
    channel, ts = event.get("channel"), event.get("ts")
    if not (isinstance(channel, str) and channel and isinstance(ts, str) and ts):
        return
    thread_ts = event.get("thread_ts")
    # A reply inside a thread gets its card in that thread, not a new one under the reply.
    thread = thread_ts if isinstance(thread_ts, str) and thread_ts else ts
    deps = deps_of(context)
    # The event is acknowledged at once; the store and Slack are asked after.
    deps.quick.submit(offer_card, deps, channel, ts, thread, event)


def is_new_message_from_others(body: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """A new message, not the bot's own (its cards and outcomes land in the same channels)."""
    if event.get("subtype") not in NEW_MESSAGE_SUBTYPES:
        return False
    app_id = body.get("api_app_id")
    if app_id and event.get("app_id") == app_id:
        return False
    return event.get("user") not in _bot_user_ids(body)


def _bot_user_ids(body: Mapping[str, Any]) -> set[str]:
    # Slack names the installation an event is for; for this app that is its bot user.
    authorizations = body.get("authorizations")
    if not isinstance(authorizations, list):
        return set()
    return {str(a.get("user_id")) for a in authorizations if isinstance(a, dict) and a.get("is_bot")}


def offer_card(deps: SlackDeps, channel: str, ts: str, thread_ts: str, event: Mapping[str, Any]) -> None:
    if not deps.service.alerts.is_watched(channel):
        return
    offer = deps.service.alerts.offer_card(channel, ts, thread_ts, extract_alert_fields(event))
    if offer is None:
        return
    if offer.phone_number_id is not None:
        # Someone is about to click: have the Kaleyra connection ready by then.
        deps.resender.open_connection()
    post_card(deps, offer)


def post_card(deps: SlackDeps, offer: AlertOffer) -> None:
    blocks, text = as_dicts(card_blocks(offer)), card_text(offer)
    try:
        posted = deps.client.call(
            lambda web: web.chat_postMessage(
                channel=offer.channel_id, thread_ts=offer.thread_ts, text=text, blocks=blocks, unfurl_links=False
            )
        )
    except SLACK_FAILURES as exc:
        # The card stays claimed: a second try could post it twice. The shortcut still works there.
        log.warning("cannot post an alert card in %s: %s", offer.channel_id, error_code(exc))
        return
    deps.service.alerts.record_card(offer.id, str(posted["ts"]))
