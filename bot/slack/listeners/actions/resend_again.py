"""The "Resend again" button on an outcome: same WABA, number and type, same thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.resend_values import Origin
from bot.slack import flows
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)


def resend_again(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    destination = Destination.from_payload(body, in_thread=True)
    attempt_id = str(action.get("value", ""))
    flows.after_ack(deps, destination, lambda: _again(deps, destination, attempt_id), calls_kaleyra=True)


def _again(deps: SlackDeps, destination: Destination, attempt_id: str) -> None:
    requester = deps.groups.requester(destination.user_id)
    request = deps.service.repeatable_request(attempt_id, requester.user_id, requester.principals)
    if request is None:
        # The same words whether the attempt is gone or someone else's: nothing about it is told.
        log.warning("resend again refused: attempt %s is not one %s may see", attempt_id[:20], requester.user_id)
        flows.tell(deps, destination, "That attempt is not one you can resend again: use the form instead.")
        return
    origin = Origin("button", destination.channel_id, destination.thread_ts)
    flows.resend_and_deliver(deps, destination, origin, request)
