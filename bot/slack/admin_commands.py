"""`/resend-otp grant|revoke|grants|waba|watch|unwatch|watching …` for admins: checked, audited, as in the CLI."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.admin import AdminError
from bot.principals import GROUP_ID, USER_ID
from bot.service import Service
from bot.slack.blocks import escape
from bot.slack.command_text import AdminCommand, channel_from, principal_from
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps

USAGE = {
    "grant": "/resend-otp grant @user|@group WABA_ID|*",
    "revoke": "/resend-otp revoke @user|@group WABA_ID|*",
    "grants": "/resend-otp grants [@user|@group]",
    "waba": "/resend-otp waba add WABA_ID NAME · waba list · waba remove WABA_ID",
    "watch": "/resend-otp watch #channel",
    "unwatch": "/resend-otp unwatch #channel",
    "watching": "/resend-otp watching",
}


def run_admin_command(deps: SlackDeps, destination: Destination, command: AdminCommand) -> None:
    """Apply an admin command and tell the admin what happened."""
    if not deps.service.is_admin(destination.user_id):
        reply = f"Only the bot's admins may use `{command.action}`. Ask an admin to do it for you."
    else:
        try:
            reply = _apply(deps.service, f"slack:{destination.user_id}", command)
        except AdminError as exc:
            reply = f"{escape(str(exc))}\nWrite: `{USAGE[command.action]}`"
    deps.delivery.to_person(destination, reply, [SectionBlock(text=MarkdownTextObject(text=reply[:2900]))])


def _apply(service: Service, actor: str, command: AdminCommand) -> str:
    match command.action, command.args:
        case "grant", (who, waba_id):
            return escape(service.grant(actor, principal_from(who), waba_id))
        case "revoke", (who, waba_id):
            return escape(service.revoke(actor, principal_from(who), waba_id))
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
    raise AdminError(f"`{command.action}` needs other arguments")


def _grants(service: Service, principal: str | None) -> str:
    rows = service.list_grants(principal)
    if not rows:
        return "No grants" + (f" for {_mention(principal)}." if principal else " yet.")
    return "\n".join(f"{_mention(g.principal)} → `{escape(g.waba_id)}`" for g in rows)


def _mention(principal: str | None) -> str:
    if principal and GROUP_ID.match(principal):
        return f"<!subteam^{principal}>"
    if principal and USER_ID.match(principal):
        return f"<@{principal}>"
    return escape(principal or "")
