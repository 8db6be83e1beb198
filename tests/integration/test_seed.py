"""The demo seed goes through the operator's and the API's use cases (issue: seeding through
the core commands), so it leaves the same rows and events any other caller would."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables
from dpi_server.bootstrap import build
from dpi_server.config import Settings
from dpi_server.sandbox.seed import is_empty, seed_demo_estate
from dpi_server.testing.clock import FakeClock


async def _count(conn: AsyncConnection, table: sa.Table) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


class TestDemoSeed:
    async def test_seeds_the_documented_estate_with_its_events(self, tmp_path: Path) -> None:
        """2 facilities, 7 doctors, 11 addresses (2 online-only), services on every address,
        insurance where it is supported, one client; one address-service-created event per
        address service, raised by the operator (README "Quick start")."""
        container = build(Settings(data_dir=tmp_path, insecure_http=True), clock=FakeClock())
        try:
            await container.migrate()
            assert await is_empty(container.services)

            estate = await seed_demo_estate(container.services)

            assert not await is_empty(container.services)
            async with container.engine.connect() as conn:
                counts = {
                    t.name: await _count(conn, t)
                    for t in (
                        tables.facilities,
                        tables.doctors,
                        tables.addresses,
                        tables.address_services,
                        tables.address_insurance_providers,
                        tables.api_clients,
                    )
                }
                online = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(tables.addresses)
                    .where(tables.addresses.c.is_online_only)
                )
                events = (
                    await conn.execute(
                        sa.select(tables.domain_events.c.name, tables.domain_events.c.payload)
                    )
                ).all()
        finally:
            await container.close()

        assert len(estate.address_ids) == 11
        assert counts["facilities"] == 2
        assert counts["doctors"] == 7
        assert counts["addresses"] == 11
        assert online == 2
        assert counts["address_services"] >= 11
        assert counts["address_insurance_providers"] >= 1
        assert counts["api_clients"] == 1
        assert [name for name, _ in events] == ["address-service-created"] * counts[
            "address_services"
        ]
        assert all('"kind": "operator"' in payload for _, payload in events)
