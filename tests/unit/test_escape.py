"""Text from outside, made safe to echo in mrkdwn: no mention, link or broadcast survives."""

from __future__ import annotations

import pytest

from bot.slack.blocks import escape


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<!channel> now", "&lt;!channel&gt; now"),
        ("<@U0BOSS> look", "&lt;@U0BOSS&gt; look"),
        ("<https://evil.example|Slack>", "&lt;https://evil.example|Slack&gt;"),
        ("Acme @here Retail", "Acme @\u2060here Retail"),
        ("@CHANNEL @everyone", "@\u2060CHANNEL @\u2060everyone"),
        ("ops@herefordshire.example", "ops@herefordshire.example"),
        ("a\x00b\x1bc", "abc"),
    ],
)
def test_outside_text_is_echoed_inert(typed: str, shown: str) -> None:
    assert escape(typed) == shown
