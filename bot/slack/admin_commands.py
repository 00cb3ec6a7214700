"""`/resend-otp grant|revoke|grants|waba …` for admins: the same checked, audited changes as the CLI."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from sqlalchemy.orm import Session

from bot import admin
from bot.slack.command_text import AdminCommand, principal_from
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps
from bot.slack.mrkdwn import escape
from bot.store import access, wabas

USAGE = {
    "grant": "/resend-otp grant @user|@group WABA_ID|*",
    "revoke": "/resend-otp revoke @user|@group WABA_ID|*",
    "grants": "/resend-otp grants [@user|@group]",
    "waba": "/resend-otp waba add WABA_ID NAME · waba list · waba remove WABA_ID",
}


def is_admin(deps: SlackDeps, user_id: str) -> bool:
    if user_id in deps.runtime.settings.admin_user_ids:
        return True
    with deps.runtime.sessions() as session:
        return access.is_admin(session, user_id)


def run_admin_command(deps: SlackDeps, destination: Destination, command: AdminCommand) -> None:
    """Apply an admin command in one transaction and tell the admin what happened."""
    if not is_admin(deps, destination.user_id):
        reply = f"Only the bot's admins may use `{command.action}`. Ask an admin to do it for you."
    else:
        try:
            with deps.runtime.sessions.begin() as session:
                reply = _apply(session, f"slack:{destination.user_id}", command)
        except admin.AdminError as exc:
            reply = f"{escape(str(exc))}\nWrite: `{USAGE[command.action]}`"
    deps.delivery.to_person(destination, reply, [SectionBlock(text=MarkdownTextObject(text=reply[:2900]))])


def _apply(session: Session, actor: str, command: AdminCommand) -> str:
    args = command.args
    match command.action, args:
        case "grant", (who, waba_id):
            return escape(admin.grant(session, actor, principal_from(who), waba_id))
        case "revoke", (who, waba_id):
            return escape(admin.revoke(session, actor, principal_from(who), waba_id))
        case "grants", ():
            return _grants(session, None)
        case "grants", (who,):
            return _grants(session, principal_from(who))
        case "waba", ("list",):
            rows = wabas.list_wabas(session)
            return "\n".join(f"`{w.id}` {escape(w.name)}" for w in rows) or "No WABAs yet."
        case "waba", ("add", waba_id, *name) if name:
            return escape(admin.add_waba(session, actor, waba_id, " ".join(name), None, None))
        case "waba", ("remove", waba_id):
            return escape(admin.remove_waba(session, actor, waba_id))
    raise admin.AdminError(f"`{command.action}` needs other arguments")


def _grants(session: Session, principal: str | None) -> str:
    rows = access.list_grants(session, principal)
    if not rows:
        return "No grants" + (f" for {_mention(principal)}." if principal else " yet.")
    return "\n".join(f"{_mention(g.principal)} → `{escape(g.waba_id)}`" for g in rows)


def _mention(principal: str | None) -> str:
    if principal and access.GROUP_ID.match(principal):
        return f"<!subteam^{principal}>"
    if principal and access.USER_ID.match(principal):
        return f"<@{principal}>"
    return escape(principal or "")
