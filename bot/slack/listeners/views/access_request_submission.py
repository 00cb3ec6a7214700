"""The access request modal's submission: mistakes flagged in the modal, the request posted after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.access_requests import Asked, RequestError
from bot.slack import flows
from bot.slack.access_blocks import DURATION_BLOCK, REASON_BLOCK, WABA_BLOCK
from bot.slack.access_flow import post_request, where_it_went
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of
from bot.slack.listeners.actions.request_access import SURFACE_PREFIX
from bot.slack.listeners.views.resend_submission import field_value


def access_request_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    deps = deps_of(context)
    user_id = str(body["user"]["id"])
    destination, attempt_ref = _from_metadata(view.get("private_metadata"), user_id)
    values = view.get("state", {}).get("values", {})
    with deps.service.answering_slack():
        requester = deps.groups.requester(user_id)
        try:
            asked = deps.service.requests.ask(
                user_id,
                requester.principals,
                field_value(values, WABA_BLOCK),
                field_value(values, DURATION_BLOCK),
                field_value(values, REASON_BLOCK),
                attempt_ref,
            )
        except RequestError as exc:
            ack(response_action="errors", errors={exc.field: str(exc)})
            return
    if not asked.created:
        # One open request per person and WABA: point to it rather than asking twice.
        when = f"{asked.request.created_at:%Y-%m-%d %H:%M} UTC"
        message = f"You asked for this WABA at {when}; that request is still waiting for an owner or an admin."
        ack(response_action="errors", errors={WABA_BLOCK: message})
        return
    ack()
    flows.after_ack(deps, destination, lambda: _send(deps, destination, asked))


def _send(deps: SlackDeps, destination: Destination, asked: Asked) -> None:
    name = asked.request.waba_name
    if post_request(deps, asked):
        text = f"Your request for {name} went to {where_it_went(asked)}. You will hear here when it is decided."
    else:
        text = f"Your request for {name} is saved, but the bot could not post it anywhere: tell an admin."
    flows.tell(deps, destination, text, with_button=False)


def _from_metadata(text: str | None, user_id: str) -> tuple[Destination, str]:
    """Where to answer, and the refused attempt the request came from (see request_access)."""
    surface, destination = Destination.from_metadata(text, user_id)
    return destination, surface.removeprefix(SURFACE_PREFIX) if surface.startswith(SURFACE_PREFIX) else ""
