"""The "Approve" and "Deny" buttons on an access request: re-checked on the click, decided once.

Deny opens a small form first, for an optional note to the requester, when the clicker may still
decide; otherwise the click is answered at once with why nothing changed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import flows
from bot.slack.access_blocks import NOTE_BLOCK, deny_modal
from bot.slack.access_flow import carry_decision
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)


def approve_access(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    clicker = Destination.from_payload(body)
    value = str(action.get("value", ""))[:100]
    flows.after_ack(deps, clicker, lambda: _decide(deps, clicker, value, approve=True))


def deny_access(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    clicker = Destination.from_payload(body)
    value = str(action.get("value", ""))[:100]
    trigger_id = str(body.get("trigger_id", ""))
    flows.after_ack(deps, clicker, lambda: _ask_for_a_note(deps, clicker, value, trigger_id))


def deny_note_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    value, clicker = _from_metadata(view.get("private_metadata"), str(body["user"]["id"]))
    field = (view.get("state", {}).get("values", {}).get(NOTE_BLOCK) or {}).get(NOTE_BLOCK) or {}
    note = field.get("value") if isinstance(field.get("value"), str) else None
    flows.after_ack(deps, clicker, lambda: _decide(deps, clicker, value, approve=False, note=note))


def _ask_for_a_note(deps: SlackDeps, clicker: Destination, value: str, trigger_id: str) -> None:
    if not deps.service.requests.may_decide_now(value, clicker.user_id):
        _decide(deps, clicker, value, approve=False)  # says why nothing changed (decided, lapsed, not theirs)
        return
    metadata = json.dumps({"v": value, "d": clicker.to_metadata("access")})
    try:
        deps.client.call(lambda web: web.views_open(trigger_id=trigger_id, view=deny_modal(metadata)))
    except SLACK_FAILURES as exc:
        # The form would not open: deny without a note rather than not at all.
        log.warning("views.open for a denial's note failed: %s", error_code(exc))
        _decide(deps, clicker, value, approve=False)


def _decide(deps: SlackDeps, clicker: Destination, value: str, *, approve: bool, note: str | None = None) -> None:
    decision = deps.service.requests.decide(value, clicker.user_id, approve=approve, note=note)
    carry_decision(deps, decision, clicker)


def _from_metadata(text: str | None, user_id: str) -> tuple[str, Destination]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    value, destination = data.get("v"), data.get("d")
    value = value[:100] if isinstance(value, str) else ""
    return value, Destination.from_metadata(destination if isinstance(destination, str) else None, user_id)[1]
