"""The store's tables, as SQLAlchemy 2 typed models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, MetaData, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints keep Alembic's SQLite batch migrations able to find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ALL_WABAS = "*"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Waba(Base):
    __tablename__ = "wabas"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # A WABA that lives under another Kaleyra SID or pod than the bot's default.
    kaleyra_sid: Mapped[str | None] = mapped_column(String(64))
    kaleyra_region: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("principal", "waba_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A Slack user (U…/W…) or user group (S…).
    principal: Mapped[str] = mapped_column(String(32), index=True)
    # A WABA id, or "*" for every WABA; not a foreign key because of "*".
    waba_id: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: permanent. An ended grant counts for nothing; it stays until revoked or granted again.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Admin(Base):
    __tablename__ = "admins"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WabaOwner(Base):
    """Someone who may grant, revoke and approve requests for one WABA."""

    __tablename__ = "waba_owners"

    waba_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRequest(Base):
    """A person asking for a WABA, until an owner or an admin decides or it lapses."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Carried by the approve/deny buttons with the id: a guessed id alone decides nothing.
    token: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(32))
    waba_id: Mapped[str] = mapped_column(String(32))
    # "1h", "8h", "7d" or "permanent", as asked.
    duration: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # open → approved, denied or lapsed.
    status: Mapped[str] = mapped_column(String(16))
    # "user:waba" while open, NULL after: the unique constraint keeps one open request per pair.
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grant_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The refused attempt that led to the request, for "Resend now" once approved.
    attempt_id: Mapped[int | None] = mapped_column(Integer)


class AccessRequestMessage(Base):
    """Each copy of a request's message (a channel post or a DM), updated when it is decided."""

    __tablename__ = "access_request_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))


class CooldownClaim(Base):
    """At most one live claim per (WABA, number): the primary key is the lock."""

    __tablename__ = "cooldown_claims"

    waba_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    claim_token: Mapped[str] = mapped_column(String(36))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonLock(Base):
    """One row per person who asked: taking it serialises their limit and refusal counts across processes."""

    __tablename__ = "person_locks"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attempt(Base):
    """One resend attempt, written before Kaleyra is called and completed after."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_created_at", "created_at"),
        Index("ix_attempts_user_id_created_at", "user_id", "created_at"),
        Index("ix_attempts_phone_number", "phone_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[str] = mapped_column(String(64))
    surface: Mapped[str] = mapped_column(String(16))
    waba_id: Mapped[str] = mapped_column(String(64))
    phone_number: Mapped[str] = mapped_column(String(64))
    phone_number_id: Mapped[str] = mapped_column(String(64))
    verification: Mapped[str] = mapped_column(String(8))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # pending → an outcome kind (sent, timeout, …), refused_*, or unknown after a crash.
    status: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    dry_run: Mapped[bool] = mapped_column(default=False)
    # Where the outcome reached the person: channel, response_url, ephemeral, dm, failed.
    delivery: Mapped[str | None] = mapped_column(String(32))
    # A refusal beyond the person's burst is counted here, on their last refusal of that kind.
    repeats: Mapped[int] = mapped_column(default=0, server_default="0")
    # The "sending…" message a command's outcome is threaded under, to fix up after a crash.
    parent_channel_id: Mapped[str | None] = mapped_column(String(32))
    parent_ts: Mapped[str | None] = mapped_column(String(32))


class AdminAction(Base):
    """Who changed WABAs, grants or admins, and when."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)


class SeenRequest(Base):
    """A signed Slack request (or an event id) already handled: a replay within the window does nothing."""

    __tablename__ = "seen_requests"

    # "sig:<signature>" or "event:<event_id>".
    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WatchedChannel(Base):
    """A channel where alerts arrive: each new alert there gets a card with resend buttons."""

    __tablename__ = "watched_channels"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertCard(Base):
    """A card offered on one alert: the fields its buttons send, found again by id and token.

    (channel, message ts) is unique: of two processes handed the same alert, one inserts, one
    posts, and the other stops.
    """

    __tablename__ = "alert_cards"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="uq_alert_cards_channel_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Compared with the button's value: an id alone would let a forged value pick another card.
    token: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    waba_id: Mapped[str] = mapped_column(String(32))
    phone_number: Mapped[str] = mapped_column(String(20))
    phone_number_id: Mapped[str | None] = mapped_column(String(32))
    # Set when the id came from the bot's memory, not from the alert: when that resend was.
    remembered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The card's own message, once posted: updated after each click.
    card_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnownNumber(Base):
    """The phone number id Kaleyra last took for a (WABA, number): fills alerts that lack it."""

    __tablename__ = "known_numbers"

    waba_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
