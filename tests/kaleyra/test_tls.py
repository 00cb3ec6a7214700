"""Kaleyra over HTTPS: the API key goes only to a server whose certificate the bot trusts.

The bot trusts a private CA as an operator would make it: SSL_CERT_FILE in its environment, which
OpenSSL reads whenever a default context is built. The client is built after the variable is set,
as in a process started with it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from bot.config import Settings
from bot.kaleyra import KaleyraClient
from bot.network import NetworkLoop, tls_context
from bot.status import Status
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.stalling import StallingServer
from tests.fakes.tls import ThrowawayCA
from tests.kaleyra.test_client import call
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, PHONE, PHONE_NUMBER_ID, WABA


@pytest.fixture
def ca() -> Iterator[ThrowawayCA]:
    with ThrowawayCA() as authority:
        yield authority


@pytest.fixture(autouse=True)
def fresh_process_trust() -> Iterator[None]:
    """The bot reads SSL_CERT_FILE once per process, at its first connection: each test is a new process."""
    tls_context.cache_clear()
    yield
    tls_context.cache_clear()


def https_kaleyra(ca: ThrowawayCA, *names: str) -> FakeKaleyra:
    return FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,), tls=ca.server_context(*names))


def test_a_trusted_certificate_lets_the_call_through(
    settings: Callable[..., Settings], ca: ThrowawayCA, monkeypatch: pytest.MonkeyPatch, network: NetworkLoop
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
    with https_kaleyra(ca) as kaleyra:
        outcome = call(KaleyraClient.from_settings(settings(KALEYRA_BASE_URL=kaleyra.base_url), network))

        assert kaleyra.base_url.startswith("https://")
        assert (outcome.kind, outcome.code) == (Status.SENT, "WA200")
        (request,) = kaleyra.requests
        assert request.headers["api-key"] == KALEYRA_API_KEY


@pytest.mark.parametrize(
    "served_as",
    [
        pytest.param("untrusted CA", id="signed-by-a-ca-the-bot-does-not-trust"),
        pytest.param("api.kaleyra.io", id="trusted-ca-but-issued-for-another-host"),
    ],
)
def test_an_untrusted_certificate_never_gets_the_key(
    settings: Callable[..., Settings],
    ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    served_as: str,
    network: NetworkLoop,
) -> None:
    with ThrowawayCA() as stranger:
        # The bot trusts `ca`: a server it must refuse is either signed by someone else, or by `ca`
        # for a name that is not the one the bot dialled.
        monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
        server = https_kaleyra(stranger) if served_as == "untrusted CA" else https_kaleyra(ca, served_as)
        with server as kaleyra:
            outcome = call(KaleyraClient.from_settings(settings(KALEYRA_BASE_URL=kaleyra.base_url), network))

            assert outcome.kind is Status.UNREACHABLE
            assert not outcome.kind.may_have_sent  # the person is told nothing was sent
            assert (outcome.code, outcome.http_status) == (None, None)
            # The bot did reach the server, and refused it during the handshake: no request, so no key.
            assert kaleyra.connections >= 1
            kaleyra.wait_for_failed_handshakes(kaleyra.connections)
            assert kaleyra.requests == []


# httpcore leaves an abandoned TLS handshake's socket to the garbage collector.
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
@pytest.mark.parametrize(("scenario", "kind"), [("WA200", Status.SENT), ("hang", Status.TIMEOUT)])
def test_after_a_lost_connection_the_next_carries_the_whole_request_once(
    settings: Callable[..., Settings],
    ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    network: NetworkLoop,
    scenario: str,
    kind: Status,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
    monkeypatch.setattr("bot.kaleyra.CONNECT_TIMEOUT_SECONDS", 0.3)
    with https_kaleyra(ca) as kaleyra, StallingServer(read_headers=False, then_relay_to=kaleyra.port) as network_path:
        kaleyra.queue(scenario)
        env = settings(KALEYRA_BASE_URL=f"https://127.0.0.1:{network_path.port}", KALEYRA_TIMEOUT_SECONDS="2")
        outcome = call(KaleyraClient.from_settings(env, network))
        requests = list(kaleyra.requests)
    gc.collect()

    # A hang after the retried request went out is a timeout (an OTP may be on its way), not "unreachable".
    assert outcome.kind is kind
    (request,) = requests
    assert request.headers["api-key"] == KALEYRA_API_KEY
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "SMS"}
