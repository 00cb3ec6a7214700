"""The retry_otp client over real HTTP against a local Kaleyra that answers as its docs say."""

from __future__ import annotations

import gc
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from bot.config import Settings
from bot.kaleyra import KaleyraClient, KaleyraOutcome, Verification, confirms_phone_number_id, parse_response
from bot.network import NetworkLoop
from bot.secret import Secret
from bot.status import Status
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.stalling import StallingServer
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, PHONE, PHONE_NUMBER_ID, WABA

EXPECTED_PATH = f"/v2/{KALEYRA_SID}/whatsapp/{WABA}/number/retry_otp"
FIELD_ERROR = {"phone_number": "is invalid"}


def client_at(
    base_url: str, network: NetworkLoop, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> KaleyraClient:
    """A client for a server of the test's own, rather than the fake Kaleyra."""
    return KaleyraClient(
        sid=KALEYRA_SID,
        api_key=Secret(KALEYRA_API_KEY),
        base_url=base_url,
        timeout_seconds=timeout_seconds,
        network=network,
        transport=transport,
    )


def call(client: KaleyraClient, verification: Verification = Verification.SMS) -> KaleyraOutcome:
    return client.retry_otp(
        waba_id=WABA, phone_number_id=PHONE_NUMBER_ID, phone_number=PHONE, verification=verification
    ).result()


def assert_no_key_leak(client: KaleyraClient, outcome: KaleyraOutcome, caplog: pytest.LogCaptureFixture) -> None:
    assert KALEYRA_API_KEY not in repr(client)
    assert KALEYRA_API_KEY not in repr(outcome)
    for record in caplog.records:
        assert KALEYRA_API_KEY not in record.getMessage(), record.name
        assert KALEYRA_API_KEY not in repr(record.__dict__), record.name


@pytest.fixture
def client(settings: Callable[..., Settings], network: NetworkLoop) -> KaleyraClient:
    return KaleyraClient.from_settings(settings(), network)


# scenario, kind, code, HTTP status, field errors Kaleyra named
ANSWERS = [
    ("WA200", Status.SENT, "WA200", 200, set()),
    ("RBC001", Status.AUTH, "RBC001", 401, {"body", "error"}),
    ("WA401", Status.NOT_ON_ACCOUNT, "WA401", 401, {"waba_id"}),
    ("WA400_payload", Status.BAD_REQUEST, "WA400", 400, {"payload"}),
    ("WA400_type", Status.BAD_REQUEST, "WA400", 400, {"type_verification"}),
    ("WA400_phone", Status.BAD_REQUEST, "WA400", 400, {"phone_number"}),
    ("WA500_approved", Status.ALREADY_VERIFIED, "WA500", 500, {"error"}),
    ("WA500_later", Status.UPSTREAM_ERROR, "WA500", 500, {"error"}),
    ("html502", Status.UNEXPECTED_RESPONSE, None, 502, set()),
    ("malformed_json", Status.UNEXPECTED_RESPONSE, None, 200, set()),
    # A code the bot has never seen, with HTTP 200: not "sent".
    ("unknown_code", Status.UNEXPECTED_RESPONSE, "WA999", 200, {"error"}),
    # The connection breaks after the request went out: it may have been delivered.
    ("drop", Status.UNEXPECTED_RESPONSE, None, None, set()),
]


@pytest.mark.parametrize(("scenario", "kind", "code", "status", "fields"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_each_documented_answer_becomes_its_outcome(
    client: KaleyraClient,
    fake_kaleyra: FakeKaleyra,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
    kind: Status,
    code: str | None,
    status: int | None,
    fields: set[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_kaleyra.queue(scenario)

    outcome = call(client)

    assert (outcome.kind, outcome.code, outcome.http_status) == (kind, code, status)
    assert set(outcome.field_errors) == fields
    assert outcome.message  # every outcome says something a person can read
    assert outcome.latency_ms >= 0
    # Exactly one request: each one may text or call a real person.
    (request,) = fake_kaleyra.requests
    assert request.method == "POST"
    assert request.path == EXPECTED_PATH
    assert_no_key_leak(client, outcome, caplog)


def test_request_is_exactly_what_the_docs_show(client: KaleyraClient, fake_kaleyra: FakeKaleyra) -> None:
    outcome = call(client, Verification.VOICE)

    assert outcome.kind is Status.SENT
    assert outcome.message == "Request Processed Successfully"
    (request,) = fake_kaleyra.requests
    assert request.method == "POST"
    assert request.path == EXPECTED_PATH
    assert request.headers["api-key"] == KALEYRA_API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "VOICE"}
    assert isinstance(request.json["id"], str)


def test_per_waba_sid_and_base_url_change_the_path(client: KaleyraClient, fake_kaleyra: FakeKaleyra) -> None:
    outcome = client.retry_otp(
        waba_id=WABA,
        phone_number_id=PHONE_NUMBER_ID,
        phone_number=PHONE,
        verification=Verification.SMS,
        sid="HXOTHERSID",
        base_url=fake_kaleyra.base_url + "/",
    ).result()

    # The fake knows only the bot's SID, so it answers like Kaleyra does for a wrong one.
    assert outcome.kind is Status.AUTH
    (request,) = fake_kaleyra.requests
    assert request.path == f"/v2/HXOTHERSID/whatsapp/{WABA}/number/retry_otp"


def test_wrong_api_key_is_auth_and_not_echoed(
    settings: Callable[..., Settings], fake_kaleyra: FakeKaleyra, network: NetworkLoop
) -> None:
    outcome = call(KaleyraClient.from_settings(settings(KALEYRA_API_KEY="another-wrong-key-123"), network))

    assert (outcome.kind, outcome.code) == (Status.AUTH, "RBC001")
    assert "another-wrong-key-123" not in repr(outcome)


def test_hang_times_out_at_the_deadline(
    settings: Callable[..., Settings], fake_kaleyra: FakeKaleyra, caplog: pytest.LogCaptureFixture, network: NetworkLoop
) -> None:
    caplog.set_level(logging.DEBUG)
    client = KaleyraClient.from_settings(settings(KALEYRA_TIMEOUT_SECONDS="1"), network)
    fake_kaleyra.queue("hang")

    started = time.monotonic()
    outcome = call(client)
    elapsed = time.monotonic() - started

    assert outcome.kind is Status.TIMEOUT
    assert outcome.kind.may_have_sent
    assert 1.0 <= elapsed < 1.5
    assert len(fake_kaleyra.requests) == 1
    assert_no_key_leak(client, outcome, caplog)


def test_slow_answer_within_the_deadline_is_read(
    settings: Callable[..., Settings], fake_kaleyra: FakeKaleyra, network: NetworkLoop
) -> None:
    client = KaleyraClient.from_settings(settings(KALEYRA_TIMEOUT_SECONDS="2"), network)
    fake_kaleyra.queue("slow:0.6")

    outcome = call(client)

    assert outcome.kind is Status.SENT
    assert 600 <= outcome.latency_ms < 2000
    assert len(fake_kaleyra.requests) == 1


@pytest.fixture
def trickling_server() -> Iterator[tuple[str, list[bytes]]]:
    """A server that answers one byte every 0.2 s: every read is quick, the whole answer is not."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            received.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            while not stop.wait(0.2):
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_deadline_holds_for_the_whole_call_not_each_read(
    settings: Callable[..., Settings], trickling_server: tuple[str, list[bytes]], network: NetworkLoop
) -> None:
    base_url, received = trickling_server
    client = KaleyraClient.from_settings(settings(KALEYRA_TIMEOUT_SECONDS="1", KALEYRA_BASE_URL=base_url), network)

    started = time.monotonic()
    outcome = call(client)

    assert outcome.kind is Status.TIMEOUT
    assert time.monotonic() - started < 1.5
    assert len(received) == 1


class CountingTransport(httpx.AsyncBaseTransport):
    """The real network transport, counting how many requests the client tried to send."""

    def __init__(self) -> None:
        self.attempts = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_refused_connection_is_unreachable_after_at_most_two_tries(
    caplog: pytest.LogCaptureFixture, network: NetworkLoop
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = CountingTransport()
    client = client_at(f"http://127.0.0.1:{unused_port()}", network, 5, transport)

    started = time.monotonic()
    outcome = call(client)

    assert outcome.kind is Status.UNREACHABLE
    assert not outcome.kind.may_have_sent
    assert (outcome.code, outcome.http_status) == (None, None)
    assert 1 <= transport.attempts <= 2
    assert time.monotonic() - started < 2.0  # well inside the 5 s deadline: nothing waited on a dead port
    assert_no_key_leak(client, outcome, caplog)


# httpcore leaves a TLS handshake's socket to the garbage collector when it is abandoned.
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
def test_a_connection_that_stalls_is_given_up_and_tried_once_more_within_the_deadline(
    monkeypatch: pytest.MonkeyPatch, network: NetworkLoop
) -> None:
    # Each attempt has a bound of its own (CONNECT_TIMEOUT_SECONDS, here shortened), so a lost first
    # connection leaves time for a second before the whole call's deadline.
    monkeypatch.setattr("bot.kaleyra.CONNECT_TIMEOUT_SECONDS", 0.2)
    with StallingServer(read_headers=False) as silent:
        client = client_at(f"https://127.0.0.1:{silent.port}", network, 3)
        outcome = call(client)
        accepted = silent.accepted
    gc.collect()

    assert outcome.kind is Status.UNREACHABLE
    assert accepted == 2
    assert "ConnectTimeout" in outcome.message


@pytest.mark.parametrize(
    ("kind", "may_have_sent"),
    [
        (Status.SENT, True),
        (Status.UPSTREAM_ERROR, True),
        (Status.TIMEOUT, True),
        (Status.UNEXPECTED_RESPONSE, True),
        (Status.ALREADY_VERIFIED, False),
        (Status.BAD_REQUEST, False),
        (Status.AUTH, False),
        (Status.NOT_ON_ACCOUNT, False),
        (Status.UNREACHABLE, False),
    ],
)
def test_which_outcomes_may_have_reached_a_person(kind: Status, may_have_sent: bool) -> None:
    assert kind.may_have_sent is may_have_sent


@pytest.mark.parametrize("kind", list(Status))
def test_only_kaleyras_own_verdicts_on_the_number_confirm_its_id(kind: Status) -> None:
    # Remembered for alerts that name the number but not its id: only when Kaleyra acted on that id.
    confirms = kind in (Status.SENT, Status.ALREADY_VERIFIED, Status.UPSTREAM_ERROR)
    assert confirms_phone_number_id(KaleyraOutcome(kind, None, "", 200, 1)) is confirms


@pytest.mark.parametrize(
    ("body", "message", "fields"),
    [
        (b'{"code": "WA200"}', "", {}),
        (b'{"code": "WA400", "message": "bad", "error": {"phone_number": "is invalid"}}', "bad", FIELD_ERROR),
        (b'{"code": "WA400", "message": "bad", "error": "one string, not the documented object"}', "bad", {}),
        (b'{"code": "WA400", "message": "bad", "error": ["a", "list"]}', "bad", {}),
    ],
)
def test_an_answer_missing_its_message_or_with_odd_errors_is_still_read(
    body: bytes, message: str, fields: dict[str, str]
) -> None:
    outcome = parse_response(400, body, 12)

    assert (outcome.message, dict(outcome.field_errors)) == (message, fields)


def test_opening_a_connection_ahead_sends_a_bare_head_once_and_the_resend_reuses_it(
    client: KaleyraClient, fake_kaleyra: FakeKaleyra
) -> None:
    client.open_connection().result(timeout=5)
    # A form opened twice in a row asks once: the connection is already open.
    client.open_connection(fake_kaleyra.base_url + "/").result(timeout=5)
    outcome = call(client)

    (warm_up,) = fake_kaleyra.warm_ups
    # The host's root, without the key: it can never send an OTP.
    assert (warm_up.method, warm_up.path) == ("HEAD", "/")
    assert "api-key" not in warm_up.headers
    assert outcome.kind is Status.SENT
    assert fake_kaleyra.connections == 1


def test_a_connection_ahead_that_gets_no_answer_gives_up_at_the_deadline_and_says_so(
    network: NetworkLoop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.kaleyra")
    with StallingServer(read_headers=True) as silent:
        client = client_at(f"http://127.0.0.1:{silent.port}", network, 0.5)
        # Nothing waits on it in the bot; here, its end shows it did not hold on past the deadline.
        client.open_connection().result(timeout=5)
        (head,) = silent.heads
    assert head.startswith(b"HEAD / ")

    said = [r.getMessage() for r in caplog.records if r.name == "bot.kaleyra"]
    assert said == ["could not open a connection to Kaleyra ahead: TimeoutError"]
