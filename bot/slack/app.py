"""The Bolt app, built from the runtime: listeners registered, nothing called at import."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.background import Background
from bot.slack.delivery import Delivery
from bot.slack.deps import SlackDeps
from bot.slack.groups import UserGroups
from bot.slack.listeners import register
from bot.slack.observe import log_request
from bot.slack.retries import retry_handlers

SLACK_TIMEOUT_SECONDS = 10
QUICK_WORKERS = 16
# One thread per Kaleyra call in flight; a call holds its thread up to KALEYRA_TIMEOUT_SECONDS.
RESEND_WORKERS = 64


def create_app(runtime: Runtime) -> tuple[App, SlackDeps]:
    """The Bolt app and what its listeners share (drain it on shutdown)."""
    settings = runtime.settings
    client = WebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )
    deps = SlackDeps(
        runtime=runtime,
        client=client,
        groups=UserGroups(client, runtime.sessions),
        delivery=Delivery(client, runtime.sessions),
        quick=Background("slack", QUICK_WORKERS),
        resends=Background("resend", RESEND_WORKERS),
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.reveal(),
        # Listeners ack first and hand slow work to `deps`: the ack is the HTTP response, with
        # no hand-off to Bolt's small thread pool that hung calls could exhaust.
        process_before_response=True,
        # auth.test at start would make Slack an outage dependency of booting.
        token_verification_enabled=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    app.middleware(log_request)
    register(app, deps)
    return app, deps
