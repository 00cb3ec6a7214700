"""A plain Bolt for Python bot answering the inline `/resend-otp`: the peer `bench.py --peer` runs
beside `serve`.

It is deployed the way most Bolt bots are: the sync `App` behind Bolt's WSGI adapter under gunicorn
(one gthread worker), Bolt checking the signature, slack_sdk's default `WebClient` (a new connection
per call) and one module-level `httpx.Client` for Kaleyra. No store, no grants, no cooldown: the
least a Bolt bot costs per resend, which `serve` must not exceed. Its Slack work matches serve's:
the parent message posted while Kaleyra is called, the outcome in its thread, the parent updated.

    gunicorn --workers 1 --worker-class gthread --threads 8 bench.peer:api   (bench.versus starts it)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.kaleyra import KaleyraOutcome, parse_response, request_body
from bot.phone import mask_phone
from bot.request import ValidRequest, validate
from bot.slack.command_text import USAGE, Inline, parse_command
from bot.status import Status

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

KALEYRA_TIMEOUT_SECONDS = 10.0

# Warnings and errors only (the floor), in lines shaped like serve's (" ERROR "), which bench.server looks for.
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")


app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
)
kaleyra = httpx.Client(timeout=KALEYRA_TIMEOUT_SECONDS)
# The Kaleyra call runs here while the listener's own thread posts the parent message.
calls = ThreadPoolExecutor()


@app.command("/resend-otp")
def resend_otp(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    ack()
    parsed = parse_command(str(command.get("text", "")))
    valid = validate(parsed.request) if isinstance(parsed, Inline) else None
    if not isinstance(valid, ValidRequest):
        respond(f"Write: `{USAGE}`")
        return
    sending = calls.submit(retry_otp, valid)
    channel, who = command["channel_id"], f"{mask_phone(valid.phone_number)} by {valid.verification.value}"
    parent = client.chat_postMessage(channel=channel, text=f"Resending the OTP to {who}: sending…")
    outcome = sending.result()
    said = f"{outcome.kind.emoji} {outcome.kind.label} ({outcome.code or outcome.kind.code}) {outcome.message}"
    client.chat_postMessage(channel=channel, thread_ts=parent["ts"], text=said)
    client.chat_update(channel=channel, ts=parent["ts"], text=f"Resending the OTP to {who}: {outcome.kind.label}")


def retry_otp(request: ValidRequest) -> KaleyraOutcome:
    base, sid = os.environ["KALEYRA_BASE_URL"].rstrip("/"), os.environ["KALEYRA_SID"]
    url = f"{base}/v2/{sid}/whatsapp/{request.waba_id}/number/retry_otp"
    body = request_body(request.phone_number_id, request.phone_number, request.verification)
    headers = {"api-key": os.environ["KALEYRA_API_KEY"], "Content-Type": "application/json"}
    started = time.monotonic()
    try:
        response = kaleyra.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        return KaleyraOutcome(Status.UNEXPECTED_RESPONSE, None, repr(exc), None, _ms_since(started))
    return parse_response(response.status_code, response.content, _ms_since(started))


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


_slack = SlackRequestHandler(app)


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    # A load balancer's health check, as any deployed bot has; bench waits on it.
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    return _slack(environ, start_response)
