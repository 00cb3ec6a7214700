"""The Bolt app, built from the runtime: listeners registered, nothing called at import."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.background import Answering, Background
from bot.slack.client import SLACK_TIMEOUT_SECONDS, SlackClient
from bot.slack.delivery import Delivery
from bot.slack.deps import CONTEXT_KEY, SlackDeps
from bot.slack.groups import UserGroups
from bot.slack.http import skip_redelivered_events
from bot.slack.listeners import register
from bot.slack.request_log import RequestLoggingApp

QUICK_WORKERS = 16
# One thread per Kaleyra call in flight; a call holds its thread up to KALEYRA_TIMEOUT_SECONDS.
RESEND_WORKERS = 64


def create_app(runtime: Runtime) -> tuple[RequestLoggingApp, SlackDeps]:
    """The Bolt app and what its listeners share (drain it on shutdown)."""
    settings = runtime.settings
    client = SlackClient(runtime.network, token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url)
    answering = Answering()
    deps = SlackDeps(
        settings=settings,
        service=runtime.service,
        resender=runtime.resender,
        client=client,
        groups=UserGroups(client, runtime.service),
        delivery=Delivery(client, runtime.service, settings),
        quick=Background("slack", QUICK_WORKERS, answering),
        resends=Background("resend", RESEND_WORKERS, answering),
        answering=answering,
    )
    app = RequestLoggingApp(
        # Bolt given a token calls auth.test on the first request, inside Slack's 3 s ack: a slow
        # or unreachable Slack API would fail that ack. `authorize` hands Bolt the token without
        # asking Slack; its own client carries none (with both, Bolt logs "token ignored"). The
        # listeners call Slack through `deps.client`, on pooled connections.
        client=WebClient(base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT_SECONDS),
        authorize=_authorize_with(settings.slack_bot_token.reveal()),
        signing_secret=settings.slack_signing_secret.reveal(),
        # Listeners ack first and hand slow work to `deps`: the ack is the HTTP response, with
        # no hand-off to Bolt's small thread pool that hung calls could exhaust.
        process_before_response=True,
        logger=_bolt_logger(),
    )
    app.use(_provide(deps))
    app.use(skip_redelivered_events(runtime.service.first_sightings))
    register(app)
    return app, deps


def _provide(deps: SlackDeps) -> Callable[[BoltContext, Callable[[], None]], None]:
    """Global middleware: every listener finds the deps in its context (bot.slack.deps.deps_of)."""

    def middleware(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context[CONTEXT_KEY] = deps
        next()

    return middleware


def _authorize_with(token: str) -> Callable[..., AuthorizeResult]:
    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token)

    return authorize


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, without its boot warning that SLACK_BOT_TOKEN (read by `authorize`) goes unused."""
    logger = logging.getLogger("bot.slack.bolt")
    if not logger.filters:
        logger.addFilter(lambda record: not str(record.msg).startswith("As you gave `client` as well"))
    return logger
