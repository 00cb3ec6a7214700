"""The "Approve" and "Deny" buttons on an access request: re-checked on the click, decided once."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import flows
from bot.slack.access_flow import carry_decision
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of


def approve_access(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    _decide(ack, body, action, context, approve=True)


def deny_access(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    _decide(ack, body, action, context, approve=False)


def _decide(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, approve: bool) -> None:
    ack()
    deps = deps_of(context)
    clicker = Destination.from_payload(body)
    value = str(action.get("value", ""))[:100]
    flows.after_ack(deps, clicker, lambda: _run(deps, clicker, value, approve))


def _run(deps: SlackDeps, clicker: Destination, value: str, approve: bool) -> None:
    decision = deps.service.requests.decide(value, clicker.user_id, approve=approve)
    carry_decision(deps, decision, clicker)
