"""The words of `python -m bot`: every command and option, with what it does and an example."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any, NoReturn

from bot.config import KALEYRA_REGIONS
from bot.durations import parse_duration

PROG = "python -m bot"
DESCRIPTION = """\
Run the resend-otp Slack bot, and manage who may resend WhatsApp verification OTPs.

Settings come from the environment and from the nearest .env file (this directory or one above).
Start with `python -m bot check`: it says what is missing or wrong, one line each."""
USER = "a Slack user id (U… or W…): in Slack, the person's profile > ⋮ > Copy member ID"
PRINCIPAL = f"{USER}; or a user group id (S…): the group's page > ⋮ > Copy group ID"
WABA_ID = "the WhatsApp Business Account id, digits, e.g. 766123456789012"


class _Parser(argparse.ArgumentParser):
    """Argument errors as one `error: …` line, like every other error (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=f"examples:\n  {PROG} check\n  {PROG} waba add 766123456789012 --name 'Acme Retail'\n"
        f"  {PROG} grant S0ONCALL '*'\n  {PROG} COMMAND --help   # each command's options and examples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, *examples: str, parent: Any = commands) -> argparse.ArgumentParser:
        epilog = "examples:\n" + "\n".join(f"  {PROG} {e}" for e in examples)
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=text, description=text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        return sub

    check = command(
        "check",
        "check the settings, the database, the Slack tokens and Kaleyra, one line each; exit 0 only if all pass",
        "check",
        "check --json | jq '.[] | select(.ok | not)'",
    )
    check.add_argument("--json", action="store_true", help="print a JSON array instead of lines, for scripts")
    command("serve", "answer Slack's requests over HTTP on $PORT (production)", "serve", "serve  # PORT=8080 first")
    command("socket", "answer Slack over Socket Mode (SLACK_APP_TOKEN): no public URL needed", "socket")
    db = command("db", "the bot's database", "db upgrade").add_subparsers(dest="action", required=True)
    command("upgrade", "create or update the database's tables; safe to run again", "db upgrade", parent=db)

    waba = command("waba", "the WhatsApp Business Accounts the bot knows", "waba list").add_subparsers(
        dest="action", required=True
    )
    waba_add = command(
        "add",
        "add a WABA, or change only the given fields of one the bot knows",
        "waba add 766123456789012 --name 'Acme Retail'",
        "waba add 766123456789013 --name 'Acme EU' --sid HXEU16XXXXXX11EU --region eu",
        "waba add 766123456789013 --sid ''    # back to KALEYRA_SID",
        parent=waba,
    )
    waba_add.add_argument("waba_id", help=WABA_ID)
    waba_add.add_argument("--name", help="what people see in Slack, e.g. 'Acme Retail' (required for a new WABA)")
    waba_add.add_argument(
        "--sid",
        help="the Kaleyra SID of another Kaleyra account, when this WABA is not under KALEYRA_SID ('' for KALEYRA_SID)",
    )
    waba_add.add_argument(
        "--region",
        choices=(*KALEYRA_REGIONS, ""),
        help="the Kaleyra pod of that account, when not KALEYRA_REGION ('' for KALEYRA_REGION)",
    )
    waba_list = command("list", "list the WABAs", "waba list", "waba list --json", parent=waba)
    _json_option(waba_list)
    waba_remove = command(
        "remove", "forget a WABA (its grants stay, with no effect)", "waba remove 766123456789012", parent=waba
    )
    waba_remove.add_argument("waba_id", help=WABA_ID)

    grant = command(
        "grant",
        "let a person or a user group resend OTPs for a WABA, for good or for a while",
        "grant U0123ABCD 766123456789012",
        "grant U0123ABCD 766123456789012 --for 8h",
        "grant S0ONCALL '*'",
    )
    revoke = command("revoke", "take back what `grant` gave", "revoke U0123ABCD 766123456789012")
    for sub in (grant, revoke):
        sub.add_argument("principal", help=PRINCIPAL)
        sub.add_argument("waba_id", help=f"{WABA_ID}; or '*' (quoted) for every WABA")
    grant.add_argument(
        "--for",
        dest="lasting",
        type=_duration,
        metavar="DURATION",
        help="end the grant after this long: whole minutes, hours or days (1m, 30m, 8h, 7d); "
        "without it the grant lasts until revoked. Granting again sets the new end.",
    )
    grants = command("grants", "list who may resend for which WABA", "grants", "grants U0123ABCD --json")
    grants.add_argument("principal", nargs="?", help=f"only this person's or group's grants: {PRINCIPAL}")
    _json_option(grants)

    admins = command(
        "admin", "the people who may add WABAs and grant access from Slack", "admin add U0123ABCD"
    ).add_subparsers(dest="action", required=True)
    command(
        "add", "let a person manage WABAs and grants from Slack", "admin add U0123ABCD", parent=admins
    ).add_argument("user", help=USER)
    command("remove", "stop a person managing from Slack", "admin remove U0123ABCD", parent=admins).add_argument(
        "user", help=USER
    )
    _json_option(command("admins", "list who may manage from Slack (and from ADMIN_USER_IDS)", "admins --json"))

    watch = command(
        "watch", "the alert channels where the bot puts resend buttons on alerts", "watch list"
    ).add_subparsers(dest="action", required=True)
    channel = "a Slack channel id (C…): in Slack, the channel's name > About > Channel ID"
    command("add", "put resend buttons on alerts in this channel", "watch add C0ALERTS", parent=watch).add_argument(
        "channel_id", help=channel
    )
    command("remove", "stop watching a channel", "watch remove C0ALERTS", parent=watch).add_argument(
        "channel_id", help=channel
    )
    _json_option(command("list", "list the watched channels", "watch list", "watch list --json", parent=watch))
    owner = command(
        "owner",
        "a WABA's owners: they grant, revoke and approve requests for it",
        "owner add U0123ABCD 766123456789012",
    ).add_subparsers(dest="action", required=True)
    for name, text in (
        ("add", "let a person grant, revoke and approve access requests for one WABA"),
        ("remove", "take that back"),
    ):
        sub = command(name, text, f"owner {name} U0123ABCD 766123456789012", parent=owner)
        sub.add_argument("user", help=USER)
        sub.add_argument("waba_id", help=WABA_ID)
    owners = command("owners", "list each WABA's owners", "owners", "owners 766123456789012 --json")
    owners.add_argument("waba_id", nargs="?", help=f"only this WABA's owners: {WABA_ID}")
    _json_option(owners)

    retry = command(
        "retry",
        "resend an OTP from a terminal, checked and audited as if the person asked in Slack",
        "retry --as U0123ABCD --waba 766123456789012 --phone-number-id 678997654321098 --phone '+91 98765 43210'",
    )
    retry.add_argument("--as", dest="user", required=True, help=f"who the resend is for: {USER}")
    retry.add_argument(
        "--group", action="append", default=[], help="a user group (S…) that person is in; repeat for several"
    )
    retry.add_argument("--waba", required=True, help=WABA_ID)
    retry.add_argument("--phone-number-id", required=True, help="the digits Kaleyra returned when the number was added")
    retry.add_argument(
        "--phone", required=True, help="the number with its country code, e.g. '+91 98765 43210' (quote spaces)"
    )
    retry.add_argument(
        "--via", choices=("sms", "voice"), default="sms", type=str.lower, help="how the OTP goes out (default sms)"
    )

    audit = command(
        "audit",
        "recent resend attempts, newest first (numbers masked), or changes made by admins",
        "audit --since 8h",
        "audit --waba 766123456789012 --phone '+91 98765 43210' --json",
        "audit --admin --since 2026-03-01",
    )
    audit.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    audit.add_argument("--waba", help=f"only attempts on this WABA: {WABA_ID}")
    audit.add_argument("--user", help=f"only attempts by this person: {USER}")
    audit.add_argument("--phone", help="only attempts for this number, with its country code")
    audit.add_argument("--since", help="only what happened since: a time ago (30m, 8h, 7d) or a date (2026-03-01)")
    audit.add_argument("--admin", action="store_true", help="show changes made by admins instead of attempts")
    _json_option(audit)
    return parser


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table, for scripts")
