"""Run Alembic migrations programmatically against an async engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# pg_advisory_xact_lock key of the migration step (any constant of our own).
_MIGRATION_LOCK = 0x64706900


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is already there.

    Safe when several processes start at once (hosts of one deployment): the first takes a
    lock for its whole migration transaction (PostgreSQL's DDL is transactional; SQLite's
    write lock by BEGIN IMMEDIATE), and the others then find the schema at head.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            await conn.run_sync(_upgrade, revision)
