"""calendar breaks: ids never reused on SQLite (AUTOINCREMENT)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite can only add AUTOINCREMENT by rebuilding the table; PostgreSQL's sequences never
    # hand an id out twice already.
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "calendar_breaks", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "calendar_breaks", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
