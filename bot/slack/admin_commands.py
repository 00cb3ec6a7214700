"""`/resend-otp grant|revoke|grants|waba|owner|owners|watch|unwatch|watching …`: the same checked,
audited changes as the CLI.

Admins may do all of it; a WABA's owners may grant and revoke that WABA (the service checks which).
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.admin import AdminError
from bot.durations import parse_duration
from bot.service import Service
from bot.slack.blocks import escape, grant_line, mention
from bot.slack.command_text import AdminCommand, channel_from, principal_from
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps

USAGE = {
    "grant": "/resend-otp grant @user|@group WABA_ID|* [for 1m|30m|8h|7d]",
    "revoke": "/resend-otp revoke @user|@group WABA_ID|*",
    "grants": "/resend-otp grants [@user|@group]",
    "waba": "/resend-otp waba add WABA_ID NAME · waba list · waba remove WABA_ID",
    "watch": "/resend-otp watch #channel",
    "unwatch": "/resend-otp unwatch #channel",
    "watching": "/resend-otp watching",
    "owner": "/resend-otp owner add|remove @user WABA_ID",
    "owners": "/resend-otp owners [WABA_ID]",
}
# The service checks these per WABA: an owner may use them for the WABAs they own.
_FOR_OWNERS = {"grant", "revoke"}


def run_admin_command(deps: SlackDeps, destination: Destination, command: AdminCommand) -> None:
    """Apply an admin command and tell the admin what happened."""
    if command.action not in _FOR_OWNERS and not deps.service.is_admin(destination.user_id):
        reply = f"Only the bot's admins may use `{command.action}`. Ask an admin to do it for you."
    else:
        try:
            reply = _apply(deps.service, destination.user_id, command)
        except AdminError as exc:
            reply = f"{escape(str(exc))}\nWrite: `{USAGE[command.action]}`"
    deps.delivery.to_person(destination, reply, [SectionBlock(text=MarkdownTextObject(text=reply[:2900]))])


def _apply(service: Service, user_id: str, command: AdminCommand) -> str:
    actor = f"slack:{user_id}"
    match command.action, command.args:
        case "grant", (who, waba_id):
            return escape(service.grant(user_id, principal_from(who), waba_id))
        case "grant", (who, waba_id, "for", duration):
            return escape(service.grant(user_id, principal_from(who), waba_id, _duration(duration)))
        case "revoke", (who, waba_id):
            return escape(service.revoke(user_id, principal_from(who), waba_id))
        case "grants", ():
            return _grants(service, None)
        case "grants", (who,):
            return _grants(service, principal_from(who))
        case "waba", ("list",):
            return "\n".join(f"`{w.id}` {escape(w.name)}" for w in service.list_wabas()) or "No WABAs yet."
        case "waba", ("add", waba_id, *name) if name:
            return escape(service.add_waba(actor, waba_id, " ".join(name)))
        case "waba", ("remove", waba_id):
            return escape(service.remove_waba(actor, waba_id))
        case "watch", (channel,):
            return escape(service.watch(actor, channel_from(channel)))
        case "unwatch", (channel,):
            return escape(service.unwatch(actor, channel_from(channel)))
        case "watching", ():
            watched = service.alerts.watched_channels()
            lines = [f"<#{w.channel_id}> (added by {escape(w.added_by)})" for w in watched]
            return "\n".join(lines) or "No watched channels yet: `/resend-otp watch #channel`."
        case "owner", ("add", who, waba_id):
            return escape(service.add_owner(actor, principal_from(who), waba_id))
        case "owner", ("remove", who, waba_id):
            return escape(service.remove_owner(actor, principal_from(who), waba_id))
        case "owners", (*waba_id,) if len(waba_id) <= 1:
            rows = service.list_owners(waba_id[0] if waba_id else None)
            return "\n".join(f"`{o.waba_id}` {mention(o.user_id)}" for o in rows) or "No owners yet."
    raise AdminError(f"`{command.action}` needs other arguments")


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise AdminError(str(exc)) from None


def _grants(service: Service, principal: str | None) -> str:
    rows = service.list_grants(principal)
    if not rows:
        return "No grants" + (f" for {mention(principal)}." if principal else " yet.")
    return "\n".join(grant_line(g, with_principal=True) for g in rows)
