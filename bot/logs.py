"""One log line per event, readable or JSON (`LOG_FORMAT`), with no secret in any of them."""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import sys
from datetime import UTC, datetime

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import Settings

# Set per Slack request (and carried into its background work) so lines can be joined up.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_FIELDS = (
    "event",
    "request_id",
    "surface",
    "user",
    "waba_id",
    "number",
    "code",
    "outcome",
    "status",
    "http_status",
    "latency_ms",
    "delivery",
    "attempt_id",
)


class RedactSecrets(logging.Filter):
    """Replace any configured secret that reaches a log record, whatever logger it came from."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= MIN_SECRET_LENGTH]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        exc_text = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        if any(s in message or s in exc_text for s in self._secrets):
            message, exc_text = redact(message, self._secrets), redact(exc_text, self._secrets)
            record.msg, record.args = message, None
            if exc_text:
                record.exc_info, record.exc_text = None, exc_text
        return True


# Shorter "secrets" (a test's "k") would turn ordinary words into [redacted].
MIN_SECRET_LENGTH = 6


def redact(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` (those of MIN_SECRET_LENGTH or more) replaced by [redacted]."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, "[redacted]")
    return text


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: getattr(record, k) for k in _FIELDS if getattr(record, k, None) is not None})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """One line per record: a newline in something the bot did not write can't forge another."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(
            f"{k}={printable(str(getattr(record, k)))}" for k in _FIELDS if getattr(record, k, None) is not None
        )
        line = copy.copy(record)
        line.msg, line.args = printable(record.getMessage()), None
        text = super().format(line)  # a traceback, the bot's own, keeps its lines
        return f"{text} [{extra}]" if extra else text


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """Control characters (newlines included) written as escapes."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def setup_logging(settings: Settings) -> None:
    """Send every logger to stderr in the chosen format, through the secret filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(_RequestId())
    handler.addFilter(secret_filter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Their debug and info output carries headers, bodies and full phone numbers (SQL parameters).
    for noisy in ("slack_sdk", "slack_bolt", "httpx", "httpcore", "sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def secret_filter(settings: Settings) -> RedactSecrets:
    return RedactSecrets(held_secrets(settings))


def held_secrets(settings: Settings) -> list[str]:
    """Every credential the bot holds: the Kaleyra key, the Slack secret and tokens, the database password."""
    return [
        settings.kaleyra_api_key.reveal(),
        settings.slack_signing_secret.reveal(),
        settings.slack_bot_token.reveal(),
        settings.slack_app_token.reveal(),
        settings.metrics_token.reveal(),
        _database_password(settings.database_url),
    ]


def _database_password(url: str) -> str:
    try:
        return make_url(url).password or ""
    except ArgumentError:
        return ""
