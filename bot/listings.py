"""What the CLI's list commands show: rows as aligned tables with a header, or as JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.durations import parse_duration
from bot.phone import mask_phone
from bot.store import access, owners, wabas, watch
from bot.store.admin_log import recent_admin_actions
from bot.store.attempts import AttemptFilter, recent_attempts
from bot.store.models import ALL_WABAS

Row = dict[str, object]


def render(rows: Sequence[Row], *, as_json: bool, empty: str) -> str:
    """JSON (an array, `[]` when empty), or a table whose columns line up under a header."""
    if as_json:
        return json.dumps(list(rows), indent=2, ensure_ascii=False)
    if not rows:
        return empty
    cells = [[_cell(v) for v in row.values()] for row in rows]
    header = list(rows[0])
    widths = [max(len(text) for text in column) for column in zip(header, *cells, strict=True)]
    lines = [header, *cells]
    return "\n".join("  ".join(t.ljust(w) for t, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30m`, `8h`, `7d` ago, or a date or time (`2026-03-01`, `2026-03-01T09:30`, UTC unless it says)."""
    try:
        return (now or datetime.now(UTC)) - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: write a time ago (30m, 8h, 7d) or a date (2026-03-01)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def waba_rows(session: Session) -> list[Row]:
    return [
        {"waba_id": w.id, "name": w.name, "kaleyra_sid": w.kaleyra_sid, "region": w.kaleyra_region}
        for w in wabas.list_wabas(session)
    ]


def grant_rows(session: Session, principal: str | None, now: datetime) -> list[Row]:
    names = {w.id: w.name for w in wabas.list_wabas(session)}
    rows: list[Row] = []
    for grant in access.list_grants(session, principal):
        if grant.waba_id == ALL_WABAS:
            name = "every WABA"
        else:
            # A grant outlives `waba remove`: it does nothing until the WABA is added again.
            name = names.get(grant.waba_id, "(removed WABA: no effect unless it is added again)")
        rows.append(
            {
                "principal": grant.principal,
                "waba_id": grant.waba_id,
                "waba_name": name,
                "granted_by": grant.granted_by,
                "granted_at": _at(grant.created_at),
                # null in JSON, "-" in the table: the grant lasts until revoked.
                "ends_at": _at(grant.expires_at) if grant.expires_at else None,
                "ended": grant.expires_at is not None and grant.expires_at <= now,
            }
        )
    return rows


def admin_rows(session: Session, from_environment: frozenset[str]) -> list[Row]:
    rows: list[Row] = [
        {"user": a.user_id, "source": "admin add", "added_by": a.added_by, "added_at": _at(a.created_at)}
        for a in access.list_admins(session)
    ]
    rows += [
        {"user": u, "source": "ADMIN_USER_IDS", "added_by": None, "added_at": None} for u in sorted(from_environment)
    ]
    return rows


def watched_rows(session: Session) -> list[Row]:
    return [
        {"channel_id": w.channel_id, "added_by": w.added_by, "added_at": _at(w.created_at)}
        for w in watch.list_watched(session)
    ]


def owner_rows(session: Session, waba_id: str | None) -> list[Row]:
    names = {w.id: w.name for w in wabas.list_wabas(session)}
    return [
        {
            "waba_id": o.waba_id,
            "waba_name": names.get(o.waba_id, "(removed WABA)"),
            "user": o.user_id,
            "added_by": o.added_by,
            "added_at": _at(o.created_at),
        }
        for o in owners.list_owners(session, waba_id)
    ]


def attempt_rows(session: Session, narrow: AttemptFilter, limit: int) -> list[Row]:
    return [
        {
            "id": a.id,
            "at": _at(a.created_at),
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
        for a in recent_attempts(session, narrow, limit)
    ]


def admin_action_rows(session: Session, limit: int, since: datetime | None) -> list[Row]:
    return [
        {"at": _at(a.created_at), "actor": a.actor, "action": a.action, "detail": a.detail}
        for a in recent_admin_actions(session, limit, since)
    ]


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
