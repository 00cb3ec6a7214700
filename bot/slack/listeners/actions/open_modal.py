"""The "Open the form" button on help, error messages and App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack import flows
from bot.slack.blocks import OPEN_MODAL_ACTION
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps


def register(app: App, deps: SlackDeps) -> None:
    @app.action(OPEN_MODAL_ACTION)
    def open_resend_modal(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        channel_id = (body.get("channel") or {}).get("id")
        destination = Destination(
            user_id=body["user"]["id"],
            channel_id=channel_id,
            response_url=body.get("response_url"),
            announce=channel_id is not None,
        )
        flows.in_background(
            deps.quick, deps, destination, flows.open_modal, deps, body["trigger_id"], "command", destination
        )
