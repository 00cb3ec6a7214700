"""A loopback stand-in for Kaleyra's WhatsApp `retry_otp` endpoint.

Answers use the exact bodies from Kaleyra's documentation
(`/work/shared/seed/kaleyra-retry-otp.txt`) so the bot is tested against what
the real API says, not against what we assume it says.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.server import LoopbackServer, TrackedHandler, hard_close

__all__ = ["FakeKaleyra", "RecordedRequest", "SCENARIOS", "unused_port"]

_ROUTE = re.compile(r"^/v2/(?P<sid>[^/]+)/whatsapp/(?P<waba>[^/]+)/number/retry_otp/?$")
# "Get Phone Number Details": GET, read-only; `python -m bot check` probes the credentials with it.
_NUMBERS_ROUTE = re.compile(r"^/v2/(?P<sid>[^/]+)/whatsapp/(?P<waba>[^/]+)/number/?$")
# E.164: a country code and up to 15 digits in all; Niue's (+683) national numbers have 4.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_REQUIRED_KEYS = ("id", "phone_number", "type_verification")

# Bodies copied verbatim from the documentation's sample responses.
_WA200: dict[str, Any] = {
    "code": "WA200",
    "message": "Request Processed Successfully",
    "data": True,
    "error": {},
}
_RBC001: dict[str, Any] = {
    "code": "RBC001",
    "message": "Incorrect SID or API key.",
    "data": [],
    "error": {"body": "Incorrect SID or API key.", "error": "record not found"},
}
_WA401: dict[str, Any] = {
    "code": "WA401",
    "message": "Waba_id is not present or does not belong to the account.",
    "data": {},
    "error": {"waba_id": "Waba_id is not present or does not belong to the account."},
}
_WA400_PAYLOAD: dict[str, Any] = {
    "code": "WA400",
    "message": "Refer to correct payload format",
    "data": {},
    "error": {"payload": "Incorrect payload format"},
}
_TYPE_ERROR = (
    "key: 'cloudapinumberotpretryrequest.type_verification' error:field validation "
    "for 'type_verification' failed on the 'isvalidtypeverification' tag"
)
_WA400_TYPE: dict[str, Any] = {
    "code": "WA400",
    "message": _TYPE_ERROR,
    "data": [],
    "error": {"type_verification": _TYPE_ERROR},
}
_WA400_PHONE: dict[str, Any] = {
    "code": "WA400",
    "message": "invalid phone number",
    "data": [],
    "error": {"phone_number": "invalid phone number"},
}
_WA500_APPROVED: dict[str, Any] = {
    "code": "WA500",
    "message": "wa phone number already approved",
    "data": [],
    "error": {"error": "wa phone number already approved"},
}
_WA500_LATER: dict[str, Any] = {
    "code": "WA500",
    "message": "Please try again later",
    "data": {},
    "error": {"error": "Internal server error"},
}
# Not in the docs: a code the bot has never seen must still become an outcome.
_UNKNOWN: dict[str, Any] = {
    "code": "WA999",
    "message": "Something unexpected happened",
    "data": {},
    "error": {"error": "unexpected"},
}

_STATUS_BY_CODE = {"WA200": 200, "WA400": 400, "RBC001": 401, "WA401": 401, "WA500": 500}

_JSON_SCENARIOS: dict[str, dict[str, Any]] = {
    "WA200": _WA200,
    "RBC001": _RBC001,
    "WA401": _WA401,
    "WA400_payload": _WA400_PAYLOAD,
    "WA400_type": _WA400_TYPE,
    "WA400_phone": _WA400_PHONE,
    "WA500_approved": _WA500_APPROVED,
    "WA500_later": _WA500_LATER,
    # A new code arrives with HTTP 200: the bot must read `code`, not the status.
    "unknown_code": _UNKNOWN,
}

_NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
# Cut mid-string, as when a proxy truncates the body but keeps the status.
_TRUNCATED_JSON = b'{"code": "WA200", "message": "Request Proc'

SCENARIOS: frozenset[str] = frozenset({*_JSON_SCENARIOS, "html502", "malformed_json", "hang", "drop"})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    received_at: float = field(default_factory=time.monotonic)


def unused_port() -> int:
    """A loopback port with nothing listening (for "connection refused").

    Bind-then-close leaves the port free; the OS hands out ephemeral ports
    round-robin, so it is very unlikely to be reused within a test.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _validate_scenario(name: str) -> None:
    if name in SCENARIOS:
        return
    if name.startswith("slow:"):
        float(name.removeprefix("slow:"))  # raises early, in the test, not in the server
        return
    raise ValueError(f"unknown Kaleyra scenario {name!r}; known: {sorted(SCENARIOS)} or 'slow:<s>'")


class FakeKaleyra(LoopbackServer):
    """Real HTTP server on 127.0.0.1 that answers like Kaleyra's retry_otp API."""

    def __init__(
        self,
        *,
        sid: str = "HXAP16TEST97IN",
        api_key: str = "test-api-key",
        wabas: tuple[str, ...] | list[str] = ("766000000001",),
        latency: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.sid = sid
        self.api_key = api_key
        self.wabas = tuple(wabas)
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        # HEADs that open a connection ahead of a resend; kept apart, as they can never send an OTP.
        self.warm_ups: list[RecordedRequest] = []
        self._scenarios: deque[str] = deque()
        # Bodies queued by answer(), played by the scenario name it queued.
        self._answers: dict[str, tuple[int, bytes]] = {}
        # Bumped by release_hung(): frees the requests held so far, not later ones.
        self._release_generation = 0

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    # -- test controls -------------------------------------------------------

    def url_for(self, waba_id: str, sid: str | None = None) -> str:
        return f"{self.base_url}/v2/{sid or self.sid}/whatsapp/{waba_id}/number/retry_otp"

    def queue(self, *scenarios: str) -> None:
        for name in scenarios:
            _validate_scenario(name)
        with self._lock:
            self._scenarios.extend(scenarios)

    def answer(self, status: int, payload: Any) -> None:
        """Queue one answer with this status and JSON body, whatever it says (Kaleyra is not trusted)."""
        with self._lock:
            name = f"answer:{len(self._answers)}"
            self._answers[name] = (status, json.dumps(payload).encode())
            self._scenarios.append(name)

    def release_hung(self) -> None:
        with self._lock:
            self._release_generation += 1
            self._lock.notify_all()

    def wait_for_requests(self, n: int, timeout: float = 5.0, *, warm_ups: bool = False) -> list[RecordedRequest]:
        """The first `n` retry_otp requests (or HEADs opening a connection ahead, with `warm_ups`)."""
        seen = self.warm_ups if warm_ups else self.requests
        with self._lock:
            if not self._lock.wait_for(lambda: len(seen) >= n, timeout):
                got = [f"{r.method} {r.path}" for r in seen]
                raise AssertionError(f"expected {n} Kaleyra request(s), got {len(got)}: {got}")
            return list(seen)

    # -- used by the handler -------------------------------------------------

    def _record(self, request: RecordedRequest) -> int:
        """Record and return the release generation the request arrived in."""
        with self._lock:
            (self.warm_ups if request.method == "HEAD" else self.requests).append(request)
            self._lock.notify_all()
            return self._release_generation

    def _next_scenario(self) -> str | None:
        with self._lock:
            return self._scenarios.popleft() if self._scenarios else None

    def _hold(self, since: int) -> bool:
        """Block until release_hung() (True) or the server stops (False).

        `since` is taken when the request was recorded, so a release that races
        ahead of the handler (test saw the request, released at once) still counts.
        """
        with self._lock:
            self._lock.wait_for(lambda: self._release_generation != since or self._stopping.is_set())
            return not self._stopping.is_set()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; False means "stopping, give up"."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def _numbers_answer(self, sid: str, waba: str, headers: dict[str, str]) -> dict[str, Any]:
        if headers.get("api-key") != self.api_key or sid != self.sid:
            return _RBC001
        if waba not in self.wabas:
            return _WA401
        return {"code": "WA200", "message": "Request Processed Successfully", "data": [], "error": {}}

    def _default_answer(self, sid: str, waba: str, headers: dict[str, str], payload: Any) -> dict[str, Any]:
        if headers.get("api-key") != self.api_key or sid != self.sid:
            return _RBC001
        if waba not in self.wabas:
            return _WA401
        # The docs say application/json is "the only allowed value"; being strict
        # here catches a client that forgets the header.
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _WA400_PAYLOAD
        if not isinstance(payload, dict) or any(k not in payload for k in _REQUIRED_KEYS):
            return _WA400_PAYLOAD
        phone_id = payload["id"]
        # The docs disagree on `id` (string in the example, Integer in the table):
        # accept both, but only digits.
        if isinstance(phone_id, bool) or not (
            isinstance(phone_id, int) or (isinstance(phone_id, str) and phone_id.isdigit())
        ):
            return _WA400_PAYLOAD
        if payload["type_verification"] not in ("SMS", "VOICE"):
            return _WA400_TYPE
        phone = payload["phone_number"]
        if not isinstance(phone, str) or not _E164.match(phone):
            return _WA400_PHONE
        return _WA200


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _make_handler(fake: FakeKaleyra) -> type[BaseHTTPRequestHandler]:
    # The class attribute can't be named from the parameter of the same name in the class body.
    fake_server = fake

    class Handler(TrackedHandler):
        fake = fake_server
        server_version = "FakeKaleyra/1.0"
        _since = 0

        def _handle(self) -> None:
            body = _read_body(self)
            try:
                parsed: Any = json.loads(body) if body else None
            except ValueError:
                parsed = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            # The path as sent: http.server folds a leading "//" into "/", which would hide a doubled slash.
            sent_path = self.requestline.split(" ")[1]
            self._since = fake._record(RecordedRequest(self.command, sent_path, headers, body, parsed))

            path = sent_path.split("?", 1)[0]
            numbers = _NUMBERS_ROUTE.match(path)
            if numbers is not None and self.command == "GET":
                answer = fake._numbers_answer(numbers["sid"], numbers["waba"], headers)
                self._send_json(_STATUS_BY_CODE[answer["code"]], answer)
                return
            match = _ROUTE.match(path)
            if match is None or self.command != "POST":
                self._send_json(404, {"error": "not found", "path": path})
                return

            scenario = fake._next_scenario()
            if not fake._sleep(fake.latency):
                self._drop()
                return
            if scenario is None:
                answer = fake._default_answer(match["sid"], match["waba"], headers, parsed)
                self._send_json(_STATUS_BY_CODE[answer["code"]], answer)
            else:
                self._play(scenario)

        def _play(self, scenario: str) -> None:
            if scenario in _JSON_SCENARIOS:
                answer = _JSON_SCENARIOS[scenario]
                self._send_json(_STATUS_BY_CODE.get(answer["code"], 200), answer)
            elif scenario in fake._answers:
                status, body = fake._answers[scenario]
                self._send_raw(status, "application/json", body)
            elif scenario == "html502":
                self._send_raw(502, "text/html", _NGINX_502)
            elif scenario == "malformed_json":
                self._send_raw(200, "application/json", _TRUNCATED_JSON)
            elif scenario == "drop":
                self._drop()
            elif scenario == "hang":
                if fake._hold(self._since):
                    self._send_json(200, _WA200)
                else:
                    self._drop()
            elif scenario.startswith("slow:"):
                if fake._sleep(float(scenario.removeprefix("slow:"))):
                    self._send_json(200, _WA200)
                else:
                    self._drop()

        def _send_json(self, status: int, payload: Any) -> None:
            self._send_raw(status, "application/json", json.dumps(payload).encode())

        def _send_raw(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":  # a body after a HEAD's headers would corrupt the kept-alive connection
                self.wfile.write(body)

        def _drop(self) -> None:
            self.close_connection = True
            hard_close(self.connection)

    return Handler
