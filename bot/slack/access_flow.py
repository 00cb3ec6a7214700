"""Access requests in Slack: post a request where it must be decided, and carry a decision everywhere."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.access_requests import Asked, Decision, Outcome
from bot.slack.access_blocks import approved_dm, decided_blocks, decided_line, denied_dm, request_blocks, request_text
from bot.slack.blocks import as_dicts, user
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps

log = logging.getLogger(__name__)

_REFUSED = {
    Outcome.NOT_ALLOWED: "Only an owner of this WABA or an admin may decide this request.",
    Outcome.OWN_REQUEST: "You cannot decide your own request: an owner of the WABA or an admin will.",
    Outcome.NOT_FOUND: "This request is no longer valid (its WABA may have been removed); nothing was changed.",
}


def post_request(deps: SlackDeps, asked: Asked) -> int:
    """Post the request to ACCESS_REQUESTS_CHANNEL, else each owner's or admin's DM; how many copies went out."""
    request, recipients = asked.request, asked.recipients
    text, blocks = request_text(request), as_dicts(request_blocks(request))
    channels = [recipients.channel_id] if recipients.channel_id else []
    for person in recipients.user_ids:
        try:
            channels.append(_open_dm(deps, person))
        except SLACK_FAILURES as exc:
            log.warning("cannot open a DM with %s for access request %s: %s", person, request.id, error_code(exc))
    posted = 0
    for channel in channels:
        try:
            sent = _post(deps, channel, text, blocks)
        except SLACK_FAILURES as exc:
            log.warning("cannot post access request %s in %s: %s", request.id, channel, error_code(exc))
            continue
        # Each copy is updated when someone decides, wherever it was clicked.
        deps.service.requests.record_message(request.id, str(sent["channel"]), str(sent["ts"]))
        posted += 1
    return posted


def where_it_went(asked: Asked) -> str:
    recipients = asked.recipients
    if recipients.kind == "channel":
        return f"<#{recipients.channel_id}>"
    who = ", ".join(user(u) for u in recipients.user_ids)
    return f"the WABA's owners ({who})" if recipients.kind == "owners" else f"the bot's admins ({who})"


def carry_decision(deps: SlackDeps, decision: Decision, clicker: Destination) -> None:
    """Update every copy of the request and tell the requester; or tell the clicker why nothing changed."""
    request = decision.request
    if decision.outcome in _REFUSED or request is None:
        _tell(deps, clicker, _REFUSED.get(decision.outcome, _REFUSED[Outcome.NOT_FOUND]))
        return
    if decision.outcome is Outcome.ALREADY_DECIDED:
        _tell(deps, clicker, f"This request was decided already; nothing changed. {decided_line(request)}")
        return
    text, blocks = decided_line(request), as_dicts(decided_blocks(request))
    for channel, ts in decision.messages:
        try:
            _update(deps, channel, ts, text, blocks)
        except SLACK_FAILURES as exc:
            log.warning("cannot update access request %s in %s: %s", request.id, channel, error_code(exc))
    if decision.outcome is Outcome.LAPSED:
        _tell(deps, clicker, decided_line(request))
        return
    approved = decision.outcome is Outcome.APPROVED
    told, told_blocks = approved_dm(request) if approved else denied_dm(request, decision.note)
    deps.delivery.to_person(Destination(user_id=request.user_id), told, told_blocks)


def _open_dm(deps: SlackDeps, person: str) -> str:
    opened = deps.client.call(lambda web: web.conversations_open(users=person))
    return str(opened["channel"]["id"])


def _post(deps: SlackDeps, channel: str, text: str, blocks: list[dict[str, Any]]) -> AsyncSlackResponse:
    return deps.client.call(lambda web: web.chat_postMessage(channel=channel, text=text, blocks=blocks))


def _update(deps: SlackDeps, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
    deps.client.call(lambda web: web.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))


def _tell(deps: SlackDeps, destination: Destination, text: str) -> None:
    deps.delivery.to_person(destination, text, [SectionBlock(text=MarkdownTextObject(text=text))])
