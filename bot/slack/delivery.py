"""Getting an outcome to the person: the channel thread, else response_url, ephemeral, DM.

A result is never lost silently: where it went (or that it went nowhere) is recorded
on the attempt and logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.endpoints import is_slack_hook_url
from bot.metrics import DELIVERY_FALLBACKS
from bot.resend_values import ResendResult, Told
from bot.service import Service
from bot.slack.blocks import announcement_text, as_dicts, final_status, outcome_blocks, outcome_text
from bot.slack.client import SLACK_FAILURES, SlackClient, error_code

log = logging.getLogger(__name__)

CHANNEL, RESPONSE_URL, EPHEMERAL, DM, FAILED = "channel", "response_url", "ephemeral", "dm", "failed"
_METADATA_MAX = 3000  # Slack's limit for private_metadata


@dataclass(frozen=True)
class Destination:
    """Where an outcome should go, and the fallbacks that reach the same person."""

    user_id: str
    channel_id: str | None = None
    # An existing thread to reply in (an alert's); None with `announce` starts one.
    thread_ts: str | None = None
    response_url: str | None = None
    announce: bool = False

    @classmethod
    def from_payload(cls, body: Mapping[str, Any], *, announce: bool = False, in_thread: bool = False) -> Destination:
        """From a command, an action or a shortcut: `in_thread` replies in the thread of the message acted on."""
        user, channel = body.get("user"), body.get("channel")
        user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
        channel_id = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
        message = body.get("message")
        message = message if isinstance(message, dict) else {}
        # A reply inside a thread answers in that thread, not a new one under the reply.
        thread_ts = (message.get("thread_ts") or message.get("ts") or body.get("message_ts")) if in_thread else None
        channel_id = _text(channel_id)
        return cls(
            user_id=str(user_id),
            channel_id=channel_id,
            thread_ts=_text(thread_ts),
            response_url=_text(body.get("response_url")),
            announce=announce and channel_id is not None,
        )

    def to_metadata(self, surface: str) -> str:
        """What a modal carries to its submission (`private_metadata`), which has no channel of its own."""
        data = {"s": surface, "c": self.channel_id, "t": self.thread_ts, "r": self.response_url, "a": self.announce}
        text = json.dumps({k: v for k, v in data.items() if v})
        if len(text) > _METADATA_MAX:
            # A response_url is the only long part; without it the outcome still finds the person.
            data.pop("r")
            text = json.dumps({k: v for k, v in data.items() if v})
        return text

    @classmethod
    def from_metadata(cls, text: str | None, user_id: str) -> tuple[str, Destination]:
        """The surface and destination; anything unreadable falls back to reaching the person directly."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        destination = cls(
            user_id=user_id,
            channel_id=_text(data.get("c")),
            thread_ts=_text(data.get("t")),
            response_url=_text(data.get("r")),
            announce=data.get("a") is True,
        )
        return _text(data.get("s")) or "modal", destination


@dataclass(frozen=True)
class Announcement:
    channel_id: str
    ts: str


class Delivery:
    def __init__(self, client: SlackClient, service: Service, settings: Settings) -> None:
        self._client = client
        self._service = service
        self._settings = settings

    def announce(self, destination: Destination, started: ResendResult) -> Announcement | None:
        """Post the parent message a command's outcome will be threaded under."""
        if not (destination.announce and destination.channel_id):
            return None
        try:
            channel, text = destination.channel_id, announcement_text(started)
            response = self._client.call(
                lambda web: web.chat_postMessage(channel=channel, text=text, unfurl_links=False)
            )
        except SLACK_FAILURES as exc:
            log.info(
                "cannot announce in %s (%s); the outcome will use a fallback", destination.channel_id, error_code(exc)
            )
            return None
        announcement = Announcement(str(response["channel"]), str(response["ts"]))
        if started.attempt_id is not None:
            try:
                self._service.record_parent(started.attempt_id, announcement.channel_id, announcement.ts)
            except SQLAlchemyError:
                # Only a crash during the call needs it: the outcome is delivered without it.
                log.exception("could not record the parent message of attempt %s", started.attempt_id)
        return announcement

    def deliver(self, destination: Destination, result: ResendResult, announcement: Announcement | None) -> Told:
        """Post the outcome; returns where it went, for the use case to record on the attempt."""
        where, thread = self._deliver(destination, result, announcement)
        if where != CHANNEL:
            DELIVERY_FALLBACKS.labels(where).inc()
        if where == FAILED:
            log.error(
                "outcome of attempt %s reached nobody",
                result.attempt_id,
                extra={"event": "delivery", "delivery": where},
            )
        else:
            log.info(
                "outcome delivered", extra={"event": "delivery", "delivery": where, "attempt_id": result.attempt_id}
            )
        return Told(where, thread)

    def _deliver(
        self, destination: Destination, result: ResendResult, announcement: Announcement | None
    ) -> tuple[str, str | None]:
        blocks = outcome_blocks(result)
        text = outcome_text(result)
        if announcement is not None:
            if self._post(announcement.channel_id, announcement.ts, text, blocks):
                self._update_parent(announcement, result)
                return CHANNEL, announcement.ts
            # The parent must not stay on "sending…" while the outcome goes to the person.
            self._update_parent(announcement, result, "(details sent privately)")
        elif destination.channel_id and destination.thread_ts:
            if self._post(destination.channel_id, destination.thread_ts, text, blocks):
                return CHANNEL, destination.thread_ts
        return self.to_person(destination, text, blocks), None

    def to_person(self, destination: Destination, text: str, blocks: Sequence[Block]) -> str:
        """Reach the person alone: response_url, else an ephemeral message, else a DM."""
        if destination.response_url and self._respond(destination.response_url, text, blocks):
            return RESPONSE_URL
        if destination.channel_id and self._ephemeral(destination.channel_id, destination.user_id, text, blocks):
            return EPHEMERAL
        if self._direct_message(destination.user_id, text, blocks):
            return DM
        return FAILED

    def _post(self, channel: str, thread_ts: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            self._client.call(
                lambda web: web.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, text=text, blocks=as_dicts(blocks), unfurl_links=False
                )
            )
            return True
        except SLACK_FAILURES as exc:
            log.info("cannot reply in %s: %s", channel, error_code(exc))
            return False

    def _update_parent(self, announcement: Announcement, result: ResendResult, note: str = "") -> None:
        status = f"{final_status(result)} {note}".rstrip()
        try:
            text = announcement_text(result, status)
            self._client.call(
                lambda web: web.chat_update(channel=announcement.channel_id, ts=announcement.ts, text=text)
            )
        except SLACK_FAILURES as exc:
            # The outcome reached the person already; a stale parent is cosmetic.
            log.warning("cannot update the parent message: %s", error_code(exc))

    def _respond(self, response_url: str, text: str, blocks: Sequence[Block]) -> bool:
        # A response_url can come back from a tampered private_metadata: only Slack's hooks get posts.
        if not is_slack_hook_url(response_url, self._settings):
            log.warning("refused to post to a response_url that is not Slack's")
            return False
        try:
            return self._client.respond(response_url, text, blocks)
        except SLACK_FAILURES as exc:
            log.info("response_url failed: %s", error_code(exc))
            return False

    def _ephemeral(self, channel: str, user_id: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            self._client.call(
                lambda web: web.chat_postEphemeral(channel=channel, user=user_id, text=text, blocks=as_dicts(blocks))
            )
            return True
        except SLACK_FAILURES as exc:
            log.info("ephemeral message failed in %s: %s", channel, error_code(exc))
            return False

    def _direct_message(self, user_id: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            opened = self._client.call(lambda web: web.conversations_open(users=user_id))
            channel = opened["channel"]["id"]
            self._client.call(lambda web: web.chat_postMessage(channel=channel, text=text, blocks=as_dicts(blocks)))
            return True
        except SLACK_FAILURES as exc:
            log.warning("direct message to %s failed: %s", user_id, error_code(exc))
            return False


def _text(value: object) -> str | None:
    """A payload's field when it is a non-empty string (a forged one may be anything)."""
    return value if isinstance(value, str) and value else None
