"""Making text safe to put in a Slack message."""

from __future__ import annotations

import re
from datetime import datetime

from bot.explain import Style
from bot.store.access import USER_ID

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """Neutralise mentions, links and broadcasts (`<!channel>`, `<@U…>`) in text from outside."""
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def user(user_id: str) -> str:
    """A mention of a Slack user id we checked ourselves."""
    return f"<@{user_id}>" if USER_ID.match(user_id) else escape(user_id)


def time(moment: datetime) -> str:
    """A time each reader sees in their own time zone, with a UTC fallback."""
    return f"<!date^{int(moment.timestamp())}^{{time_secs}}|{moment:%H:%M:%S} UTC>"


SLACK = Style(text=escape, person=user, time=time)
