"""Settings from the environment and `.env`, checked once at start."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import phonenumbers
from dotenv import load_dotenv

from bot.endpoints import DEFAULT_SLACK_API_URL, is_loopback_host
from bot.principals import CHANNEL_ID
from bot.secret import Secret

KALEYRA_REGIONS = ("in", "ap", "eu", "na")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Kaleyra's SIDs are uppercase letters and digits (HXAP16XXXXXX97IN); anything else could rewrite
# the request path that carries the API key.
KALEYRA_SID = re.compile(r"^[A-Z0-9]{3,64}\Z")
SERVING_COMMANDS = ("serve", "socket")
_N = TypeVar("_N", int, float)


class ConfigError(Exception):
    """Missing or malformed settings; the message names each one and how to fix it."""

    def __init__(self, problems: list[str], where: str = "") -> None:
        self.problems = problems
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} settings need fixing{where}:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(message)


def is_kaleyra_sid(value: str) -> bool:
    return bool(KALEYRA_SID.match(value))


@dataclass(frozen=True)
class Settings:
    database_url: str
    # Where DATABASE_URL came from, for every database error: the operator's first question.
    database_url_source: str = "the default"
    env_file: Path | None = None
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
    # Where access requests are posted; empty: DMs to the WABA's owners, else to the admins.
    access_requests_channel: str = ""
    default_phone_region: str | None = None
    port: int = 3000
    host: str = "0.0.0.0"
    # Empty: /metrics answers loopback clients only.
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
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
        _raise_missing(_missing_kaleyra(self.kaleyra_dry_run, self.kaleyra_sid, self.kaleyra_api_key))

    def require_slack(self, *, socket_mode: bool = False) -> None:
        tokens = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        _raise_missing(_missing_slack(socket_mode, *tokens))


def _missing_kaleyra(dry_run: bool, sid: object, api_key: object) -> list[str]:
    if dry_run:
        return []
    return _unset(("KALEYRA_SID", sid), ("KALEYRA_API_KEY", api_key))


def _missing_slack(socket_mode: bool, bot_token: object, signing_secret: object, app_token: object) -> list[str]:
    if socket_mode:
        return _unset(("SLACK_BOT_TOKEN", bot_token), ("SLACK_APP_TOKEN", app_token))
    return _unset(("SLACK_BOT_TOKEN", bot_token), ("SLACK_SIGNING_SECRET", signing_secret))


def _unset(*pairs: tuple[str, object]) -> list[str]:
    return [f"{name} is not set: add it to the environment or to .env" for name, value in pairs if not value]


def _raise_missing(problems: list[str]) -> None:
    if problems:
        raise ConfigError(problems)


def find_env_file(start: Path) -> Path | None:
    """The nearest `.env` in `start` or a directory above it: a command run from a subdirectory
    must see the same settings (and the same database) as one run from the project's root."""
    return next((d / ".env" for d in (start, *start.parents) if (d / ".env").is_file()), None)


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv: bool = True, command: str | None = None
) -> Settings:
    """Read settings; `.env` fills only what the real environment leaves unset.

    Every malformed variable, and every one `command` needs but is not set, is reported in one
    ConfigError: fixing them one restart at a time is slow.
    """
    env_file = None
    from_environment: set[str] = set()
    if environ is None:
        from_environment = set(os.environ)
        env_file = find_env_file(Path.cwd()) if dotenv else None
        if env_file is not None:
            load_dotenv(env_file, override=False)
        environ = os.environ
    env = {k: v.strip() for k, v in environ.items()}
    reader = _Reader(env)
    settings = reader.settings(env_file, from_environment)
    if command in SERVING_COMMANDS:
        reader.problems += _missing_slack(
            command == "socket",
            env.get("SLACK_BOT_TOKEN"),
            env.get("SLACK_SIGNING_SECRET"),
            env.get("SLACK_APP_TOKEN"),
        )
    if command in (*SERVING_COMMANDS, "retry"):
        dry_run = settings.kaleyra_dry_run
        reader.problems += _missing_kaleyra(dry_run, env.get("KALEYRA_SID"), env.get("KALEYRA_API_KEY"))
    if reader.problems:
        where = f" (in the environment or {env_file})" if env_file else ""
        raise ConfigError(reader.problems, where)
    return settings


class _Reader:
    """Reads each variable, noting every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def settings(self, env_file: Path | None, from_environment: set[str]) -> Settings:
        env = self.env
        database_url, source = self._database_url(env_file, from_environment)
        return Settings(
            database_url=database_url,
            database_url_source=source,
            env_file=env_file,
            slack_bot_token=Secret(env.get("SLACK_BOT_TOKEN", "")),
            slack_signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "")),
            slack_app_token=Secret(self._app_token()),
            slack_api_url=self._url("SLACK_API_URL", DEFAULT_SLACK_API_URL).rstrip("/") + "/",
            kaleyra_sid=self._sid(),
            kaleyra_api_key=Secret(env.get("KALEYRA_API_KEY", "")),
            kaleyra_region=self._choice("KALEYRA_REGION", "in", KALEYRA_REGIONS, str.lower, "a Kaleyra pod"),
            kaleyra_base_url=self._url("KALEYRA_BASE_URL", "") or None,
            kaleyra_timeout_seconds=self._number("KALEYRA_TIMEOUT_SECONDS", 20.0, float, minimum=1),
            kaleyra_dry_run=self._flag("KALEYRA_DRY_RUN"),
            otp_cooldown_seconds=self._number("OTP_COOLDOWN_SECONDS", 60, int, minimum=0),
            resends_per_user_per_hour=self._number("RESENDS_PER_USER_PER_HOUR", 30, int, minimum=0),
            admin_user_ids=frozenset(filter(None, map(str.strip, env.get("ADMIN_USER_IDS", "").split(",")))),
            default_phone_region=self._phone_region(),
            access_requests_channel=self._channel("ACCESS_REQUESTS_CHANNEL"),
            port=self._number("PORT", 3000, int, minimum=1),
            host=env.get("HOST") or "0.0.0.0",
            metrics_token=Secret(env.get("METRICS_TOKEN", "")),
            web_concurrency=self._number("WEB_CONCURRENCY", 1, int, minimum=1),
            web_threads=self._number("WEB_THREADS", 32, int, minimum=1),
            log_level=self._choice("LOG_LEVEL", "INFO", LOG_LEVELS, str.upper, "a level"),
            log_format=self._choice("LOG_FORMAT", "text", ("text", "json"), str.lower, "a log format"),
        )

    def _choice(self, name: str, default: str, allowed: tuple[str, ...], case: Callable[[str], str], what: str) -> str:
        value = case(self.env.get(name, "")) or default
        if value not in allowed:
            self.problems.append(f"{name}={value!r} is not {what}: use one of {', '.join(allowed)}")
            return default
        return value

    def _url(self, name: str, default: str) -> str:
        """A base URL the bot sends credentials to: https, or http to this machine only (tests)."""
        raw = self.env.get(name, "")
        if not raw:
            return default
        parts = urlsplit(raw)
        if parts.scheme == "https" and parts.hostname:
            return raw
        if parts.scheme == "http" and is_loopback_host(parts.hostname):
            return raw
        self.problems.append(
            f"{name}={raw!r} must be an https:// URL (http:// only to 127.0.0.1, ::1 or localhost): "
            "the bot sends its credentials there"
        )
        return default

    def _sid(self) -> str:
        sid = self.env.get("KALEYRA_SID", "")
        if sid and not is_kaleyra_sid(sid):
            self.problems.append(
                "KALEYRA_SID is not a Kaleyra SID: it is uppercase letters and digits, e.g. HXAP16XXXXXX97IN "
                "(kaleyra.io > Developers > API keys)"
            )
            return ""
        return sid

    def _app_token(self) -> str:
        token = self.env.get("SLACK_APP_TOKEN", "")
        if token and not token.startswith("xapp-"):
            hint = " (that is a bot token: it goes in SLACK_BOT_TOKEN)" if token.startswith("xoxb-") else ""
            self.problems.append(
                f"SLACK_APP_TOKEN must be an app-level token starting with xapp-{hint}: "
                "Basic Information > App-Level Tokens, scope connections:write"
            )
            return ""
        return token

    def _channel(self, name: str) -> str:
        channel = self.env.get(name, "")
        if channel and not CHANNEL_ID.match(channel):
            self.problems.append(
                f"{name}={channel!r} is not a channel id: write the C… id from the channel's details "
                "(a #name is not an id), or leave it empty"
            )
            return ""
        return channel

    def _phone_region(self) -> str | None:
        region = self.env.get("DEFAULT_PHONE_REGION", "").upper()
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            self.problems.append(
                f"DEFAULT_PHONE_REGION={region!r} is not a country: use a two-letter code, e.g. IN, or leave it empty"
            )
            return None
        return region or None

    def _database_url(self, env_file: Path | None, from_environment: set[str]) -> tuple[str, str]:
        raw = self.env.get("DATABASE_URL", "")
        if not raw:
            # Beside the .env in use, so every directory below it shares one database.
            home = env_file.parent if env_file is not None else Path.cwd()
            return f"sqlite:///{home / 'resend_otp.db'}", f"the default (DATABASE_URL is not set; {home})"
        if env_file is not None and "DATABASE_URL" not in from_environment:
            source = f"DATABASE_URL in {env_file}"
            # A relative SQLite path in .env means beside that file, wherever the command runs.
            if raw.startswith("sqlite:///") and not raw.startswith("sqlite:////") and raw != "sqlite:///:memory:":
                raw = f"sqlite:///{env_file.parent / raw.removeprefix('sqlite:///')}"
        else:
            source = "DATABASE_URL in the environment"
        # Managed PostgreSQL (Heroku and the like) hands out postgres:// URLs, which SQLAlchemy
        # rejects, and a bare postgresql:// may pick a driver that is not installed: use psycopg 3.
        for scheme in ("postgres://", "postgresql://"):
            if raw.startswith(scheme):
                return "postgresql+psycopg://" + raw.removeprefix(scheme), source
        return raw, source

    def _number(self, name: str, default: _N, kind: type[_N], *, minimum: _N) -> _N:
        raw = self.env.get(name, "")
        if not raw:
            return default
        try:
            value = kind(raw)
            if not math.isfinite(value):  # "inf" or "nan" would be no deadline at all
                raise ValueError(raw)
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not a number: write e.g. {name}={default}")
            return default
        if value < minimum:
            self.problems.append(f"{name}={raw!r} must be at least {minimum}")
            return default
        return value

    def _flag(self, name: str) -> bool:
        raw = self.env.get(name, "").lower()
        if raw in ("", "0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        self.problems.append(f"{name}={raw!r}: write {name}=1 to turn it on or {name}=0 to turn it off")
        return False
