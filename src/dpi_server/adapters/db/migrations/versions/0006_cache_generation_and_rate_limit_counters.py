"""cache generation counter with its triggers; shared rate-limit counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00

`cache_generations` holds one counter per cached family ('clients': tokens, clients,
estates). Triggers bump it in the same transaction as any change to the rows those caches are
built from, so every process sharing the database notices within its polling interval
(services/cache.py), whichever process or tool made the change.

`rate_limit_counters` backs the database rate-limit store (adapters/ratelimit_sql.py) that
several processes share when no Redis is configured.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, operations) whose changes invalidate the 'clients' family. New tokens need nothing:
# only looked-up tokens are cached, and an unknown one is always looked up again.
WATCHED = (
    ("api_clients", ("UPDATE", "DELETE")),
    ("client_facilities", ("INSERT", "UPDATE", "DELETE")),
    ("access_tokens", ("DELETE",)),
)
BUMP = "UPDATE cache_generations SET value = value + 1 WHERE name = 'clients'"


def upgrade() -> None:
    op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )
    op.execute("INSERT INTO cache_generations (name, value) VALUES ('clients', 0)")
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index(
        "ix_rate_limit_counters_expires_ms", "rate_limit_counters", ["expires_ms"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION dpi_bump_clients_generation() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, operations in WATCHED:
            # Per statement: one bump however many rows an operator command touches.
            op.execute(
                f"CREATE TRIGGER trg_{table}_generation AFTER {' OR '.join(operations)} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dpi_bump_clients_generation()"
            )
    else:
        for table, operations in WATCHED:
            for operation in operations:
                op.execute(
                    f"CREATE TRIGGER trg_{table}_{operation.lower()}_generation AFTER "
                    f"{operation} ON {table} BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _operations in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS dpi_bump_clients_generation()")
    else:
        for table, operations in WATCHED:
            for operation in operations:
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{operation.lower()}_generation")
    op.drop_index("ix_rate_limit_counters_expires_ms", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
    op.drop_table("cache_generations")
