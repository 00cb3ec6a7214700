"""The "Resend again" button on an outcome: same WABA, number and type, same thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.request import ResendRequest
from bot.resend import Origin
from bot.slack import flows
from bot.slack.blocks import RESEND_AGAIN_ACTION
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps
from bot.store.models import Attempt


def register(app: App, deps: SlackDeps) -> None:
    @app.action(RESEND_AGAIN_ACTION)
    def resend_again(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        message = body.get("message") or {}
        destination = Destination(
            user_id=body["user"]["id"],
            channel_id=(body.get("channel") or {}).get("id"),
            thread_ts=message.get("thread_ts") or message.get("ts"),
            response_url=body.get("response_url"),
        )
        flows.in_background(deps.resends, deps, destination, _again, deps, destination, str(action.get("value", "")))


def _again(deps: SlackDeps, destination: Destination, attempt_id: str) -> None:
    with deps.runtime.sessions() as session:
        earlier = session.get(Attempt, int(attempt_id)) if attempt_id.isdigit() else None
    if earlier is None:
        flows.tell(deps, destination, "That attempt is no longer in the bot's records: use the form instead.")
        return
    request = ResendRequest(earlier.waba_id, earlier.phone_number_id, earlier.phone_number, earlier.verification)
    origin = Origin("button", destination.channel_id, destination.thread_ts)
    flows.resend_and_deliver(deps, destination, origin, request)
