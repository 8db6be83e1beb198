"""Migrations and the code's table metadata describe the same schema, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.tables import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str, *, migrate_first: int = 0) -> tuple[list[Any], set[str]]:
    engine = create_engine(url)
    try:
        for _ in range(migrate_first):
            await migrate(engine)
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_differences)
            names = await conn.run_sync(_table_names)
    finally:
        await engine.dispose()
    return diffs, names


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migrated_schema_matches_metadata(backend: str, request: pytest.FixtureRequest) -> None:
    """After `migrate()`, autogenerate finds nothing left to change."""
    url = str(request.getfixturevalue(f"{backend}_url"))

    diffs, tables = asyncio.run(_inspect(url))

    assert diffs == []
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    """Starting the server again on a migrated database changes nothing."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.sqlite3'}"

    diffs, tables = asyncio.run(_inspect(url, migrate_first=2))

    assert diffs == []
    assert "bookings" in tables


def test_database_refuses_a_second_active_copy(sqlite_url: str) -> None:
    """Beyond the app's lock, the schema itself keeps one active copy of a dictionary
    service per address; deleted copies do not count."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, update
    from sqlalchemy.exc import IntegrityError

    from dpi_server.adapters.db import tables as t

    async def run() -> tuple[bool, bool]:
        engine = create_engine(sqlite_url)
        now = datetime.now(UTC)
        row = {"name": "X", "created_at": now}
        try:
            async with engine.begin() as conn:
                facility = (
                    await conn.execute(insert(t.facilities).values(locale="pl", name="F"))
                ).inserted_primary_key[0]
                doctor = (
                    await conn.execute(insert(t.doctors).values(locale="pl", name="D", surname="S"))
                ).inserted_primary_key[0]
                address = (
                    await conn.execute(
                        insert(t.addresses).values(facility_id=facility, doctor_id=doctor)
                    )
                ).inserted_primary_key[0]
                service = (
                    await conn.execute(insert(t.services).values(locale="pl", name="S"))
                ).inserted_primary_key[0]
                first = (
                    await conn.execute(
                        insert(t.address_services).values(
                            address_id=address, service_id=service, **row
                        )
                    )
                ).inserted_primary_key[0]
            refused = False
            try:
                async with engine.begin() as conn:
                    await conn.execute(
                        insert(t.address_services).values(
                            address_id=address, service_id=service, **row
                        )
                    )
            except IntegrityError:
                refused = True
            async with engine.begin() as conn:
                await conn.execute(
                    update(t.address_services)
                    .where(t.address_services.c.id == first)
                    .values(deleted_at=now)
                )
                await conn.execute(
                    insert(t.address_services).values(address_id=address, service_id=service, **row)
                )
            return refused, True
        finally:
            await engine.dispose()

    refused, readded = asyncio.run(run())

    assert refused
    assert readded
