"""Cards offered on alerts (one per alert, across processes) and the phone number ids the bot remembers."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.store.db import dialect_insert
from bot.store.models import AlertCard, KnownNumber


def claim_card(
    session: Session,
    *,
    channel_id: str,
    message_ts: str,
    thread_ts: str,
    waba_id: str,
    phone_number: str,
    phone_number_id: str | None,
    remembered_at: datetime | None,
    now: datetime,
) -> AlertCard | None:
    """The new card for this alert; None when a card was claimed for it already (by any process).

    One INSERT … ON CONFLICT DO NOTHING on (channel, message ts): no window between a check and
    an insert for a re-delivery or a second process to slip through.
    """
    statement = (
        dialect_insert(session)(AlertCard)
        .values(
            token=secrets.token_hex(16),
            channel_id=channel_id,
            message_ts=message_ts,
            thread_ts=thread_ts,
            waba_id=waba_id,
            phone_number=phone_number,
            phone_number_id=phone_number_id,
            remembered_at=remembered_at,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[AlertCard.channel_id, AlertCard.message_ts])
        .returning(AlertCard.id)
    )
    card_id = session.execute(statement).scalar_one_or_none()
    return None if card_id is None else session.get(AlertCard, card_id)


def record_card_ts(session: Session, card_id: int, card_ts: str) -> None:
    session.execute(update(AlertCard).where(AlertCard.id == card_id).values(card_ts=card_ts))


def get_card(session: Session, card_id: int, token: str) -> AlertCard | None:
    """The card whose button carried this id and token; None for any other pair."""
    card = session.get(AlertCard, card_id)
    if card is None or not secrets.compare_digest(card.token.encode(), token.encode()):
        return None
    return card


def remember_number(session: Session, *, waba_id: str, phone_number: str, phone_number_id: str, now: datetime) -> None:
    """Kaleyra took this id for (WABA, number): the last one taken wins."""
    row = dialect_insert(session)(KnownNumber).values(
        waba_id=waba_id, phone_number=phone_number, phone_number_id=phone_number_id, seen_at=now
    )
    session.execute(
        row.on_conflict_do_update(
            index_elements=[KnownNumber.waba_id, KnownNumber.phone_number],
            set_={"phone_number_id": row.excluded.phone_number_id, "seen_at": row.excluded.seen_at},
        )
    )


def remembered_number(session: Session, waba_id: str, phone_number: str) -> KnownNumber | None:
    return session.get(KnownNumber, (waba_id, phone_number))
