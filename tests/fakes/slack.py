"""A loopback stand-in for the Slack Web API and for `response_url` endpoints.

Point the bot's `SLACK_API_URL` at `FakeSlack.api_url`; slack_sdk appends the
method name, so every Web API call lands on `/api/<method>` here.
"""

from __future__ import annotations

import itertools
import json
import ssl
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from tests.fakes.server import LoopbackServer, TrackedHandler, hard_close

__all__ = ["FakeSlack", "SlackCall"]

# slack_sdk serialises these to JSON strings when it posts a form; tests want
# to assert on structure, so they are decoded back.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks", "outputs"})

TEAM_ID = "T1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
# What a workspace that installed the app from manifest.yml grants the bot token.
MANIFEST_SCOPES: tuple[str, ...] = tuple(
    yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"]
)


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.monotonic)
    status: int = 200
    path: str = ""

    @property
    def token(self) -> str:
        """The token the call was made with (header or form field), as Slack reads it."""
        return self.headers.get("authorization", "").removeprefix("Bearer ") or str(self.params.get("token", ""))


@dataclass(frozen=True)
class _Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _decode_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json" and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {"_raw": body.decode("utf-8", "replace")}
        params.update(parsed if isinstance(parsed, dict) else {"_json": parsed})
    elif body:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # leave it as sent: a test may want to see the bad value
    return params


class FakeSlack(LoopbackServer):
    """Real HTTP server on 127.0.0.1 that answers like the Slack Web API."""

    def __init__(
        self,
        *,
        usergroups: dict[str, list[str]] | None = None,
        scopes: tuple[str, ...] = MANIFEST_SCOPES,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.usergroups: dict[str, list[str]] = dict(usergroups or {})
        # Sent in every answer's x-oauth-scopes header, as Slack does for the token used.
        self.scopes = scopes
        self._rejected_tokens: set[str] = set()
        self.calls: list[SlackCall] = []
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._ts = itertools.count(100)
        self._view_ids = itertools.count(1)
        # Workflow step runs already completed or failed: Slack ends each one once.
        self._ended_executions: set[str] = set()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/response_url/{name}"

    # -- test controls -------------------------------------------------------

    def fail(self, method: str, error: str, times: int = 1) -> None:
        fault = _Fault(200, {"ok": False, "error": error}, {})
        with self._lock:
            self._faults[method].extend([fault] * times)

    def reject_token(self, token: str) -> None:
        """Answer every call made with `token` `invalid_auth`, as Slack does for a revoked token."""
        with self._lock:
            self._rejected_tokens.add(token)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        fault = _Fault(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        with self._lock:
            self._faults[method].extend([fault] * times)

    def hang(self, method: str, seconds: float) -> None:
        """Delay every answer to `method` by `seconds` (0 turns it off)."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        def matching() -> list[SlackCall]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        with self._lock:
            if self._lock.wait_for(lambda: len(matching()) >= count, timeout):
                return matching()
            seen = [f"{c.method} {_summary(c.params)}" for c in self.calls]
        lines = "\n  ".join(seen) or "(none)"
        raise AssertionError(
            f"expected {count} matching {method} call(s) within {timeout}s, "
            f"got {len(matching())}; calls received:\n  {lines}"
        )

    # -- used by the handler -------------------------------------------------

    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _is_rejected(self, token: str) -> bool:
        with self._lock:
            return token in self._rejected_tokens

    def _delay_for(self, method: str) -> float:
        with self._lock:
            return self._delays.get(method, 0.0)

    def _next_ts(self) -> str:
        with self._lock:
            n = next(self._ts)
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _next_view_id(self) -> str:
        with self._lock:
            return f"V{next(self._view_ids):010d}"

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """The body Slack returns for a successful call to `method`."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test-team.slack.com/",
                "team": "Test Team",
                "user": "resend-otp",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            if not p.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": p.get("text", ""),
                "ts": ts,
            }
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
            if "blocks" in p:
                message["blocks"] = p["blocks"]
            return {"ok": True, "channel": p["channel"], "ts": ts, "message": message}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": p.get("channel"),
                "ts": p.get("ts"),
                "text": p.get("text", ""),
                "message": {"text": p.get("text", ""), "blocks": p.get("blocks", [])},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.getPermalink":
            channel, ts = p.get("channel", ""), str(p.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://test-team.slack.com/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view: dict[str, Any] = p["view"] if isinstance(p.get("view"), dict) else {}
            view_id = p.get("view_id") or self._next_view_id()
            return {
                "ok": True,
                "view": {
                    **view,
                    "id": view_id,
                    "team_id": TEAM_ID,
                    "app_id": "A1",
                    "bot_id": BOT_ID,
                    "hash": f"{time.time():.6f}.hash",
                    "state": {"values": {}},
                    "root_view_id": view_id,
                    "external_id": p.get("external_id", ""),
                },
            }
        if method in ("functions.completeSuccess", "functions.completeError"):
            return self._end_execution(method, p)
        if method == "conversations.open":
            users = str(p.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users}}
        if method == "usergroups.users.list":
            group = p.get("usergroup", "")
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        if method == "users.info":
            user = str(p.get("user", ""))
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": TEAM_ID,
                    "name": user.lower(),
                    "real_name": f"User {user}",
                    "tz": "Asia/Kolkata",
                    "tz_label": "India Standard Time",
                    "tz_offset": 19800,
                    "is_bot": False,
                    "profile": {"display_name": user.lower(), "real_name": f"User {user}"},
                },
            }
        return {"ok": True}

    def _end_execution(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        execution = str(p.get("function_execution_id", ""))
        ending = p.get("outputs") if method == "functions.completeSuccess" else p.get("error")
        if not execution or ending is None:
            return {"ok": False, "error": "invalid_arguments"}
        if method == "functions.completeSuccess" and not isinstance(ending, dict):
            return {"ok": False, "error": "parameter_validation_failed"}
        with self._lock:
            if execution in self._ended_executions:
                return {"ok": False, "error": "execution_not_in_running_state"}
            self._ended_executions.add(execution)
        return {"ok": True}


def _summary(params: dict[str, Any]) -> str:
    # Enough to tell calls apart in a failure message without dumping whole views.
    keys = ("channel", "thread_ts", "text", "user", "trigger_id", "view_id", "usergroup", "function_execution_id")
    return json.dumps({k: params[k] for k in keys if k in params}, default=str)[:200]


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    # The class attribute can't be named from the parameter of the same name in the class body.
    fake_server = fake

    class Handler(TrackedHandler):
        fake = fake_server
        server_version = "FakeSlack/1.0"

        def _handle(self) -> None:
            received_at = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            url = urlsplit(self.path)
            params = _decode_params(url.query, headers.get("content-type", ""), body)

            if url.path.startswith("/response_url/"):
                fake._record(SlackCall("response_url", params, headers, received_at, 200, url.path))
                # Slack answers response_url posts with a bare "ok".
                self._send(200, "text/plain", b"ok", {})
                return
            if not url.path.startswith("/api/"):
                self._send_json(404, {"ok": False, "error": "unknown_path"}, {})
                return

            method = url.path.removeprefix("/api/").strip("/")
            delay = fake._delay_for(method)
            if delay and fake._stopping.wait(delay):
                self.close_connection = True
                hard_close(self.connection)
                return

            fault = fake._take_fault(method)
            token = headers.get("authorization", "").removeprefix("Bearer ") or str(params.get("token", ""))
            if fault is not None:
                status, answer, extra = fault.status, fault.body, fault.headers
            elif not token:
                status, answer, extra = 200, {"ok": False, "error": "not_authed"}, {}
            elif fake._is_rejected(token):
                status, answer, extra = 200, {"ok": False, "error": "invalid_auth"}, {}
            else:
                status, answer, extra = 200, fake._answer(method, params), {"x-oauth-scopes": ",".join(fake.scopes)}
            # Recorded before answering, so once the client holds its answer the
            # call is already visible to wait_for(); received_at predates any delay.
            fake._record(SlackCall(method, params, headers, received_at, status, url.path))
            self._send_json(status, answer, extra)

        def _send_json(self, status: int, payload: dict[str, Any], extra: dict[str, str]) -> None:
            self._send(status, "application/json; charset=utf-8", json.dumps(payload).encode(), extra)

        def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
