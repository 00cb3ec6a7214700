"""Managing WABAs, grants and admins: checked, applied and audited the same from the CLI and Slack."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.config import KALEYRA_REGIONS, is_kaleyra_sid
from bot.principals import CHANNEL_ID, USER_ID, is_principal
from bot.request import ID_DIGITS
from bot.store import access, wabas, watch
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


def grant(session: Session, actor: str, principal: str, waba_id: str) -> str:
    check_principal(principal)
    check_waba_id(waba_id, allow_all=True)
    if waba_id != ALL_WABAS and wabas.get_waba(session, waba_id) is None:
        raise AdminError(f"WABA {waba_id} is not one the bot knows: add it first with `waba add`")
    target = "every WABA" if waba_id == ALL_WABAS else f"WABA {waba_id}"
    if not access.add_grant(session, principal, waba_id, by=actor):
        return f"{principal} already had {target}."
    log_admin_action(session, actor, "grant", f"{principal} {waba_id}")
    return f"Granted {target} to {principal}."


def revoke(session: Session, actor: str, principal: str, waba_id: str) -> str:
    check_principal(principal)
    check_waba_id(waba_id, allow_all=True)
    if not access.remove_grant(session, principal, waba_id):
        raise AdminError(f"{principal} has no grant for {waba_id} (see `grants {principal}`)")
    log_admin_action(session, actor, "revoke", f"{principal} {waba_id}")
    return f"Revoked {waba_id} from {principal}."


def add_admin(session: Session, actor: str, user_id: str) -> str:
    if not USER_ID.match(user_id):
        raise AdminError(f"{user_id!r} is not a Slack user id (U… or W…)")
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
