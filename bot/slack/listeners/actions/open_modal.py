"""The "Open the form" button on help, error messages and App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import flows
from bot.slack.delivery import Destination
from bot.slack.deps import deps_of


def open_resend_modal(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    destination = Destination.from_payload(body, announce=True)
    trigger_id = str(body.get("trigger_id", ""))
    flows.after_ack(deps, destination, lambda: flows.open_modal(deps, trigger_id, "command", destination))
