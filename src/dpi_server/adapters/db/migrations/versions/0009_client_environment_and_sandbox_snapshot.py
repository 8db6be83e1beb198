"""api clients: environment; the sandbox's reset snapshot registry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

`api_clients.environment` is `sandbox` (every existing client) or `production`.
`sandbox_snapshot` lists the tables of the snapshot `dpi sandbox reset` restores, with each
table's id counter at snapshot time; the copies themselves are `dpi_snapshot_<table>` tables
written by adapters/db/snapshot.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (not batch mode): rebuilding api_clients would drop its triggers.
    op.add_column(
        "api_clients",
        sa.Column("environment", sa.String(length=10), nullable=False, server_default="sandbox"),
    )
    op.create_table(
        "sandbox_snapshot",
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_sandbox_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_snapshot")
    with op.batch_alter_table("api_clients") as batch:
        batch.drop_column("environment")
