"""trust: the per-person lock, refusals counted beyond a burst, and each command's parent message

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_locks",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_person_locks")),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeats", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("parent_channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("parent_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("parent_ts")
        batch_op.drop_column("parent_channel_id")
        batch_op.drop_column("repeats")
    op.drop_table("person_locks")
