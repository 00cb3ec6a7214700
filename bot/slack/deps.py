"""What listeners share, built once per process, and how a listener reaches it from Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import BoltContext

from bot.config import Settings
from bot.resend import Resender
from bot.service import Service
from bot.slack.background import Answering, Background
from bot.slack.client import SlackClient
from bot.slack.delivery import Delivery
from bot.slack.groups import UserGroups

CONTEXT_KEY = "resend_otp"


@dataclass(frozen=True)
class SlackDeps:
    settings: Settings
    # Everything read from or written to the store goes through here.
    service: Service
    resender: Resender
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


def deps_of(context: BoltContext) -> SlackDeps:
    """The deps a global middleware put in every request's context (see bot.slack.app)."""
    deps = context.get(CONTEXT_KEY)
    if not isinstance(deps, SlackDeps):
        raise RuntimeError("the app was built without its deps middleware")
    return deps
