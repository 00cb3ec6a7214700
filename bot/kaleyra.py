"""Kaleyra's `retry_otp` API: one call, one outcome value, never a second delivery."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

import httpx

from bot.config import Settings
from bot.network import NetworkLoop, tls_context
from bot.secret import Secret
from bot.status import Status

__all__ = ["KaleyraClient", "KaleyraOutcome", "Verification", "request_body"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
# Kept open between resends (and from a form's opening to its submission) unless Kaleyra closes it.
KEEPALIVE_SECONDS = 60.0
# Forms opened in a burst share one warm connection rather than each asking for another.
WARM_INTERVAL_SECONDS = 5.0


class Verification(StrEnum):
    SMS = "SMS"
    VOICE = "VOICE"


_KIND_BY_CODE = {
    "WA200": Status.SENT,
    "RBC001": Status.AUTH,
    "WA401": Status.NOT_ON_ACCOUNT,
    "WA400": Status.BAD_REQUEST,
    "WA500": Status.UPSTREAM_ERROR,
}
KNOWN_CODES = frozenset(_KIND_BY_CODE)


@dataclass(frozen=True)
class KaleyraOutcome:
    # One of the statuses of a call (SENT … UNEXPECTED_RESPONSE), never a refusal.
    kind: Status
    code: str | None
    message: str
    http_status: int | None
    latency_ms: int
    field_errors: Mapping[str, str] = field(default_factory=dict)


def confirms_phone_number_id(outcome: KaleyraOutcome) -> bool:
    """Kaleyra took the request past its checks of the id: worth remembering the id for the number.

    WA200 and WA500 (sent, already approved, failed later) did; a WA400 may be about the id, and
    RBC001, WA401 or no answer say nothing about it.
    """
    return outcome.kind in (Status.SENT, Status.ALREADY_VERIFIED, Status.UPSTREAM_ERROR)


def request_body(phone_number_id: str, phone_number: str, verification: Verification) -> dict[str, str]:
    """The JSON body Kaleyra documents.

    The docs' table calls `id` an Integer, but their example sends a string and a
    15-digit id does not survive a float-parsing proxy: send the string.
    """
    return {
        "id": str(phone_number_id),
        "phone_number": phone_number,
        "type_verification": verification.value,
    }


class KaleyraClient:
    """Calls retry_otp over one pooled connection per host, with a deadline on the whole call."""

    def __init__(
        self,
        *,
        sid: str,
        api_key: Secret,
        base_url: str,
        timeout_seconds: float,
        network: NetworkLoop,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._sid = sid
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_seconds = timeout_seconds
        self._network = network
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._warmed_at: dict[str, float] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, network: NetworkLoop, transport: httpx.AsyncBaseTransport | None = None
    ) -> Self:
        """The client for the account and region the operator configured."""
        return cls(
            sid=settings.kaleyra_sid,
            api_key=settings.kaleyra_api_key,
            base_url=settings.kaleyra_url_for(),
            timeout_seconds=settings.kaleyra_timeout_seconds,
            network=network,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"KaleyraClient(sid={self._sid!r}, base_url={self._base_url!r})"

    def retry_otp(
        self,
        *,
        waba_id: str,
        phone_number_id: str,
        phone_number: str,
        verification: Verification,
        sid: str | None = None,
        base_url: str | None = None,
    ) -> Future[KaleyraOutcome]:
        """Ask Kaleyra to send a fresh OTP; the request leaves at once, and the caller may do other work
        before `result()`. Every failure is an outcome, not an exception."""
        base = (base_url or self._base_url).rstrip("/")
        url = f"{base}/v2/{sid or self._sid}/whatsapp/{waba_id}/number/retry_otp"
        body = request_body(phone_number_id, phone_number, verification)
        return self._network.submit(self._call(url, body, time.monotonic()))

    def open_connection(self, base_url: str | None = None) -> Future[None]:
        """Open (or keep warm) a connection to Kaleyra ahead of a resend; nobody needs to wait for it.

        A person fills the form in for seconds: the TCP and TLS handshakes are done by the time
        they submit. The request is a bare HEAD of the host's root, with no credentials and not
        the retry_otp path, so it can never send an OTP.
        """
        return self._network.submit(self._warm((base_url or self._base_url).rstrip("/")))

    def _pooled(self) -> httpx.AsyncClient:
        # Built on the network loop, which every call runs on: the pool belongs to that loop.
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                verify=tls_context(),
                timeout=httpx.Timeout(None, connect=min(CONNECT_TIMEOUT_SECONDS, self._timeout_seconds)),
                limits=httpx.Limits(max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS),
            )
            self._network.on_close(self._client.aclose)
        return self._client

    async def _warm(self, base: str) -> None:
        now = time.monotonic()
        if now - self._warmed_at.get(base, -WARM_INTERVAL_SECONDS) < WARM_INTERVAL_SECONDS:
            return
        self._warmed_at[base] = now
        try:
            async with asyncio.timeout(self._timeout_seconds):
                await self._pooled().head(f"{base}/")
        except (httpx.HTTPError, TimeoutError) as exc:
            # The resend itself will connect (and report) if this did not.
            log.info("could not open a connection to Kaleyra ahead: %s", type(exc).__name__)

    async def _call(self, url: str, body: dict[str, str], started: float) -> KaleyraOutcome:
        request_sent = False

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            nonlocal request_sent
            if event.endswith("send_request_headers.started"):
                request_sent = True

        headers = {"api-key": self._api_key.reveal(), "Content-Type": "application/json"}
        client = self._pooled()
        try:
            async with asyncio.timeout(self._timeout_seconds):
                response = await _post_once_or_reconnect(client, url, headers, body, trace)
        except TimeoutError:
            if request_sent:
                return _failure(Status.TIMEOUT, started, "No answer before the deadline")
            return _failure(Status.UNREACHABLE, started, "No connection before the deadline")
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return _failure(Status.UNREACHABLE, started, f"No connection: {exc!r}")
        except httpx.HTTPError as exc:
            # The request may have reached Kaleyra before the connection broke.
            return _failure(Status.UNEXPECTED_RESPONSE, started, f"Connection broke: {exc!r}")
        return parse_response(response.status_code, response.content, _elapsed_ms(started))


async def _post_once_or_reconnect(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, str], trace: Any
) -> httpx.Response:
    # Only a connection that never opened is retried: anything later may have
    # sent an SMS or a call to a real person.
    try:
        return await client.post(url, headers=headers, json=body, extensions={"trace": trace})
    except (httpx.ConnectError, httpx.ConnectTimeout):
        return await client.post(url, headers=headers, json=body, extensions={"trace": trace})


def parse_response(status: int, content: bytes, latency_ms: int) -> KaleyraOutcome:
    """Decide the outcome from the body's `code`, falling back to the HTTP status."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
        return KaleyraOutcome(
            Status.UNEXPECTED_RESPONSE,
            None,
            f"Kaleyra answered HTTP {status} with a body that is not its JSON",
            status,
            latency_ms,
        )
    code = payload["code"]
    message = str(payload.get("message") or "")
    errors = payload.get("error")
    field_errors = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
    kind = _KIND_BY_CODE.get(code, Status.UNEXPECTED_RESPONSE)
    if code == "WA500" and "already approved" in message.lower():
        kind = Status.ALREADY_VERIFIED
    return KaleyraOutcome(kind, code, message, status, latency_ms, field_errors)


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _failure(kind: Status, started: float, message: str) -> KaleyraOutcome:
    return KaleyraOutcome(kind, None, message, None, _elapsed_ms(started))
