"""Where the bot may send its credentials and its posts: https, Slack's own hosts, loopback for tests."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.config import Settings

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SLACK_HOOKS_HOST = "hooks.slack.com"


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain http may reach."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_slack_hook_url(url: str, settings: Settings) -> bool:
    """Whether `url` may receive a post as a Slack `response_url`: Slack's hooks host only.

    A response_url travels through payloads a client can tamper with (`private_metadata`); posting
    to any other host would hand an attacker the outcome and a channel to forge replies from.
    When SLACK_API_URL is overridden (tests, a proxy), that URL's scheme, host and port count too.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https" and parts.hostname == SLACK_HOOKS_HOST and port in (None, 443):
        return True
    if settings.slack_api_url == DEFAULT_SLACK_API_URL:
        return False
    api = urlsplit(settings.slack_api_url)
    return (parts.scheme, parts.hostname, port) == (api.scheme, api.hostname, api.port)
