"""What listeners need, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runtime import Runtime
from bot.slack.answering import Answering
from bot.slack.background import Background
from bot.slack.client import SlackClient
from bot.slack.delivery import Delivery
from bot.slack.groups import UserGroups


@dataclass(frozen=True)
class SlackDeps:
    runtime: Runtime
    client: SlackClient
    groups: UserGroups
    delivery: Delivery
    # Slack-only work after an ack (views.open, history, admin): never queued behind Kaleyra.
    quick: Background
    # The Kaleyra call and its delivery: may take KALEYRA_TIMEOUT_SECONDS each.
    resends: Background
    # Slack requests being answered; the pools above let their acks go first.
    answering: Answering

    def drain(self) -> None:
        # Resends first: a resend in flight hands its announcement to `quick`.
        self.resends.drain()
        self.quick.drain()
