"""The resend modal's submission: errors as the ack, the Kaleyra call after it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.explain import explain
from bot.request import PHONE_NUMBER_FIELD, PHONE_NUMBER_ID_FIELD, VERIFICATION_FIELD, WABA_FIELD, ResendRequest
from bot.resend_values import Origin, ResendResult
from bot.slack import flows
from bot.slack.delivery import Destination
from bot.slack.deps import deps_of


def resend_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    deps = deps_of(context)
    user_id = body["user"]["id"]
    surface, destination = Destination.from_metadata(view.get("private_metadata"), user_id)
    request = request_from_state(view.get("state", {}).get("values", {}))
    # Authorising and claiming run before the ack: a refusal must show in the modal.
    origin = Origin(surface, destination.channel_id, destination.thread_ts)
    with deps.service.answering_slack():
        requester = deps.groups.requester(user_id)
        started = deps.resender.start(requester, origin, request)
    if isinstance(started, ResendResult):
        errors = dict(started.field_errors) or {WABA_FIELD: explain(started).headline}
        ack(response_action="errors", errors=errors)
        return
    ack()
    flows.after_ack(deps, destination, lambda: flows.run_and_deliver(deps, started, destination), calls_kaleyra=True)


def request_from_state(values: dict[str, Any]) -> ResendRequest:
    """The four fields from a view's state, whatever input element carried them."""
    return ResendRequest(
        waba_id=field_value(values, WABA_FIELD),
        phone_number_id=field_value(values, PHONE_NUMBER_ID_FIELD),
        phone_number=field_value(values, PHONE_NUMBER_FIELD),
        verification=field_value(values, VERIFICATION_FIELD) or "SMS",
    )


def field_value(values: dict[str, Any], block_id: str) -> str:
    """One field of a view's state (block id == action id), typed or selected; "" when empty or forged."""
    action = (values.get(block_id) or {}).get(block_id) or {}
    selected = action.get("selected_option") or {}
    raw = selected.get("value") if selected else action.get("value")
    return raw if isinstance(raw, str) else ""
