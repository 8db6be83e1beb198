"""sandbox: the shared clock; an index for the unpaid auto-cancel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPAID = "status = 'booked' AND visit_payment"


def upgrade() -> None:
    op.create_table(
        "sandbox_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offset_us", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_clock")),
    )
    op.execute(
        "INSERT INTO sandbox_clock (id, mode, frozen_at, offset_us, version) "
        "VALUES (1, 'real', NULL, 0, 0)"
    )
    op.create_index(
        "ix_bookings_unpaid_booked_at",
        "bookings",
        ["booked_at"],
        unique=False,
        sqlite_where=sa.text(UNPAID),
        postgresql_where=sa.text(UNPAID),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_unpaid_booked_at", table_name="bookings")
    op.drop_table("sandbox_clock")
