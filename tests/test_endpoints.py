"""Where a `response_url` post may go: Slack's hooks host, or the overridden Slack API's host in tests."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.endpoints import is_slack_hook_url

REAL_SLACK = load_settings({}, dotenv=False)
FAKE_SLACK = load_settings({"SLACK_API_URL": "http://127.0.0.1:8123/api/"}, dotenv=False)


@pytest.mark.parametrize(
    ("url", "real", "fake"),
    [
        ("https://hooks.slack.com/commands/T1/123/abc", True, True),
        ("https://hooks.slack.com:443/actions/T1/1/x", True, True),
        ("http://hooks.slack.com/commands/T1/123/abc", False, False),
        ("https://hooks.slack.com.evil.example/commands/T1", False, False),
        ("https://hooks.slack.com@evil.example/commands/T1", False, False),
        ("https://evil.example/?hooks.slack.com", False, False),
        ("https://hooks.slack.com:8443/commands/T1", False, False),
        ("http://127.0.0.1:8123/response_url/cmd", False, True),
        ("http://127.0.0.1:9999/response_url/cmd", False, False),
        ("https://127.0.0.1:8123/response_url/cmd", False, False),
        ("not a url", False, False),
        ("http://[::1/", False, False),
    ],
)
def test_only_slack_hooks_receive_posts(url: str, real: bool, fake: bool) -> None:
    assert is_slack_hook_url(url, REAL_SLACK) is real
    assert is_slack_hook_url(url, FAKE_SLACK) is fake
