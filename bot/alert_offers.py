"""What the alert cards read and write: watched channels, one card per alert, and remembered ids.

Reached as `Service.alerts`; each method is one transaction returning plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import AlertFields
from bot.store import alert_cards, wabas, watch
from bot.store.models import AlertCard


@dataclass(frozen=True)
class WatchedRecord:
    channel_id: str
    added_by: str
    created_at: datetime


@dataclass(frozen=True)
class RememberedId:
    """A phone number id Kaleyra took for a (WABA, number), and when."""

    phone_number_id: str
    seen_at: datetime


@dataclass(frozen=True)
class AlertOffer:
    """A card on one alert: what its buttons send, and where it and its alert are."""

    id: int
    token: str
    channel_id: str
    message_ts: str
    thread_ts: str
    waba_id: str
    waba_name: str
    phone_number: str
    # None when neither the alert nor the bot's memory had it: only the form can help then.
    phone_number_id: str | None
    # When the id came from the bot's memory: the day of the resend it was remembered from.
    remembered_at: datetime | None
    card_ts: str | None

    @property
    def reference(self) -> str:
        """The buttons' value: the card's id and a random token, never the fields themselves."""
        return f"{self.id}.{self.token}"


class AlertOffers:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def watched_channels(self) -> list[WatchedRecord]:
        with self._sessions() as session:
            return [WatchedRecord(w.channel_id, w.added_by, w.created_at) for w in watch.list_watched(session)]

    def is_watched(self, channel_id: str) -> bool:
        with self._sessions() as session:
            return watch.is_watched(session, channel_id)

    def offer_card(self, channel_id: str, message_ts: str, thread_ts: str, fields: AlertFields) -> AlertOffer | None:
        """The card to post for this alert; None when it names no known WABA and number, or has a card already."""
        if not fields.phone_numbers:
            return None
        with self._sessions.begin() as session:
            known = wabas.list_wabas(session, set(fields.waba_ids))
            if not known:
                return None
            # The alert's first WABA the bot knows, not the first by name.
            waba = min(known, key=lambda w: fields.waba_ids.index(w.id))
            phone_number = fields.phone_numbers[0]
            phone_number_id, remembered_at = fields.first_phone_number_id, None
            if phone_number_id is None:
                remembered = alert_cards.remembered_number(session, waba.id, phone_number)
                if remembered is not None:
                    phone_number_id, remembered_at = remembered.phone_number_id, remembered.seen_at
            card = alert_cards.claim_card(
                session,
                channel_id=channel_id,
                message_ts=message_ts,
                thread_ts=thread_ts,
                waba_id=waba.id,
                phone_number=phone_number,
                phone_number_id=phone_number_id,
                remembered_at=remembered_at,
                now=self._clock(),
            )
            return None if card is None else _offer(card, waba.name)

    def record_card(self, card_id: int, card_ts: str) -> None:
        """The card's message, to update after a click."""
        with self._sessions.begin() as session:
            alert_cards.record_card_ts(session, card_id, card_ts)

    def offer(self, reference: str) -> AlertOffer | None:
        """The card a button's value names; None for a value the bot never gave out."""
        card_id, _, token = reference.partition(".")
        if not card_id.isdigit() or len(card_id) > 18 or not token:
            return None
        with self._sessions() as session:
            card = alert_cards.get_card(session, int(card_id), token)
            if card is None:
                return None
            waba = wabas.get_waba(session, card.waba_id)
            return _offer(card, waba.name if waba else card.waba_id)

    def remembered_id(self, waba_id: str, phone_number: str) -> RememberedId | None:
        with self._sessions() as session:
            known = alert_cards.remembered_number(session, waba_id, phone_number)
            return None if known is None else RememberedId(known.phone_number_id, known.seen_at)


def _offer(card: AlertCard, waba_name: str) -> AlertOffer:
    return AlertOffer(
        card.id,
        card.token,
        card.channel_id,
        card.message_ts,
        card.thread_ts,
        card.waba_id,
        waba_name,
        card.phone_number,
        card.phone_number_id,
        card.remembered_at,
        card.card_ts,
    )
