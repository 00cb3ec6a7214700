"""App Home: the user's WABAs, their last attempts, and a button that opens the modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.slack import flows
from bot.slack.access_blocks import request_access_button
from bot.slack.blocks import escape, grant_line, mention, open_modal_button
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.deps import SlackDeps, deps_of
from bot.slack.history import attempt_lines

log = logging.getLogger(__name__)


def app_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") == "home":
        deps = deps_of(context)
        user_id = str(event.get("user", ""))
        deps.quick.submit(publish_home, deps, user_id)


def publish_home(deps: SlackDeps, user_id: str) -> None:
    try:
        view = home_view(deps, user_id)
        deps.client.call(lambda web: web.views_publish(user_id=user_id, view=view))
    except SLACK_FAILURES as exc:
        log.warning("views.publish failed for %s: %s", user_id, error_code(exc))


def home_view(deps: SlackDeps, user_id: str) -> View:
    requester = deps.groups.requester(user_id)
    wabas = deps.service.allowed_wabas(requester.principals)
    grants = deps.service.own_grants(requester.principals)
    mine = deps.service.own_attempts(user_id, limit=10)
    blocks: list[Block] = [HeaderBlock(text="Resend WhatsApp OTPs")]
    if wabas:
        blocks.append(open_modal_button("Resend an OTP"))
        names = "\n".join(f"• {escape(w.name)} `{w.id}`" for w in wabas[:40])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Your WABAs*\n{names}")))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=flows.no_wabas_message(deps))))
        blocks.append(request_access_button())
    if grants:
        # When each grant ends, so nobody is surprised at 3 a.m. by one that ran out.
        granted = "\n".join(f"• {grant_line(g)}{_through(g.principal, user_id)}" for g in grants[:40])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Your access*\n{granted}")))
    blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text="*Your last 10 attempts*"))]
    lines = attempt_lines(mine)
    blocks += [ContextBlock(elements=[MarkdownTextObject(text=line)]) for line in lines] or [
        ContextBlock(elements=[MarkdownTextObject(text="None yet.")])
    ]
    return View(type="home", blocks=blocks)


def _through(principal: str, user_id: str) -> str:
    return "" if principal == user_id else f" (through {mention(principal)})"
