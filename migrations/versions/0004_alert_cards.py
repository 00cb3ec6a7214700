"""alert cards: watched channels, the cards offered on alerts, and the phone number ids the bot remembers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watched_channels",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_watched_channels")),
    )
    op.create_table(
        "alert_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("waba_id", sa.String(length=32), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("phone_number_id", sa.String(length=32), nullable=True),
        sa.Column("remembered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_cards")),
        sa.UniqueConstraint("channel_id", "message_ts", name="uq_alert_cards_channel_message"),
    )
    op.create_table(
        "known_numbers",
        sa.Column("waba_id", sa.String(length=32), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("waba_id", "phone_number", name=op.f("pk_known_numbers")),
    )


def downgrade() -> None:
    op.drop_table("known_numbers")
    op.drop_table("alert_cards")
    op.drop_table("watched_channels")
