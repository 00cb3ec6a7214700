"""The cooldown: one atomic claim per (WABA, number), shared by every process on one database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store.db import dialect_insert
from bot.store.models import CooldownClaim


@dataclass(frozen=True)
class Claim:
    waba_id: str
    phone_number: str
    token: str


@dataclass(frozen=True)
class Held:
    """Someone else's live claim: who asked, when, and when the number is free again."""

    user_id: str
    claimed_at: datetime
    expires_at: datetime


def claim_cooldown(
    session: Session, *, waba_id: str, phone_number: str, user_id: str, now: datetime, seconds: int
) -> Claim | Held:
    """Take the (WABA, number) claim in one INSERT … ON CONFLICT, or say who holds it."""
    insert = dialect_insert(session)
    for _ in range(3):
        token = uuid.uuid4().hex
        row = insert(CooldownClaim).values(
            waba_id=waba_id,
            phone_number=phone_number,
            user_id=user_id,
            claim_token=token,
            claimed_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
        # An expired claim is taken over in the same statement; a live one is left alone.
        statement = row.on_conflict_do_update(
            index_elements=[CooldownClaim.waba_id, CooldownClaim.phone_number],
            set_={
                "user_id": row.excluded.user_id,
                "claim_token": row.excluded.claim_token,
                "claimed_at": row.excluded.claimed_at,
                "expires_at": row.excluded.expires_at,
            },
            where=CooldownClaim.expires_at <= now,
        ).returning(CooldownClaim.claim_token)
        if session.execute(statement).scalar_one_or_none() == token:
            return Claim(waba_id, phone_number, token)
        holder = session.get(CooldownClaim, (waba_id, phone_number), populate_existing=True)
        if holder is not None:
            return Held(holder.user_id, holder.claimed_at, holder.expires_at)
        # Released between our insert and our read: try again.
    raise RuntimeError("cooldown claim kept changing hands")  # pragma: no cover


def release_cooldown(session: Session, claim: Claim) -> None:
    """Give the number back at once: the attempt certainly sent nothing."""
    session.execute(
        delete(CooldownClaim).where(
            CooldownClaim.waba_id == claim.waba_id,
            CooldownClaim.phone_number == claim.phone_number,
            CooldownClaim.claim_token == claim.token,
        )
    )
