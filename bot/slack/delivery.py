"""Getting an outcome to the person: the channel thread, else response_url, ephemeral, DM.

A result is never lost silently: where it went (or that it went nowhere) is recorded
on the attempt and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.metrics import DELIVERY_FALLBACKS
from bot.resend import ResendResult
from bot.slack.blocks import announcement_text, as_dicts, final_status, outcome_blocks, outcome_text
from bot.slack.retries import retry_handlers
from bot.store.attempts import record_delivery, record_parent

log = logging.getLogger(__name__)

CHANNEL, RESPONSE_URL, EPHEMERAL, DM, FAILED = "channel", "response_url", "ephemeral", "dm", "failed"
_SLACK_ERRORS = (SlackApiError, SlackClientError, OSError)


@dataclass(frozen=True)
class Destination:
    """Where an outcome should go, and the fallbacks that reach the same person."""

    user_id: str
    channel_id: str | None = None
    # An existing thread to reply in (an alert's); None with `announce` starts one.
    thread_ts: str | None = None
    response_url: str | None = None
    announce: bool = False


@dataclass(frozen=True)
class Announcement:
    channel_id: str
    ts: str


class Delivery:
    def __init__(self, client: WebClient, sessions: sessionmaker[Session]) -> None:
        self._client = client
        self._sessions = sessions

    def announce(self, destination: Destination, started: ResendResult) -> Announcement | None:
        """Post the parent message a command's outcome will be threaded under."""
        if not (destination.announce and destination.channel_id):
            return None
        try:
            response = self._client.chat_postMessage(
                channel=destination.channel_id, text=announcement_text(started), unfurl_links=False
            )
        except _SLACK_ERRORS as exc:
            log.info("cannot announce in %s (%s); the outcome will use a fallback", destination.channel_id, _why(exc))
            return None
        announcement = Announcement(str(response["channel"]), str(response["ts"]))
        if started.attempt_id is not None:
            try:
                with self._sessions.begin() as session:
                    record_parent(session, started.attempt_id, announcement.channel_id, announcement.ts)
            except SQLAlchemyError:
                # Only a crash during the call needs it: the outcome is delivered without it.
                log.exception("could not record the parent message of attempt %s", started.attempt_id)
        return announcement

    def deliver(self, destination: Destination, result: ResendResult, announcement: Announcement | None) -> str:
        """Post the outcome; returns where it went, also recorded on the attempt."""
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
        if result.attempt_id is not None:
            try:
                with self._sessions.begin() as session:
                    record_delivery(session, result.attempt_id, where, thread)
            except SQLAlchemyError:
                log.exception("could not record the delivery of attempt %s", result.attempt_id)
        return where

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
            self._client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, blocks=as_dicts(blocks), unfurl_links=False
            )
            return True
        except _SLACK_ERRORS as exc:
            log.info("cannot reply in %s: %s", channel, _why(exc))
            return False

    def _update_parent(self, announcement: Announcement, result: ResendResult, note: str = "") -> None:
        status = f"{final_status(result)} {note}".rstrip()
        try:
            self._client.chat_update(
                channel=announcement.channel_id, ts=announcement.ts, text=announcement_text(result, status)
            )
        except _SLACK_ERRORS as exc:
            # The outcome reached the person already; a stale parent is cosmetic.
            log.warning("cannot update the parent message: %s", _why(exc))

    def _respond(self, response_url: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            response = WebhookClient(response_url, timeout=10, retry_handlers=retry_handlers()).send(
                text=text, blocks=as_dicts(blocks), response_type="ephemeral", replace_original=False
            )
        except _SLACK_ERRORS as exc:
            log.info("response_url failed: %s", _why(exc))
            return False
        return response.status_code == 200

    def _ephemeral(self, channel: str, user_id: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            self._client.chat_postEphemeral(channel=channel, user=user_id, text=text, blocks=as_dicts(blocks))
            return True
        except _SLACK_ERRORS as exc:
            log.info("ephemeral message failed in %s: %s", channel, _why(exc))
            return False

    def _direct_message(self, user_id: str, text: str, blocks: Sequence[Block]) -> bool:
        try:
            channel = self._client.conversations_open(users=user_id)["channel"]["id"]
            self._client.chat_postMessage(channel=channel, text=text, blocks=as_dicts(blocks))
            return True
        except _SLACK_ERRORS as exc:
            log.warning("direct message to %s failed: %s", user_id, _why(exc))
            return False


def _why(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "unknown_error"))
    return type(exc).__name__
