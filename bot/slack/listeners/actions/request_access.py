"""The "Request access" button on a refusal or a "no WABAs" note: opens the access request modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import flows
from bot.slack.access_blocks import request_modal
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)
SURFACE_PREFIX = "access_request:"


def request_access(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    destination = Destination.from_payload(body)
    trigger_id = str(body.get("trigger_id", ""))
    attempt_ref = str(action.get("value", ""))[:20]
    flows.after_ack(deps, destination, lambda: _open(deps, destination, trigger_id, attempt_ref))


def _open(deps: SlackDeps, destination: Destination, trigger_id: str, attempt_ref: str) -> None:
    # Every WABA the bot knows (SPEC's choice for requesting); the refused one preselected if it was theirs.
    wabas = deps.service.list_wabas()
    if not wabas:
        flows.tell(deps, destination, "The bot knows no WABAs yet: ask an admin to add one.", with_button=False)
        return
    asked = deps.service.requests.asked_waba(attempt_ref, destination.user_id)
    # The refused attempt rides in the surface's name: the submission keeps it for "Resend now".
    metadata = destination.to_metadata(f"{SURFACE_PREFIX}{attempt_ref}")
    view = request_modal(wabas, asked, metadata)
    try:
        deps.client.call(lambda web: web.views_open(trigger_id=trigger_id, view=view))
    except SLACK_FAILURES as exc:
        log.warning("views.open for an access request failed: %s", error_code(exc))
        flows.tell(deps, destination, "Slack would not open the form just now: please try again.", with_button=False)
