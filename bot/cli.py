"""`python -m bot COMMAND`: the operator's commands, and the use case from a terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bot import admin
from bot.config import KALEYRA_REGIONS, ConfigError, Settings, load_settings
from bot.explain import explain
from bot.kaleyra import OutcomeKind
from bot.logs import setup_logging
from bot.phone import mask_phone
from bot.request import ResendRequest
from bot.resend import DRY_RUN, Origin, Requester
from bot.runtime import Runtime, build_runtime
from bot.store import access, wabas
from bot.store.admin_log import recent_admin_actions
from bot.store.attempts import AttemptFilter, recent_attempts
from bot.store.db import StoreError, make_engine, upgrade
from bot.store.models import AdminAction, Attempt

SUCCESS = {OutcomeKind.SENT.value, OutcomeKind.ALREADY_VERIFIED.value, DRY_RUN}


class CliError(Exception):
    """One line for the operator; the command exits non-zero."""


class _Parser(argparse.ArgumentParser):
    """Argument errors as one `error: …` line, like every other error (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="resend-otp-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("serve", help="serve Slack's HTTP requests on $PORT")
    commands.add_parser("socket", help="run over Slack Socket Mode (SLACK_APP_TOKEN)")
    db = commands.add_parser("db", help="the database").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="migrate the database to the latest schema")

    waba = commands.add_parser("waba", help="the WABAs the bot knows").add_subparsers(dest="action", required=True)
    waba_add = waba.add_parser("add", help="add a WABA, or change only the given fields of a known one")
    waba_add.add_argument("waba_id")
    waba_add.add_argument("--name", help="required for a new WABA")
    waba_add.add_argument("--sid", help="a Kaleyra SID other than KALEYRA_SID, for this WABA ('' for KALEYRA_SID)")
    waba_add.add_argument(
        "--region", choices=(*KALEYRA_REGIONS, ""), help="a Kaleyra pod other than KALEYRA_REGION ('' for it)"
    )
    waba.add_parser("list", help="list the WABAs")
    waba.add_parser("remove", help="forget a WABA").add_argument("waba_id")

    for name, text in (("grant", "let a user or group resend for a WABA"), ("revoke", "take a grant back")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("principal", help="Slack user id (U…/W…) or user group id (S…)")
        sub.add_argument("waba_id", help="a WABA id, or * for every WABA")
    commands.add_parser("grants", help="list grants").add_argument("principal", nargs="?")

    admins = commands.add_parser("admin", help="the store's admins").add_subparsers(dest="action", required=True)
    admins.add_parser("add", help="make a Slack user an admin").add_argument("user")
    admins.add_parser("remove", help="remove an admin").add_argument("user")
    commands.add_parser("admins", help="list admins")

    retry = commands.add_parser("retry", help="resend an OTP, as a Slack user, from a terminal")
    retry.add_argument("--as", dest="user", required=True, help="the Slack user id the resend is for")
    retry.add_argument("--group", action="append", default=[], help="a user group the user belongs to")
    retry.add_argument("--waba", required=True)
    retry.add_argument("--phone-number-id", required=True)
    retry.add_argument("--phone", required=True, help="with country code, e.g. '+91 98765 43210'")
    retry.add_argument("--via", choices=("sms", "voice"), default="sms", type=str.lower)

    audit = commands.add_parser("audit", help="recent attempts (or admin changes)")
    audit.add_argument("--limit", type=int, default=20)
    audit.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    audit.add_argument("--admin", action="store_true", help="show admin changes instead of attempts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return _run(args, settings)
    except (ConfigError, StoreError, CliError, admin.AdminError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"error: the database failed: {str(getattr(exc, 'orig', exc)).splitlines()[0]}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("serve", "socket"):
        from bot.serving import run_serving_command

        return run_serving_command(args.command, settings)
    # A terminal wants its answer on stdout, and only warnings (secrets filtered) on stderr.
    setup_logging(settings)
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    if args.command == "db":
        # A migration may rewrite a large table: it is not held to a Slack request's timeouts.
        engine = make_engine(settings.database_url, bounded=False)
        try:
            print(f"database at revision {upgrade(engine)}")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate: {str(getattr(exc, 'orig', exc)).splitlines()[0]}") from None
        return 0
    if args.command == "retry":
        settings.require_kaleyra()
    runtime = build_runtime(settings)
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    try:
        return handler(runtime, args)
    finally:
        # Close the pooled connection now: `main` is also called in-process (tests, scripts).
        runtime.engine.dispose()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _change(apply: Callable[..., str]) -> Callable[[Runtime, argparse.Namespace], int]:
    """Run an admin change in one transaction: all of it is written, or none."""

    def run(runtime: Runtime, args: argparse.Namespace) -> int:
        with runtime.sessions.begin() as session:
            print(apply(session, _actor(), args))
        return 0

    return run


def _list_wabas(runtime: Runtime, _args: argparse.Namespace) -> int:
    with runtime.sessions() as session:
        rows = wabas.list_wabas(session)
        for waba in rows:
            extra = " ".join(f"{k}={v}" for k, v in (("sid", waba.kaleyra_sid), ("region", waba.kaleyra_region)) if v)
            print(f"{waba.id}\t{waba.name}\t{extra}".rstrip())
    if not rows:
        print("no WABAs yet: add one with `waba add WABA_ID --name NAME`")
    return 0


def _list_grants(runtime: Runtime, args: argparse.Namespace) -> int:
    with runtime.sessions() as session:
        rows = access.list_grants(session, args.principal)
        for grant in rows:
            print(f"{grant.principal}\t{grant.waba_id}\tby {grant.granted_by} at {grant.created_at:%Y-%m-%d %H:%M}")
    if not rows:
        print("no grants" + (f" for {args.principal}" if args.principal else ""))
    return 0


def _list_admins(runtime: Runtime, _args: argparse.Namespace) -> int:
    with runtime.sessions() as session:
        rows = access.list_admins(session)
        for row in rows:
            print(f"{row.user_id}\tadded by {row.added_by} at {row.created_at:%Y-%m-%d %H:%M}")
    env_admins = sorted(runtime.settings.admin_user_ids)
    if env_admins:
        print(f"from ADMIN_USER_IDS: {', '.join(env_admins)}")
    if not rows and not env_admins:
        print("no admins: add one with `admin add USER`")
    return 0


def _retry(runtime: Runtime, args: argparse.Namespace) -> int:
    requester = Requester(args.user, frozenset(args.group))
    request = ResendRequest(args.waba, args.phone_number_id, args.phone, args.via)
    result = runtime.resender.resend(requester, Origin("cli"), request)
    print(explain(result).as_text())
    return 0 if result.status in SUCCESS else 1


def _audit(runtime: Runtime, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    with runtime.sessions() as session:
        if args.admin:
            rows = [_admin_row(a) for a in recent_admin_actions(session, args.limit)]
        else:
            rows = [_attempt_row(a) for a in recent_attempts(session, AttemptFilter(), args.limit)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("nothing audited yet")
    else:
        print("  ".join(rows[0]))
        for row in rows:
            print("  ".join(str(v) if v is not None else "-" for v in row.values()))
    return 0


def _attempt_row(a: Attempt) -> dict[str, object]:
    return {
        "id": a.id,
        "at": a.created_at.isoformat(timespec="seconds"),
        "user": a.user_id,
        "surface": a.surface,
        "waba_id": a.waba_id,
        "phone_number": mask_phone(a.phone_number),
        "via": a.verification,
        "status": a.status,
        "code": a.code,
        "http_status": a.http_status,
        "latency_ms": a.latency_ms,
        "delivery": a.delivery,
        "dry_run": a.dry_run,
        # Refusals beyond the person's burst, counted on this row rather than written one each.
        "repeats": a.repeats,
    }


def _admin_row(a: AdminAction) -> dict[str, object]:
    return {"at": a.created_at.isoformat(timespec="seconds"), "actor": a.actor, "action": a.action, "detail": a.detail}


_HANDLERS: dict[tuple[str, str | None], Callable[[Runtime, argparse.Namespace], int]] = {
    ("waba", "add"): _change(lambda s, who, a: admin.add_waba(s, who, a.waba_id, a.name, a.sid, a.region)),
    ("waba", "list"): _list_wabas,
    ("waba", "remove"): _change(lambda s, who, a: admin.remove_waba(s, who, a.waba_id)),
    ("grant", None): _change(lambda s, who, a: admin.grant(s, who, a.principal, a.waba_id)),
    ("revoke", None): _change(lambda s, who, a: admin.revoke(s, who, a.principal, a.waba_id)),
    ("grants", None): _list_grants,
    ("admin", "add"): _change(lambda s, who, a: admin.add_admin(s, who, a.user)),
    ("admin", "remove"): _change(lambda s, who, a: admin.remove_admin(s, who, a.user)),
    ("admins", None): _list_admins,
    ("retry", None): _retry,
    ("audit", None): _audit,
}
