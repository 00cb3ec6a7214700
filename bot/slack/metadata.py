"""What a modal carries from where it was opened to its submission (`private_metadata`).

A view_submission has no channel or response_url of its own.
"""

from __future__ import annotations

import json

from bot.slack.delivery import Destination

_MAX = 3000  # Slack's limit for private_metadata


def encode(surface: str, destination: Destination) -> str:
    data = {
        "s": surface,
        "c": destination.channel_id,
        "t": destination.thread_ts,
        "r": destination.response_url,
        "a": destination.announce,
    }
    text = json.dumps({k: v for k, v in data.items() if v})
    if len(text) > _MAX:
        # A response_url is the only long part; without it the outcome still finds the person.
        data.pop("r")
        text = json.dumps({k: v for k, v in data.items() if v})
    return text


def decode(text: str | None, user_id: str) -> tuple[str, Destination]:
    """The surface and destination; anything unreadable falls back to reaching the person directly."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}

    def field(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    surface = field("s") or "modal"
    return surface, Destination(
        user_id=user_id,
        channel_id=field("c"),
        thread_ts=field("t"),
        response_url=field("r"),
        announce=data.get("a") is True,
    )
