"""`python -m bot COMMAND`: the operator's commands, and the use case from a terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import admin, listings
from bot.check import StartRefused, run_checks
from bot.cli_args import build_parser
from bot.config import ConfigError, Settings, load_settings
from bot.explain import explain
from bot.logs import setup_logging
from bot.phone import InvalidPhoneNumber, normalise_phone
from bot.request import ResendRequest
from bot.resend_values import Origin, Requester
from bot.runtime import Runtime, build_runtime
from bot.store.attempts import AttemptFilter
from bot.store.db import (
    StoreError,
    check_sqlite_directory,
    current_revision,
    database_error,
    describe_url,
    make_engine,
    upgrade,
)
from bot.store.models import utcnow


class CliError(Exception):
    """One line for the operator; the command exits non-zero."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return _check(args)
    try:
        settings = load_settings(command=args.command)
    except ConfigError as exc:
        return _fail(str(exc))
    try:
        return _run(args, settings)
    except (StoreError, SQLAlchemyError) as exc:
        return _fail(database_error(exc, settings.database_url, settings.database_url_source))
    except (CliError, admin.AdminError, StartRefused) as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("serve", "socket"):
        from bot.serving import run_serving_command

        return run_serving_command(args.command, settings)
    # A terminal wants its answer on stdout, and only warnings (secrets filtered) on stderr.
    setup_logging(settings)
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    if args.command == "db":
        return _upgrade(settings)
    runtime = build_runtime(settings)
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    try:
        return handler(runtime, args)
    finally:
        # Close the pooled connection now: `main` is also called in-process (tests, scripts).
        runtime.close()


def _upgrade(settings: Settings) -> int:
    # A migration may rewrite a large table: it is not held to a Slack request's timeouts.
    engine = make_engine(settings.database_url, bounded=False)
    try:
        check_sqlite_directory(engine)
        before = current_revision(engine)
        after = upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate: {str(getattr(exc, 'orig', exc)).splitlines()[0]}") from None
    finally:
        engine.dispose()
    database = f"{describe_url(engine)} ({settings.database_url_source})"
    if before == after:
        print(f"{database} was already at revision {after}: nothing to migrate")
    else:
        print(f"migrated {database} from {f'revision {before}' if before else 'empty'} to revision {after}")
    return 0


def _check(args: argparse.Namespace) -> int:
    checks = run_checks()
    if args.json:
        print(json.dumps([{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks], indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            print(f"{'ok' if c.ok else 'FAIL':<4}  {c.name:<{width}}  {c.detail}")
    return 0 if all(c.ok for c in checks) else 1


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _change(apply: Callable[..., str]) -> Callable[[Runtime, argparse.Namespace], int]:
    """Run an admin change in one transaction: all of it is written, or none."""

    def run(runtime: Runtime, args: argparse.Namespace) -> int:
        with runtime.sessions.begin() as session:
            print(apply(session, _actor(), args))
        return 0

    return run


def _listing(
    rows_of: Callable[[Session, Runtime, argparse.Namespace], list[listings.Row]],
    empty: Callable[[argparse.Namespace], str],
) -> Callable[[Runtime, argparse.Namespace], int]:
    """A list command: its rows read in one session, as a table or --json, or what to do when there are none."""

    def run(runtime: Runtime, args: argparse.Namespace) -> int:
        with runtime.sessions() as session:
            rows = rows_of(session, runtime, args)
        print(listings.render(rows, as_json=args.json, empty=empty(args)))
        return 0

    return run


def _retry(runtime: Runtime, args: argparse.Namespace) -> int:
    requester = Requester(args.user, frozenset(args.group))
    request = ResendRequest(args.waba, args.phone_number_id, args.phone, args.via)
    result = runtime.resender.resend(requester, Origin("cli"), request)
    print(explain(result).as_text())
    return 0 if result.status.succeeded else 1


def _audit(runtime: Runtime, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        since = listings.parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.admin and (args.waba or args.user or args.phone):
        raise CliError("--waba, --user and --phone narrow attempts; with --admin only --since and --limit apply")
    with runtime.sessions() as session:
        if args.admin:
            rows = listings.admin_action_rows(session, args.limit, since)
        else:
            rows = listings.attempt_rows(session, _attempt_filter(runtime, args, since), args.limit)
    print(listings.render(rows, as_json=args.json, empty="nothing audited" + (" that matches" if since else " yet")))
    return 0


def _attempt_filter(runtime: Runtime, args: argparse.Namespace, since: datetime | None) -> AttemptFilter:
    phone = None
    if args.phone:
        try:
            phone = normalise_phone(args.phone, runtime.settings.default_phone_region)
        except InvalidPhoneNumber as exc:
            raise CliError(f"--phone: {exc}") from None
    users = frozenset({args.user}) if args.user else None
    return AttemptFilter(user_ids=users, phone_number=phone, waba_id=args.waba, since=since)


_HANDLERS: dict[tuple[str, str | None], Callable[[Runtime, argparse.Namespace], int]] = {
    ("waba", "add"): _change(lambda s, who, a: admin.add_waba(s, who, a.waba_id, a.name, a.sid, a.region)),
    ("waba", "list"): _listing(
        lambda s, _, a: listings.waba_rows(s), lambda a: "no WABAs yet: add one with `waba add WABA_ID --name NAME`"
    ),
    ("waba", "remove"): _change(lambda s, who, a: admin.remove_waba(s, who, a.waba_id)),
    ("grant", None): _change(lambda s, who, a: admin.grant(s, who, a.principal, a.waba_id, a.lasting, now=utcnow())),
    ("revoke", None): _change(lambda s, who, a: admin.revoke(s, who, a.principal, a.waba_id)),
    ("grants", None): _listing(
        lambda s, _, a: listings.grant_rows(s, a.principal, utcnow()),
        lambda a: "no grants" + (f" for {a.principal}" if a.principal else ": add one with `grant PRINCIPAL WABA_ID`"),
    ),
    ("admin", "add"): _change(lambda s, who, a: admin.add_admin(s, who, a.user)),
    ("admin", "remove"): _change(lambda s, who, a: admin.remove_admin(s, who, a.user)),
    ("admins", None): _listing(
        lambda s, runtime, a: listings.admin_rows(s, runtime.settings.admin_user_ids),
        lambda a: "no admins: add one with `admin add USER`",
    ),
    ("watch", "add"): _change(lambda s, who, a: admin.watch_channel(s, who, a.channel_id)),
    ("watch", "remove"): _change(lambda s, who, a: admin.unwatch_channel(s, who, a.channel_id)),
    ("watch", "list"): _listing(
        lambda s, _, a: listings.watched_rows(s), lambda a: "no watched channels: add one with `watch add CHANNEL_ID`"
    ),
    ("owner", "add"): _change(lambda s, who, a: admin.add_owner(s, who, a.user, a.waba_id)),
    ("owner", "remove"): _change(lambda s, who, a: admin.remove_owner(s, who, a.user, a.waba_id)),
    ("owners", None): _listing(
        lambda s, _, a: listings.owner_rows(s, a.waba_id),
        lambda a: "no owners" + (f" for WABA {a.waba_id}" if a.waba_id else ": add one with `owner add USER WABA_ID`"),
    ),
    ("retry", None): _retry,
    ("audit", None): _audit,
}
