"""directory rows bump the cache generation

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-02 01:00:00

The hot path now also keeps directory rows in the process (services/cache.py): the objects a
path names (facility, doctor with its facilities, address) and the rendered facility list.
Changes to those rows bump the same 'clients' counter as clients, estates and tokens (0006),
in the changing transaction, so every other process drops its copies within its polling
interval. Directory changes are operator actions and address edits: rare next to reads, so
one shared counter (one read per half second) beats a second one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("facilities", "doctors", "doctor_facilities", "addresses")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE cache_generations SET value = value + 1 WHERE name = 'clients'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function of 0006 does exactly this bump.
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_generation AFTER {' OR '.join(OPERATIONS)} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dpi_bump_clients_generation()"
            )
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER trg_{table}_{operation.lower()}_generation AFTER "
                    f"{operation} ON {table} BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_generation ON {table}")
        else:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{operation.lower()}_generation")
