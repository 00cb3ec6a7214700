"""The loopback fakes answer the way the real APIs document, or bot tests prove nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from tests import slack_requests as sr
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.slack import FakeSlack

WABA = "766000000001"
GOOD = {"id": "678997654321", "phone_number": "+919876543210", "type_verification": "SMS"}
KEY = {"api-key": "test-api-key"}


@pytest.fixture
def kaleyra() -> Iterator[FakeKaleyra]:
    with FakeKaleyra() as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(usergroups={"S1": ["U1", "U2"]}) as fake:
        yield fake


def _retry(fake: FakeKaleyra, payload: Any = GOOD, headers: dict[str, str] = KEY, **kw: Any) -> httpx.Response:
    url = kw.pop("url", fake.url_for(WABA))
    if isinstance(payload, bytes):
        return httpx.post(url, content=payload, headers={**headers, "content-type": "application/json"}, **kw)
    return httpx.post(url, json=payload, headers=headers, **kw)


# -- Kaleyra ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "error_key"),
    [
        ({}, 200, "WA200", None),
        ({"payload": {**GOOD, "id": 678997654321}}, 200, "WA200", None),
        ({"headers": {"api-key": "wrong"}}, 401, "RBC001", "body"),
        ({"headers": {}}, 401, "RBC001", "body"),
        ({"url_sid": "HXOTHER"}, 401, "RBC001", "body"),
        ({"url_waba": "999"}, 401, "WA401", "waba_id"),
        ({"payload": b"not json"}, 400, "WA400", "payload"),
        ({"payload": [GOOD]}, 400, "WA400", "payload"),
        ({"payload": {"id": "1", "phone_number": "+919876543210"}}, 400, "WA400", "payload"),
        ({"payload": {**GOOD, "type_verification": "sms"}}, 400, "WA400", "type_verification"),
        ({"payload": {**GOOD, "phone_number": "919876543210"}}, 400, "WA400", "phone_number"),
        ({"payload": {**GOOD, "phone_number": "+91 98765 43210"}}, 400, "WA400", "phone_number"),
    ],
)
def test_kaleyra_validates_like_the_docs(
    kaleyra: FakeKaleyra, kwargs: dict[str, Any], status: int, code: str, error_key: str | None
) -> None:
    url = kaleyra.url_for(kwargs.pop("url_waba", WABA), sid=kwargs.pop("url_sid", None))
    resp = _retry(kaleyra, url=url, **kwargs)
    assert resp.status_code == status
    assert resp.json()["code"] == code
    if error_key:
        assert error_key in resp.json()["error"]


def test_kaleyra_records_requests(kaleyra: FakeKaleyra) -> None:
    _retry(kaleyra)
    (req,) = kaleyra.wait_for_requests(1)
    assert req.method == "POST"
    assert req.path == f"/v2/HXAP16TEST97IN/whatsapp/{WABA}/number/retry_otp"
    assert req.headers["api-key"] == "test-api-key"
    assert req.json == GOOD
    assert json.loads(req.body) == GOOD


def test_kaleyra_unknown_path_is_404(kaleyra: FakeKaleyra) -> None:
    resp = httpx.post(f"{kaleyra.base_url}/v1/nope", json={})
    assert resp.status_code == 404
    assert resp.json()["error"] == "not found"


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("WA200", 200, "WA200"),
        ("RBC001", 401, "RBC001"),
        ("WA401", 401, "WA401"),
        ("WA400_payload", 400, "WA400"),
        ("WA400_type", 400, "WA400"),
        ("WA400_phone", 400, "WA400"),
        ("WA500_approved", 500, "WA500"),
        ("WA500_later", 500, "WA500"),
        ("unknown_code", 200, "WA999"),
    ],
)
def test_kaleyra_json_scenarios(kaleyra: FakeKaleyra, scenario: str, status: int, code: str) -> None:
    kaleyra.queue(scenario)
    resp = _retry(kaleyra)
    assert (resp.status_code, resp.json()["code"]) == (status, code)


def test_kaleyra_queue_runs_out_to_default(kaleyra: FakeKaleyra) -> None:
    kaleyra.queue("WA500_approved", "WA500_later")
    messages = [_retry(kaleyra).json()["message"] for _ in range(3)]
    assert messages == [
        "wa phone number already approved",
        "Please try again later",
        "Request Processed Successfully",
    ]


def test_kaleyra_unknown_scenario_is_refused_at_queue_time(kaleyra: FakeKaleyra) -> None:
    with pytest.raises(ValueError):
        kaleyra.queue("WA201")


def test_kaleyra_unreadable_answers(kaleyra: FakeKaleyra) -> None:
    kaleyra.queue("html502", "malformed_json")
    html = _retry(kaleyra)
    assert html.status_code == 502
    assert html.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in html.text
    truncated = _retry(kaleyra)
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()


def test_kaleyra_drop_closes_without_answer(kaleyra: FakeKaleyra) -> None:
    kaleyra.queue("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        _retry(kaleyra)
    assert _retry(kaleyra).json()["code"] == "WA200"


def test_kaleyra_slow_and_latency() -> None:
    with FakeKaleyra(latency=0.1) as kaleyra:
        kaleyra.queue("slow:0.2")
        start = time.monotonic()
        assert _retry(kaleyra).json()["code"] == "WA200"
        assert time.monotonic() - start >= 0.3


def test_kaleyra_hang_until_released(kaleyra: FakeKaleyra) -> None:
    kaleyra.queue("hang")
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(_retry(kaleyra, timeout=5).status_code))
    thread.start()
    kaleyra.wait_for_requests(1)
    time.sleep(0.1)
    assert results == []  # still held
    kaleyra.release_hung()
    thread.join(5)
    assert results == [200]


def test_kaleyra_exit_never_hangs_with_a_held_request() -> None:
    errors: list[BaseException] = []

    def call(fake: FakeKaleyra) -> None:
        try:
            _retry(fake, timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    with FakeKaleyra() as kaleyra:
        kaleyra.queue("hang")
        thread = threading.Thread(target=call, args=(kaleyra,), daemon=True)
        thread.start()
        kaleyra.wait_for_requests(1)
        start = time.monotonic()
    assert time.monotonic() - start < 1.0
    thread.join(2)
    assert len(errors) == 1 and isinstance(errors[0], httpx.RemoteProtocolError)


def test_kaleyra_wait_for_requests_times_out_with_a_listing(kaleyra: FakeKaleyra) -> None:
    _retry(kaleyra)
    with pytest.raises(AssertionError, match="got 1"):
        kaleyra.wait_for_requests(2, timeout=0.1)


def test_unused_port_refuses_connections() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{unused_port()}/", timeout=2)


# -- Slack -----------------------------------------------------------------


def _client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def test_slack_answers_like_the_web_api(slack: FakeSlack) -> None:
    client = _client(slack)
    assert client.auth_test()["user_id"] == "UBOT"
    first = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    assert reply["message"]["thread_ts"] == first["ts"]
    view = {
        "type": "modal",
        "callback_id": "resend",
        "title": {"type": "plain_text", "text": "x"},
        "blocks": [],
    }
    opened = client.views_open(trigger_id="1.2.3", view=view)
    assert opened["view"]["id"].startswith("V") and opened["view"]["callback_id"] == "resend"
    assert client.conversations_open(users="U1")["channel"]["id"] == "DU1"
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert client.users_info(user="U1")["user"]["tz_offset"] == 19800
    assert client.chat_postEphemeral(channel="C1", user="U1", text="x")["message_ts"]
    assert client.api_call("anything.else")["ok"] is True
    assert slack.calls_to("views.open")[0].params["view"] == view
    assert slack.calls_to("users.info")[0].params["user"] == "U1"  # sent as GET query
    assert slack.calls[0].headers["authorization"] == "Bearer xoxb-test"


def test_slack_decodes_form_encoded_json_fields(slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    httpx.post(
        slack.api_url + "chat.postMessage",
        data={"channel": "C1", "blocks": json.dumps(blocks)},
        headers={"Authorization": "Bearer xoxb-test"},
    )
    assert slack.wait_for("chat.postMessage")[0].params["blocks"] == blocks


def test_slack_errors_without_token(slack: FakeSlack) -> None:
    resp = httpx.post(slack.api_url + "auth.test")
    assert resp.json() == {"ok": False, "error": "not_authed"}


def test_slack_unknown_usergroup(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as info:
        _client(slack).usergroups_users_list(usergroup="S404")
    assert info.value.response["error"] == "no_such_subteam"


def test_slack_fail_then_recover(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "not_in_channel", times=2)
    client = _client(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="x")
        assert info.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.params.get("text") for c in slack.calls_to("chat.postMessage")] == ["x", "x", "x"]


def test_slack_rate_limit(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        _client(slack).chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.response["error"] == "ratelimited"
    assert slack.calls_to("chat.postMessage")[0].status == 429


def test_slack_hang_delays_answers(slack: FakeSlack) -> None:
    slack.hang("views.open", 0.2)
    start = time.monotonic()
    _client(slack).views_open(trigger_id="t", view={"type": "modal", "blocks": []})
    assert time.monotonic() - start >= 0.2


def test_slack_wait_for(slack: FakeSlack) -> None:
    client = _client(slack)
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late", thread_ts="1.1")).start()
    (call,) = slack.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == "1.1")
    assert call.params["text"] == "late"
    with pytest.raises(AssertionError, match="late"):
        slack.wait_for("chat.postMessage", count=2, timeout=0.1)


def test_slack_response_url(slack: FakeSlack) -> None:
    resp = httpx.post(slack.response_url("cmd"), json={"text": "done", "response_type": "ephemeral"})
    assert (resp.status_code, resp.text) == (200, "ok")
    (call,) = slack.wait_for("response_url")
    assert call.params["text"] == "done" and call.path == "/response_url/cmd"


# -- signed requests -------------------------------------------------------


def _verifies(body: str, headers: dict[str, str]) -> bool:
    verifier = SignatureVerifier(sr.SIGNING_SECRET)
    return verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_signed_requests_verify() -> None:
    assert _verifies(*sr.slash_command("help"))
    assert _verifies(*sr.event({"type": "app_home_opened", "user": "U1", "tab": "home"}))
    assert not _verifies(*sr.slash_command("help", secret="other"))
    assert not _verifies(*sr.slash_command("help", timestamp=int(time.time()) - 600))


def test_slash_command_shape() -> None:
    body, headers = sr.slash_command("766 678 +91 98765 43210", user_id="U9")
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    assert fields["text"] == "766 678 +91 98765 43210"
    assert fields["user_id"] == "U9" and fields["command"] == "/resend-otp"
    assert fields["trigger_id"] and fields["response_url"].startswith("http://127.0.0.1:")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def _payload(body: str) -> dict[str, Any]:
    return json.loads(parse_qs(body)["payload"][0])


def test_view_submission_shape() -> None:
    values = sr.state_values(waba_id=WABA, phone_number="+91 98765 43210", type_verification="VOICE")
    body, _ = sr.view_submission({"id": "V1", "callback_id": "resend", "private_metadata": "{}"}, values=values)
    payload = _payload(body)
    assert payload["type"] == "view_submission" and payload["user"]["id"] == "U1"
    state = payload["view"]["state"]["values"]
    assert state["waba_id"]["waba_id"]["selected_option"]["value"] == WABA
    assert state["phone_number_id"]["phone_number_id"] == {"type": "plain_text_input", "value": None}
    assert state["type_verification"]["type_verification"]["selected_option"]["value"] == "VOICE"
    assert payload["view"]["callback_id"] == "resend" and payload["view"]["id"] == "V1"


def test_message_shortcut_and_block_actions_shapes() -> None:
    message = {"ts": "1700000000.000200", "thread_ts": "1700000000.000100", "text": "OTP stuck"}
    shortcut = _payload(sr.message_shortcut("resend_otp", message, channel_id="C9")[0])
    assert shortcut["type"] == "message_action" and shortcut["message_ts"] == message["ts"]
    assert shortcut["channel"]["id"] == "C9" and shortcut["message"]["thread_ts"] == message["thread_ts"]
    click = _payload(sr.block_actions("retry", "42", message_ts="1.2")[0])
    assert click["actions"][0]["action_id"] == "retry" and click["actions"][0]["value"] == "42"
    assert click["container"]["message_ts"] == "1.2" and click["channel"]["id"] == "C1"


def test_url_verification_shape() -> None:
    body, headers = sr.url_verification("abc")
    assert json.loads(body) == {
        "token": sr.VERIFICATION_TOKEN,
        "challenge": "abc",
        "type": "url_verification",
    }
    assert headers["Content-Type"] == "application/json"
