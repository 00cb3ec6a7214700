"""A plain Bolt for Python bot answering the inline `/resend-otp`: the peer `bench.py --peer` runs
beside `serve`.

It is deployed the way most Bolt bots are: the sync `App` behind Bolt's WSGI adapter under gunicorn
(one gthread worker), Bolt checking the signature, slack_sdk's default `WebClient` (a new connection
per call) and one module-level `httpx.Client` for Kaleyra. Its Slack work matches serve's: the parent
message posted while Kaleyra is called, the outcome in its thread, the parent updated.

With PEER_WORK=store (the default) it does the work SPEC asks of every resend, with the bot's own
store and use case: the granted user groups read and their members asked of Slack (kept a minute),
then `Resender.start` (grant, hourly limit, cooldown claim, the `pending` row) and the outcome
recorded. That is the peer serve is held to: the same work, served the plain way. With PEER_WORK=none
it skips all of it (no store, no grants, no cooldown), to show what the store's work costs.

    gunicorn --workers 1 --worker-class gthread --threads 8 bench.peer:api   (bench.versus starts it)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.config import load_settings
from bot.kaleyra import KaleyraClient, KaleyraOutcome, parse_response, request_body
from bot.network import NetworkLoop
from bot.phone import mask_phone
from bot.request import ValidRequest, validate
from bot.resend import Resender
from bot.resend_values import Origin, Requester, ResendResult
from bot.service import Service
from bot.slack.command_text import USAGE, Inline, parse_command
from bot.status import Status
from bot.store.db import make_engine, make_sessions

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

KALEYRA_TIMEOUT_SECONDS = 10.0
GROUP_CACHE_SECONDS = 60.0
WITH_STORE = os.environ.get("PEER_WORK", "store") == "store"

# Warnings and errors only (the floor), in lines shaped like serve's (" ERROR "), which bench.server looks for.
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")


app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
)
kaleyra = httpx.Client(timeout=KALEYRA_TIMEOUT_SECONDS)
# The Kaleyra call runs here while the listener's own thread posts the parent message.
calls = ThreadPoolExecutor()


def retry_otp(url: str, body: dict[str, str]) -> KaleyraOutcome:
    headers = {"api-key": os.environ["KALEYRA_API_KEY"], "Content-Type": "application/json"}
    started = time.monotonic()
    try:
        response = kaleyra.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        return KaleyraOutcome(Status.UNEXPECTED_RESPONSE, None, repr(exc), None, _ms_since(started))
    return parse_response(response.status_code, response.content, _ms_since(started))


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def send_retry_otp(
    waba_id: str, body: dict[str, str], sid: str | None = None, base_url: str | None = None
) -> Future[KaleyraOutcome]:
    base = (base_url or os.environ["KALEYRA_BASE_URL"]).rstrip("/")
    url = f"{base}/v2/{sid or os.environ['KALEYRA_SID']}/whatsapp/{waba_id}/number/retry_otp"
    return calls.submit(retry_otp, url, body)


class PlainKaleyra(KaleyraClient):
    """The bot's use case calling Kaleyra the plain way: the shared `httpx.Client` on a thread."""

    def retry_otp(self, **call: Any) -> Future[KaleyraOutcome]:
        body = request_body(call["phone_number_id"], call["phone_number"], call["verification"])
        return send_retry_otp(call["waba_id"], body, call.get("sid"), call.get("base_url"))


class Store:
    """What SPEC asks before and after each call, through the bot's own store and use case."""

    def __init__(self) -> None:
        settings = load_settings(dotenv=False)
        sessions = make_sessions(make_engine(settings.database_url))
        self.service = Service(settings, sessions)
        # The loop is never started: PlainKaleyra's calls don't use it.
        self.resender = Resender(settings, sessions, PlainKaleyra.from_settings(settings, NetworkLoop()))
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    def requester(self, user_id: str, client: WebClient) -> Requester:
        groups = {g for g in self.service.granted_group_ids() if user_id in self._members_of(g, client)}
        return Requester(user_id, frozenset(groups))

    def _members_of(self, group_id: str, client: WebClient) -> frozenset[str]:
        asked_at, members = self._members.get(group_id, (0.0, frozenset()))
        if time.monotonic() - asked_at > GROUP_CACHE_SECONDS:
            members = frozenset(client.usergroups_users_list(usergroup=group_id).get("users") or ())
            self._members[group_id] = (time.monotonic(), members)
        return members


store = Store() if WITH_STORE else None


@app.command("/resend-otp")
def resend_otp(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    ack()
    parsed = parse_command(str(command.get("text", "")))
    if not isinstance(parsed, Inline):
        respond(f"Write: `{USAGE}`")
        return
    if store is None:
        valid = validate(parsed.request)
        if not isinstance(valid, ValidRequest):
            respond(f"Write: `{USAGE}`")
            return
        body = request_body(valid.phone_number_id, valid.phone_number, valid.verification)
        sending = send_retry_otp(valid.waba_id, body)
        announce_and_post(client, command["channel_id"], valid, sending.result)
        return
    requester = store.requester(command["user_id"], client)
    started = store.resender.start(requester, Origin("command", command["channel_id"]), parsed.request)
    if isinstance(started, ResendResult):
        respond(f"{started.status.emoji} {started.status.label}")
        return
    calling = store.resender.call(started)
    announce_and_post(client, command["channel_id"], started.request, lambda: _kaleyra_of(calling.result()))


def announce_and_post(
    client: WebClient, channel: str, valid: ValidRequest, outcome_of: Callable[[], KaleyraOutcome]
) -> None:
    who = f"{mask_phone(valid.phone_number)} by {valid.verification.value}"
    parent = client.chat_postMessage(channel=channel, text=f"Resending the OTP to {who}: sending…")
    outcome = outcome_of()
    said = f"{outcome.kind.emoji} {outcome.kind.label} ({outcome.code or outcome.kind.code}) {outcome.message}"
    client.chat_postMessage(channel=channel, thread_ts=parent["ts"], text=said)
    client.chat_update(channel=channel, ts=parent["ts"], text=f"Resending the OTP to {who}: {outcome.kind.label}")


def _kaleyra_of(result: ResendResult) -> KaleyraOutcome:
    if result.kaleyra is None:
        raise RuntimeError(f"the resend ended {result.status.value} without Kaleyra's answer")
    return result.kaleyra


_slack = SlackRequestHandler(app)


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    # A load balancer's health check, as any deployed bot has; bench waits on it.
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    return _slack(environ, start_response)
