"""Settings from the environment and `.env`, checked once at start."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import load_dotenv

KALEYRA_REGIONS = ("in", "ap", "eu", "na")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_N = TypeVar("_N", int, float)


class ConfigError(Exception):
    """A missing or malformed setting; the message names it and how to fix it."""


class Secret:
    """A credential that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    database_url: str
    slack_bot_token: Secret = field(default_factory=lambda: Secret(""))
    slack_signing_secret: Secret = field(default_factory=lambda: Secret(""))
    slack_app_token: Secret = field(default_factory=lambda: Secret(""))
    slack_api_url: str = DEFAULT_SLACK_API_URL
    kaleyra_sid: str = ""
    kaleyra_api_key: Secret = field(default_factory=lambda: Secret(""))
    kaleyra_region: str = "in"
    kaleyra_base_url: str | None = None
    kaleyra_timeout_seconds: float = 20.0
    kaleyra_dry_run: bool = False
    otp_cooldown_seconds: int = 60
    resends_per_user_per_hour: int = 30
    admin_user_ids: frozenset[str] = frozenset()
    port: int = 3000
    web_concurrency: int = 1
    web_threads: int = 32
    log_level: str = "INFO"
    log_format: str = "text"

    def kaleyra_url_for(self, region: str | None = None) -> str:
        """The Kaleyra API base for a region; `KALEYRA_BASE_URL` overrides every region."""
        if self.kaleyra_base_url:
            return self.kaleyra_base_url.rstrip("/")
        return f"https://api.{region or self.kaleyra_region}.kaleyra.io"

    def require_kaleyra(self) -> None:
        if self.kaleyra_dry_run:
            return
        _require_set(("KALEYRA_SID", self.kaleyra_sid), ("KALEYRA_API_KEY", self.kaleyra_api_key))

    def require_slack(self, *, socket_mode: bool = False) -> None:
        needed: list[tuple[str, object]] = [("SLACK_BOT_TOKEN", self.slack_bot_token)]
        if socket_mode:
            needed.append(("SLACK_APP_TOKEN", self.slack_app_token))
        else:
            needed.append(("SLACK_SIGNING_SECRET", self.slack_signing_secret))
        _require_set(*needed)


def _require_set(*pairs: tuple[str, object]) -> None:
    for name, value in pairs:
        if not value:
            raise ConfigError(f"{name} is not set: add it to the environment or to .env")


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read settings; `.env` fills only what the real environment leaves unset."""
    if environ is None:
        if dotenv:
            load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    env = {k: v.strip() for k, v in environ.items()}

    region = env.get("KALEYRA_REGION", "").lower() or "in"
    if region not in KALEYRA_REGIONS:
        raise ConfigError(f"KALEYRA_REGION={region!r} is not a Kaleyra pod: use one of {', '.join(KALEYRA_REGIONS)}")
    base_url = env.get("KALEYRA_BASE_URL") or None
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError("KALEYRA_BASE_URL must start with http:// or https://")
    slack_api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not slack_api_url.endswith("/"):
        slack_api_url += "/"
    log_format = (env.get("LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError("LOG_FORMAT must be 'text' or 'json'")
    log_level = (env.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={log_level!r} is not a level: use one of {', '.join(LOG_LEVELS)}")

    return Settings(
        database_url=_database_url(env.get("DATABASE_URL", "")),
        slack_bot_token=Secret(env.get("SLACK_BOT_TOKEN", "")),
        slack_signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "")),
        slack_app_token=Secret(env.get("SLACK_APP_TOKEN", "")),
        slack_api_url=slack_api_url,
        kaleyra_sid=env.get("KALEYRA_SID", ""),
        kaleyra_api_key=Secret(env.get("KALEYRA_API_KEY", "")),
        kaleyra_region=region,
        kaleyra_base_url=base_url,
        kaleyra_timeout_seconds=_number(env, "KALEYRA_TIMEOUT_SECONDS", 20.0, float, minimum=1),
        kaleyra_dry_run=_flag(env, "KALEYRA_DRY_RUN"),
        otp_cooldown_seconds=_number(env, "OTP_COOLDOWN_SECONDS", 60, int, minimum=0),
        resends_per_user_per_hour=_number(env, "RESENDS_PER_USER_PER_HOUR", 30, int, minimum=0),
        admin_user_ids=frozenset(filter(None, map(str.strip, env.get("ADMIN_USER_IDS", "").split(",")))),
        port=_number(env, "PORT", 3000, int, minimum=1),
        web_concurrency=_number(env, "WEB_CONCURRENCY", 1, int, minimum=1),
        web_threads=_number(env, "WEB_THREADS", 32, int, minimum=1),
        log_level=log_level,
        log_format=log_format,
    )


def _database_url(raw: str) -> str:
    if not raw:
        return f"sqlite:///{Path.cwd() / 'resend_otp.db'}"
    # Managed PostgreSQL (Heroku and the like) hands out postgres:// URLs, which SQLAlchemy
    # rejects, and a bare postgresql:// may pick a driver that is not installed: use psycopg 3.
    for scheme in ("postgres://", "postgresql://"):
        if raw.startswith(scheme):
            return "postgresql+psycopg://" + raw.removeprefix(scheme)
    return raw


def _number(env: Mapping[str, str], name: str, default: _N, kind: type[_N], *, minimum: _N) -> _N:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = kind(raw)
        if not math.isfinite(value):  # "inf" or "nan" would be no deadline at all
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number: write e.g. {name}={default}") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={raw!r}: write {name}=1 to turn it on or {name}=0 to turn it off")
