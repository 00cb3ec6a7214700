"""`python -m bot check`, and the Slack checks `serve` and `socket` run before they start.

Each check is one line a new operator can act on. At start, a token Slack refuses stops the
process (it would otherwise serve people errors for hours); Slack being unreachable is only a
warning, so a network blip during a deploy does not keep the bot down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings, is_kaleyra_sid, load_settings
from bot.kaleyra import parse_response
from bot.slack.client import error_code
from bot.status import Status
from bot.store import wabas
from bot.store.db import (
    StoreError,
    current_revision,
    database_error,
    describe_url,
    ensure_migrated,
    make_engine,
    make_sessions,
)

log = logging.getLogger(__name__)
_QUIET = logging.getLogger(f"{__name__}.slack_sdk")
_QUIET.disabled = True

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"
SLACK_CHECK_TIMEOUT_SECONDS = 5
KALEYRA_PROBE_TIMEOUT_SECONDS = 10
# Probed when the store knows no WABA yet: Kaleyra checks the SID and key before the WABA.
NO_WABA = "0"
_T = TypeVar("_T")


class StartRefused(Exception):
    """Slack refused a token: the bot must not start. The message is one line for the operator."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class SlackIdentity:
    team: str
    team_id: str
    user: str
    user_id: str
    # From auth.test's x-oauth-scopes header; None when Slack did not send it.
    scopes: frozenset[str] | None

    def __str__(self) -> str:
        return f"workspace {self.team} ({self.team_id}) as @{self.user} ({self.user_id})"


def _client(settings: Settings, token: str | None = None) -> WebClient:
    # No retries, and slack_sdk's own error lines silenced: a failure here becomes one line of ours.
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=SLACK_CHECK_TIMEOUT_SECONDS,
        logger=_QUIET,
        retry_handlers=[],
    )


def slack_identity(settings: Settings) -> SlackIdentity:
    """`auth.test` with the bot token; raises SlackApiError when Slack answers with an error."""
    response = _client(settings, settings.slack_bot_token.reveal()).auth_test()
    header = next((v for k, v in response.headers.items() if k.lower() == "x-oauth-scopes"), None)
    scopes = frozenset(filter(None, (s.strip() for s in header.split(",")))) if header is not None else None
    return SlackIdentity(
        str(response.get("team", "")),
        str(response.get("team_id", "")),
        str(response.get("user", "")),
        str(response.get("user_id", "")),
        scopes,
    )


def check_app_token(settings: Settings) -> None:
    """`apps.connections.open` with the app-level token: what Socket Mode itself calls first."""
    _client(settings).apps_connections_open(app_token=settings.slack_app_token.reveal())


def manifest_scopes() -> frozenset[str]:
    import yaml  # only `check` and start-up read the manifest

    manifest = yaml.safe_load(MANIFEST.read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


@dataclass(frozen=True)
class SlackFailure:
    refused: bool  # Slack answered and said no: a token problem, not a network one
    line: str


def ask_slack(settings: Settings, variable: str, call: Callable[[], _T]) -> _T | SlackFailure:
    """Run a Slack call made with the token in `variable`; a failure becomes one line to print."""
    try:
        return call()
    except (SlackApiError, SlackClientError, OSError) as exc:
        # A 429 or a 5xx is Slack failing to answer; only an answered `ok: false` is a refusal.
        if isinstance(exc, SlackApiError) and exc.response.status_code == 200:
            return SlackFailure(True, f"Slack refused {variable} ({error_code(exc)}): {_TOKEN_HELP[variable]}")
        return SlackFailure(False, f"cannot reach Slack at {settings.slack_api_url} ({error_code(exc)})")


def missing_scopes(identity: SlackIdentity) -> str | None:
    """The manifest's scopes the token was not granted, as one line, or None."""
    missing = manifest_scopes() - identity.scopes if identity.scopes is not None else set()
    if not missing:
        return None
    return f"the bot token lacks {', '.join(sorted(missing))} (manifest.yml asks for it): {_SCOPES_HELP}"


def start_line(settings: Settings, command: str) -> str:
    """Check the Slack tokens `command` uses and say what is starting; a refused token raises StartRefused."""
    identity = ask_slack(settings, "SLACK_BOT_TOKEN", lambda: slack_identity(settings))
    answers: list[object] = [identity]
    if command == "socket":
        answers.append(ask_slack(settings, "SLACK_APP_TOKEN", lambda: check_app_token(settings)))
    for answer in answers:
        if isinstance(answer, SlackFailure) and answer.refused:
            raise StartRefused(answer.line)
        if isinstance(answer, SlackFailure):
            log.warning("%s; starting anyway", answer.line)
    known = identity if isinstance(identity, SlackIdentity) else None
    lacking = missing_scopes(known) if known is not None else None
    if lacking:
        log.warning("%s", lacking)
    return describe_start(settings, command, known)


def describe_start(settings: Settings, command: str, identity: SlackIdentity | None) -> str:
    who = str(identity) if identity is not None else "workspace unknown (Slack did not answer)"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    cooldown = f"{settings.otp_cooldown_seconds} s" if settings.otp_cooldown_seconds else "off"
    return (
        f"starting {command}: {who}; database {database} ({settings.database_url_source}); "
        f"Kaleyra region {settings.kaleyra_region}; dry run {'on' if settings.kaleyra_dry_run else 'off'}; "
        f"cooldown {cooldown}"
    )


_TOKEN_HELP = {
    "SLACK_BOT_TOKEN": "reinstall the app (OAuth & Permissions) and copy its Bot User OAuth Token (xoxb-…)",
    "SLACK_APP_TOKEN": "create an app-level token with connections:write (Basic Information > App-Level Tokens)",
}
_SCOPES_HELP = "update the app from manifest.yml and reinstall it"


def run_checks() -> list[Check]:
    """Every check `python -m bot check` prints, in order."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        return [Check("settings", False, "; ".join(exc.problems) + " (the other checks need the settings)")]
    return list(_checks(settings))


def _checks(settings: Settings) -> Iterator[Check]:
    missing = _missing(settings)
    where = f"from {settings.env_file} and the environment" if settings.env_file else "from the environment (no .env)"
    yield Check("settings", not missing, "; ".join(missing) if missing else f"read {where}")
    database, accounts = _database(settings)
    yield database
    if settings.slack_bot_token:
        yield _slack(settings)
    if settings.slack_app_token:
        yield _socket(settings)
    if settings.kaleyra_dry_run:
        yield Check("kaleyra", True, "KALEYRA_DRY_RUN=1: Kaleyra is never called")
    elif settings.kaleyra_sid and settings.kaleyra_api_key:
        for sid, base_url, waba_id in accounts or [(settings.kaleyra_sid, settings.kaleyra_url_for(), NO_WABA)]:
            yield probe_kaleyra(settings, sid, base_url, waba_id)


def _missing(settings: Settings) -> list[str]:
    problems: list[str] = []
    requirements: tuple[Callable[[], None], ...] = (
        lambda: settings.require_slack(socket_mode=bool(settings.slack_app_token)),
        settings.require_kaleyra,
    )
    for require in requirements:
        try:
            require()
        except ConfigError as exc:
            problems += exc.problems
    return problems


def _database(settings: Settings) -> tuple[Check, list[tuple[str, str, str]]]:
    """The database check, and each Kaleyra account its WABAs use (SID, base URL, one WABA)."""
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
        revision = current_revision(engine)
        with make_sessions(engine)() as session:
            known = wabas.list_wabas(session)
    except (StoreError, SQLAlchemyError) as exc:
        return Check("database", False, database_error(exc, settings.database_url, settings.database_url_source)), []
    finally:
        engine.dispose()
    accounts: dict[tuple[str, str], str] = {}
    for waba in known:
        account = (waba.kaleyra_sid or settings.kaleyra_sid, settings.kaleyra_url_for(waba.kaleyra_region))
        accounts.setdefault(account, waba.id)
    detail = f"{describe_url(engine)} ({settings.database_url_source}) at revision {revision}, {len(known)} WABA(s)"
    return Check("database", True, detail), [(sid, url, waba_id) for (sid, url), waba_id in accounts.items()]


def _slack(settings: Settings) -> Check:
    identity = ask_slack(settings, "SLACK_BOT_TOKEN", lambda: slack_identity(settings))
    if isinstance(identity, SlackFailure):
        return Check("slack", False, identity.line)
    who = str(identity)
    if identity.scopes is None:
        return Check("slack", True, f"{who}; Slack did not list the token's scopes")
    lacking = missing_scopes(identity)
    if lacking:
        return Check("slack", False, f"{who}; {lacking}")
    extra = ", ".join(sorted(identity.scopes - manifest_scopes()))
    return Check("slack", True, f"{who}; scopes match manifest.yml" + (f" (also granted: {extra})" if extra else ""))


def _socket(settings: Settings) -> Check:
    answer = ask_slack(settings, "SLACK_APP_TOKEN", lambda: check_app_token(settings))
    if isinstance(answer, SlackFailure):
        return Check("socket mode", False, answer.line)
    return Check("socket mode", True, "SLACK_APP_TOKEN accepted (apps.connections.open)")


def probe_kaleyra(settings: Settings, sid: str, base_url: str, waba_id: str) -> Check:
    """Whether Kaleyra answers over TLS and accepts the SID and key, by a request that cannot send an OTP.

    The probe is a GET to "Get Phone Number Details" (…/whatsapp/<waba_id>/number, see
    developers.kaleyra.io/docs/wa-v2-get-phone-number-details), which only reads. An OTP goes out
    only on a POST to …/number/retry_otp (or …/number/add); a GET to another path cannot reach
    either, whatever Kaleyra does with it. A bad-payload POST to retry_otp would also be refused,
    but only if Kaleyra validated before sending: not a bet to make with a real person's phone.
    """
    name = f"kaleyra {sid}"
    if not is_kaleyra_sid(sid):
        # Stored before SIDs were checked: never put it in a URL that carries the API key.
        return Check(name, False, f"WABA {waba_id} has a SID that is not Kaleyra's: fix it with `waba add --sid`")
    url = f"{base_url}/v2/{sid}/whatsapp/{waba_id}/number"
    transport = "over TLS" if base_url.startswith("https://") else "over plain http (loopback)"
    try:
        response = httpx.get(
            url, headers={"api-key": settings.kaleyra_api_key.reveal()}, timeout=KALEYRA_PROBE_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        return Check(name, False, f"cannot reach {base_url} ({type(exc).__name__}: {exc})")
    outcome = parse_response(response.status_code, response.content, 0)
    if outcome.kind is Status.AUTH:
        return Check(
            name, False, f"Kaleyra refused the SID or KALEYRA_API_KEY ({outcome.code}): check both on kaleyra.io"
        )
    if outcome.kind is Status.NOT_ON_ACCOUNT and waba_id != NO_WABA:
        return Check(name, False, f"WABA {waba_id} is not on this Kaleyra account ({outcome.code})")
    if outcome.code is None:
        return Check(name, False, f"{base_url} answered HTTP {response.status_code}, not Kaleyra's JSON")
    return Check(name, True, f"{base_url} answered {transport}; credentials accepted ({outcome.code})")
