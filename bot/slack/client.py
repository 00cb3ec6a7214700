"""The bot's Slack Web API and `response_url` calls, over connections kept open on the network loop.

slack_sdk's synchronous `WebClient` opens a new connection (and TLS handshake) for every call;
its `AsyncWebClient` on one shared aiohttp session keeps them. Listeners stay synchronous and
call through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.network import NetworkLoop, tls_context

SLACK_TIMEOUT_SECONDS = 10
# Slack's front ends keep an idle connection about this long; reusing one saves a TLS handshake.
KEEPALIVE_SECONDS = 60


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's own: a connection that failed to open, and 429s after their Retry-After."""
    return [AsyncConnectionErrorRetryHandler(max_retry_count=1), AsyncRateLimitErrorRetryHandler(max_retry_count=2)]


class SlackClient:
    """Synchronous calls to Slack, run on the network loop over one pooled session."""

    def __init__(self, network: NetworkLoop, *, token: str, base_url: str) -> None:
        self._network = network
        self._token = token
        self._base_url = base_url
        self._session: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None

    def call(
        self,
        request: Callable[[AsyncWebClient], Awaitable[AsyncSlackResponse]],
        *,
        timeout: float | None = None,
    ) -> AsyncSlackResponse:
        """E.g. `slack.call(lambda web: web.chat_postMessage(channel=c, text=t))`; raises slack_sdk's errors.

        `timeout` bounds the whole call, retries included (TimeoutError), for a call an ack waits on.
        """

        async def run() -> AsyncSlackResponse:
            async with asyncio.timeout(timeout):
                return await request(self._client())

        return self._network.run(run())

    def respond(self, response_url: str, text: str, blocks: Sequence[Block]) -> bool:
        """Post an ephemeral reply to a command's or an action's `response_url`; True when Slack took it."""

        async def run() -> bool:
            hook = AsyncWebhookClient(
                response_url,
                timeout=SLACK_TIMEOUT_SECONDS,
                ssl=tls_context(),
                session=self._pooled_session(),
                retry_handlers=retry_handlers(),
            )
            response = await hook.send(
                text=text, blocks=[b.to_dict() for b in blocks], response_type="ephemeral", replace_original=False
            )
            return response.status_code == 200

        return self._network.run(run())

    def _client(self) -> AsyncWebClient:
        if self._web is None:
            self._web = AsyncWebClient(
                token=self._token,
                base_url=self._base_url,
                timeout=SLACK_TIMEOUT_SECONDS,
                ssl=tls_context(),
                session=self._pooled_session(),
                retry_handlers=retry_handlers(),
            )
        return self._web

    def _pooled_session(self) -> aiohttp.ClientSession:
        # Made on the loop (aiohttp binds a session to the loop it is created on), once.
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=tls_context(), keepalive_timeout=KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector)
            self._network.on_close(self._session.close)
        return self._session


# What a Slack call can fail with: Slack's refusal, slack_sdk's own errors, aiohttp's (OSError) and a deadline.
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError, TimeoutError)


def error_code(exc: BaseException) -> str:
    """Slack's error code for a failed call (`not_in_channel`, `invalid_auth`…), else what kept it from an answer."""
    response: Any = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error") or f"HTTP {getattr(response, 'status_code', '?')}")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
