"""Managing WABAs, grants and admins: checked, applied and audited the same from the CLI and Slack."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config import KALEYRA_REGIONS, is_kaleyra_sid
from bot.principals import CHANNEL_ID, USER_ID, is_principal
from bot.request import ID_DIGITS
from bot.store import access, owners, wabas, watch
from bot.store.admin_log import log_admin_action
from bot.store.models import ALL_WABAS


class AdminError(ValueError):
    """A change that cannot be made; the message says why and how to write it."""


def check_waba_id(waba_id: str, *, allow_all: bool = False) -> str:
    if allow_all and waba_id == ALL_WABAS:
        return waba_id
    if not ID_DIGITS.match(waba_id):
        every = " or * for every WABA" if allow_all else ""
        raise AdminError(f"{waba_id!r} is not a WABA id: write its digits, e.g. 766123456789012{every}")
    return waba_id


def check_principal(principal: str) -> str:
    if not is_principal(principal):
        raise AdminError(
            f"{principal!r} is not a Slack user id (U…/W…) or user group id (S…): "
            "find it in the person's or group's Slack profile"
        )
    return principal


def add_waba(session: Session, actor: str, waba_id: str, name: str | None, sid: str | None, region: str | None) -> str:
    """Add a WABA, or change only the fields given for a known one ("" puts a SID or region back to the bot's)."""
    check_waba_id(waba_id)
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise AdminError("give the WABA a name of 1 to 200 characters, e.g. --name 'Acme Retail'")
    if sid and not is_kaleyra_sid(sid):
        # The SID becomes part of the URL that carries the API key: nothing but Kaleyra's shape.
        raise AdminError(f"{sid!r} is not a Kaleyra SID: uppercase letters and digits, e.g. HXAP16XXXXXX97IN")
    if region and region not in KALEYRA_REGIONS:
        raise AdminError(f"region must be one of {', '.join(KALEYRA_REGIONS)}")
    waba = wabas.get_waba(session, waba_id)
    if waba is None:
        if name is None:
            raise AdminError(f"WABA {waba_id} is new: give it a name, e.g. --name 'Acme Retail'")
        wabas.add_waba(session, waba_id, name, sid=sid, region=region)
        log_admin_action(session, actor, "waba_add", f"{waba_id} {name}{_overrides(sid, region)}")
        return f"Added WABA {waba_id} ({name})."
    changes = wabas.change_waba(session, waba, name=name, sid=sid, region=region)
    if not changes:
        return f"WABA {waba_id} ({waba.name}) already was so; nothing changed."
    # Old → new, so a wrong update can be put back by hand from the admin log.
    detail = "; ".join(f"{_FIELD_LABELS[f]}: {_shown(old)} → {_shown(new)}" for f, (old, new) in changes.items())
    log_admin_action(session, actor, "waba_update", f"{waba_id} {detail}")
    return f"Updated WABA {waba_id} ({waba.name}): {detail}."


_FIELD_LABELS = {"name": "name", "kaleyra_sid": "sid", "kaleyra_region": "region"}


def _shown(value: str | None) -> str:
    return repr(value) if value else "(the bot's default)"


def _overrides(sid: str | None, region: str | None) -> str:
    return "".join(f" {label}={value}" for label, value in (("sid", sid), ("region", region)) if value)


def remove_waba(session: Session, actor: str, waba_id: str) -> str:
    check_waba_id(waba_id)
    if not wabas.remove_waba(session, waba_id):
        raise AdminError(f"WABA {waba_id} is not one the bot knows (see `waba list`)")
    log_admin_action(session, actor, "waba_remove", waba_id)
    return f"Removed WABA {waba_id}; its grants stay until revoked."


def grant(
    session: Session, actor: str, principal: str, waba_id: str, lasting: timedelta | None, *, now: datetime
) -> str:
    """Grant until `now + lasting` (None: permanent); granting again sets the new end."""
    check_principal(principal)
    check_waba_id(waba_id, allow_all=True)
    if waba_id != ALL_WABAS and wabas.get_waba(session, waba_id) is None:
        raise AdminError(f"WABA {waba_id} is not one the bot knows: add it first with `waba add`")
    target = "every WABA" if waba_id == ALL_WABAS else f"WABA {waba_id}"
    expires_at = now + lasting if lasting is not None else None
    change, before = access.set_grant(session, principal, waba_id, by=actor, expires_at=expires_at, now=now)
    if change is access.GrantChange.UNCHANGED:
        return f"{principal} already had {target}{_ending(expires_at)}."
    detail = f"{principal} {waba_id}{_ending(expires_at)}"
    if change is access.GrantChange.CHANGED:
        # The old end, so a grant cut short by mistake can be put back from the admin log.
        detail += f" (was {until(before, now)})"
    log_admin_action(session, actor, "grant", detail)
    return f"Granted {target} to {principal}{_ending(expires_at)}."


def until(expires_at: datetime | None, now: datetime | None = None) -> str:
    """`until 2026-03-01 17:30 UTC`, `permanent`, or `ended …` for an end already past."""
    if expires_at is None:
        return "permanent"
    if now is not None and expires_at <= now:
        return f"ended {expires_at:%Y-%m-%d %H:%M} UTC"
    return f"until {expires_at:%Y-%m-%d %H:%M} UTC"


def _ending(expires_at: datetime | None) -> str:
    return "" if expires_at is None else f" {until(expires_at)}"


def revoke(session: Session, actor: str, principal: str, waba_id: str) -> str:
    check_principal(principal)
    check_waba_id(waba_id, allow_all=True)
    if not access.remove_grant(session, principal, waba_id):
        raise AdminError(f"{principal} has no grant for {waba_id} (see `grants {principal}`)")
    log_admin_action(session, actor, "revoke", f"{principal} {waba_id}")
    return f"Revoked {waba_id} from {principal}."


def add_admin(session: Session, actor: str, user_id: str) -> str:
    check_user(user_id)
    if not access.add_admin(session, user_id, by=actor):
        return f"{user_id} was an admin already."
    log_admin_action(session, actor, "admin_add", user_id)
    return f"{user_id} is now an admin."


def remove_admin(session: Session, actor: str, user_id: str) -> str:
    if not access.remove_admin(session, user_id):
        raise AdminError(f"{user_id} is not an admin in the store (see `admins`)")
    log_admin_action(session, actor, "admin_remove", user_id)
    return f"{user_id} is no longer an admin."


def check_channel_id(channel_id: str) -> str:
    if not CHANNEL_ID.match(channel_id):
        raise AdminError(
            f"{channel_id!r} is not a Slack channel id: in Slack, the channel's name > About > Channel ID (C…)"
        )
    return channel_id


def watch_channel(session: Session, actor: str, channel_id: str) -> str:
    check_channel_id(channel_id)
    if not watch.add_watch(session, channel_id, by=actor):
        return f"Channel {channel_id} was watched already."
    log_admin_action(session, actor, "watch_add", channel_id)
    return (
        f"Watching channel {channel_id}: alerts there that name a WABA and a number get resend buttons. "
        "In a private channel, invite the bot (/invite @resend-otp)."
    )


def unwatch_channel(session: Session, actor: str, channel_id: str) -> str:
    check_channel_id(channel_id)
    if not watch.remove_watch(session, channel_id):
        raise AdminError(f"channel {channel_id} is not watched (see `watch list`)")
    log_admin_action(session, actor, "watch_remove", channel_id)
    return f"No longer watching channel {channel_id}."


def add_owner(session: Session, actor: str, user_id: str, waba_id: str) -> str:
    check_user(user_id)
    check_waba_id(waba_id)
    if wabas.get_waba(session, waba_id) is None:
        raise AdminError(f"WABA {waba_id} is not one the bot knows: add it first with `waba add`")
    if not owners.add_owner(session, waba_id, user_id, by=actor):
        return f"{user_id} owned WABA {waba_id} already."
    log_admin_action(session, actor, "owner_add", f"{user_id} {waba_id}")
    return f"{user_id} now owns WABA {waba_id}: they may grant, revoke and approve requests for it."


def remove_owner(session: Session, actor: str, user_id: str, waba_id: str) -> str:
    check_user(user_id)
    check_waba_id(waba_id)
    if not owners.remove_owner(session, waba_id, user_id):
        raise AdminError(f"{user_id} does not own WABA {waba_id} (see `owners {waba_id}`)")
    log_admin_action(session, actor, "owner_remove", f"{user_id} {waba_id}")
    return f"{user_id} no longer owns WABA {waba_id}."


def check_user(user_id: str) -> str:
    if not USER_ID.match(user_id):
        raise AdminError(f"{user_id!r} is not a Slack user id (U… or W…)")
    return user_id
