"""The fakes over HTTPS with a throwaway CA, and the connections they count: what bench/ and the
connection-reuse tests rely on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient

from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.fakes.tls import ThrowawayCA
from tests.support import SLACK_BOT_TOKEN


@pytest.fixture
def ca() -> Iterator[ThrowawayCA]:
    with ThrowawayCA() as authority:
        yield authority


def test_slack_sdk_trusts_the_fake_through_ssl_cert_file(ca: ThrowawayCA, monkeypatch: pytest.MonkeyPatch) -> None:
    # As the bot builds its WebClient (no ssl=): urllib's default context reads SSL_CERT_FILE.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
    with FakeSlack(tls=ca.server_context()) as slack:
        answer = WebClient(token=SLACK_BOT_TOKEN, base_url=slack.api_url).chat_postMessage(channel="C1", text="hi")

        assert slack.api_url.startswith("https://127.0.0.1:")
        assert answer["ok"] is True
        (call,) = slack.calls_to("chat.postMessage")
        assert call.params["text"] == "hi"


def test_a_client_that_does_not_trust_the_ca_is_refused_before_any_request(ca: ThrowawayCA) -> None:
    with FakeKaleyra(tls=ca.server_context()) as kaleyra:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.post(kaleyra.url_for("766000000001"), json={}, verify=httpx.create_ssl_context())

        kaleyra.wait_for_failed_handshakes(1)
        assert kaleyra.requests == []


def test_connections_are_counted_per_tcp_connection_not_per_request(ca: ThrowawayCA) -> None:
    with FakeSlack(tls=ca.server_context()) as slack:
        with httpx.Client(verify=ca.client_context()) as client:
            for _ in range(3):
                assert client.post(f"{slack.api_url}auth.test", headers={"Authorization": "Bearer x"}).is_success
        assert slack.connections == 1

        with httpx.Client(verify=ca.client_context()) as another:
            assert another.post(slack.response_url(), json={"text": "done"}).is_success
        assert slack.connections == 2
