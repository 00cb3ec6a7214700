"""Slack-signed request bodies in the shapes Slack documents.

Each builder returns `(body, headers)` ready to POST to the bot's
`/slack/events`. Signatures follow Slack's v0 scheme (HMAC-SHA256 over
`v0:{timestamp}:{body}`), so the bot's real verifier is exercised; pass
`timestamp=` for stale requests and `secret=` for forged ones.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

__all__ = [
    "SIGNING_SECRET",
    "block_actions",
    "event",
    "message_shortcut",
    "post",
    "sign",
    "slash_command",
    "state_values",
    "url_verification",
    "view_submission",
]

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM_ID = "T1"
API_APP_ID = "A1"
# The legacy verification token Slack still puts in payloads; Bolt ignores it.
VERIFICATION_TOKEN = "legacy-verification-token"

# Default response_url: loopback port 9 (discard), where nothing listens, so a
# test that forgets to pass FakeSlack.response_url() fails fast instead of
# posting to hooks.slack.com.
_NOWHERE = "http://127.0.0.1:9"

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_counter = itertools.count(1)


def _trigger_id() -> str:
    # Slack's trigger ids look like "<n>.<n>.<hex>"; only uniqueness matters here.
    n = next(_counter)
    return f"{n}.{int(time.time())}.{n:032x}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def sign(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str | None = None
) -> tuple[str, dict[str, str]]:
    """Sign `body` exactly as Slack does and return it with its headers."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new((secret or SIGNING_SECRET).encode(), base, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def _user(user_id: str, user_name: str, team_id: str = TEAM_ID) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _team(team_id: str = TEAM_ID) -> dict[str, str]:
    return {"id": team_id, "domain": "test-team"}


def _interactive(payload: dict[str, Any], timestamp: int | None, secret: str | None) -> tuple[str, dict[str, str]]:
    # Interactivity arrives form-encoded with the JSON in a single `payload` field.
    return sign(urlencode({"payload": json.dumps(payload)}), _FORM, timestamp=timestamp, secret=secret)


def slash_command(
    text: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    command: str = "/resend-otp",
    trigger_id: str | None = None,
    response_url: str = _NOWHERE + "/commands/T1/1/abc",
    team_id: str = TEAM_ID,
    user_name: str = "alice",
    channel_name: str = "general",
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[str, dict[str, str]]:
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "test-team",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return sign(urlencode(fields), _FORM, timestamp=timestamp, secret=secret)


def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def state_values(
    waba_id: str | None = None,
    phone_number_id: str | None = None,
    phone_number: str | None = None,
    type_verification: str | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """`view.state.values` for the resend modal (block_id == action_id, per SPEC).

    Slack reports every input block, with null for fields left empty.
    """
    return {
        "waba_id": {
            "waba_id": {
                "type": "static_select",
                "selected_option": None if waba_id is None else _option(waba_id),
            }
        },
        "phone_number_id": {"phone_number_id": {"type": "plain_text_input", "value": phone_number_id}},
        "phone_number": {"phone_number": {"type": "plain_text_input", "value": phone_number}},
        "type_verification": {
            "type_verification": {
                "type": "radio_buttons",
                "selected_option": None if type_verification is None else _option(type_verification),
            }
        },
    }


def view_submission(
    view: dict[str, Any],
    *,
    user_id: str = "U1",
    values: dict[str, Any],
    user_name: str = "alice",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[str, dict[str, str]]:
    """A modal submission; `view` is the view the bot opened (e.g. from FakeSlack)."""
    view_id = view.get("id") or "V0000000001"
    full_view = {
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "title": {"type": "plain_text", "text": "Resend OTP", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "external_id": "",
        **view,
        "id": view_id,
        "team_id": team_id,
        "state": {"values": values},
        "hash": view.get("hash") or f"{int(time.time())}.abcdef",
        "root_view_id": view.get("root_view_id") or view_id,
        "app_id": API_APP_ID,
        "app_installed_team_id": team_id,
        "bot_id": "BBOT",
    }
    payload = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "view": full_view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interactive(payload, timestamp, secret)


def block_actions(
    action_id: str,
    value: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    message_ts: str = "1700000000.000100",
    container: dict[str, Any] | None = None,
    response_url: str = _NOWHERE + "/actions/T1/1/abc",
    trigger_id: str | None = None,
    block_id: str | None = None,
    message: dict[str, Any] | None = None,
    user_name: str = "alice",
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[str, dict[str, str]]:
    """A button click in a message (pass `container` for one in a view/App Home)."""
    container = container or {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id or action_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": _action_ts(),
            }
        ],
    }
    if container.get("type") == "view":
        payload["view"] = {"id": container.get("view_id", "V0000000001"), "type": "home"}
    else:
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["message"] = message or {"type": "message", "ts": message_ts, "text": "", "bot_id": "BBOT"}
        payload["response_url"] = response_url
    return _interactive(payload, timestamp, secret)


def message_shortcut(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    trigger_id: str | None = None,
    response_url: str = _NOWHERE + "/app/T1/1/abc",
    channel_name: str = "alerts",
    user_name: str = "alice",
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[str, dict[str, str]]:
    """A message shortcut (`message_action`) on `message` (needs at least `ts`)."""
    full_message = {"type": "message", "text": "", **message}
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url,
        "message_ts": full_message["ts"],
        "message": full_message,
    }
    return _interactive(payload, timestamp, secret)


def event(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    event_id: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[str, dict[str, str]]:
    """An Events API `event_callback` wrapping `event` (e.g. app_home_opened); pass `event_id` for a re-delivery."""
    n = next(_counter)
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{n:010d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-context-{n}",
    }
    return sign(json.dumps(body), _JSON, timestamp=timestamp, secret=secret)


def url_verification(
    challenge: str, *, timestamp: int | None = None, secret: str | None = None
) -> tuple[str, dict[str, str]]:
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return sign(json.dumps(body), _JSON, timestamp=timestamp, secret=secret)


# One client for every test: building one per request costs ~40 ms (SSL context, pools).
_client = httpx.Client()


def post(url: str, body: str, headers: dict[str, str], timeout: float = 10.0) -> httpx.Response:
    # Bytes, not str: the signature covers these exact bytes.
    return _client.post(url, content=body.encode(), headers=headers, timeout=timeout)
