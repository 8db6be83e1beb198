"""`POST /_sandbox/reset` puts every table back as the seed left it (issue #10 item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.snapshot import snapshot_tables
from dpi_server.domain.actors import OperatorActor
from dpi_server.services.reset import NoSnapshot
from tests.api.notification_support import Marketplace, doctor_break, other_client, pull_with
from tests.api.support import failure
from tests.conftest import Api
from tests.sandbox import isolated
from tests.sandbox.cli_support import run_cli_async
from tests.sandbox.isolated import ok

# Fixtures of a database of the test's own.
backend, fresh, unseeded = isolated.backend, isolated.fresh, isolated.unseeded

TOKEN = "operator-token-of-the-reset-tests-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
# The generation counter moves on every change by design (services/cache.py); it is the one
# table whose rows a reset must not put back.
MOVING = {"cache_generations"}


async def dump(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    dumped: dict[str, list[tuple[Any, ...]]] = {}
    async with api.container.engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            if table.name in MOVING:
                continue
            rows = (await conn.execute(select(table))).all()
            dumped[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return dumped


async def make_changes(api: Api) -> None:
    """Bookings, notifications (pulled and queued), breaks, clients and an estate."""
    estate = await api.estate()
    market = Marketplace(api, estate)
    other = await other_client(api, estate.facility_ids)
    await market.open_tuesday()
    booking = await market.book("09:00")
    await market.book("10:00")
    await doctor_break(api, estate)
    assert await pull_with(api, other.headers)
    await market.move(booking.booking.id, "11:00")
    created = ok(
        await api.http.post(
            "/_sandbox/clients",
            json={"name": "Extra", "facilities": [{"facility_id": estate.facility_ids[0]}]},
            headers=HEADERS,
        ),
        201,
    )
    assert created["client_secret"]


class TestReset:
    async def test_every_table_is_back_to_the_seeded_rows(self, fresh: Api) -> None:
        """After bookings, notifications, clients and breaks, reset restores every row of
        every table, on SQLite and PostgreSQL."""
        await fresh.container.services.operator_auth.install(TOKEN)
        seeded = await dump(fresh)
        await make_changes(fresh)
        changed = await dump(fresh)
        assert changed["bookings"]
        assert changed["notification_deliveries"]
        assert changed != seeded

        body = ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        assert await dump(fresh) == seeded
        assert body["hooks"] == [
            "hot-path cache",
            "rate-limit counters",
            "replaceSlots in-flight markers",
            "clock back to real time",
            "faults off",
            "request journal",
        ]
        assert set(seeded) >= {x.name for x in snapshot_tables()}

    async def test_reset_sends_a_travelled_clock_back_to_real_time(self, fresh: Api) -> None:
        await fresh.container.services.operator_auth.install(TOKEN)
        frozen = ok(await fresh.http.post("/_sandbox/clock/freeze", headers=HEADERS))
        assert frozen["mode"] == "frozen"

        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        clock = ok(await fresh.http.get("/_sandbox/clock", headers=HEADERS))
        assert clock["mode"] == "real"

    async def test_big_tables_are_truncated_alike(
        self, fresh: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL truncates big tables instead of deleting from them: same outcome (with
        a threshold below zero every table counts as big; SQLite always deletes)."""
        from dpi_server.adapters.db import snapshot

        monkeypatch.setattr(snapshot, "TRUNCATE_ABOVE_ROWS", -1)
        await fresh.container.services.operator_auth.install(TOKEN)
        seeded = await dump(fresh)
        generation = await self._generation(fresh)
        await make_changes(fresh)

        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        assert await dump(fresh) == seeded
        assert await self._generation(fresh) > generation

    async def _generation(self, api: Api) -> int:
        async with api.container.engine.connect() as conn:
            value = await conn.scalar(select(t.cache_generations.c.value))
        return int(value)

    async def test_ids_continue_from_the_seeded_ones(self, fresh: Api) -> None:
        """Id counters (sequences, SQLite's AUTOINCREMENT) are put back too: the first rows
        after a reset get the ids the first rows after the seed got."""
        await fresh.container.services.operator_auth.install(TOKEN)
        first = await self._new_rows(fresh)
        await make_changes(fresh)
        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        again = await self._new_rows(fresh)

        assert again == first

    async def _new_rows(self, api: Api) -> tuple[int, int, list[int]]:
        estate = await api.estate()
        break_id = await doctor_break(api, estate)
        return estate.facility_ids[0], break_id, estate.address_service_ids

    async def test_the_operator_token_and_demo_secret_survive(self, fresh: Api) -> None:
        """The operator keeps the console; the demo client keeps its credentials (its tokens
        are gone, as none existed when the seed ran)."""
        await fresh.container.services.operator_auth.install(TOKEN)
        estate = await fresh.estate()
        assert await fresh.http.get("/api/v3/integration/facilities", headers=estate.headers)

        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        ok(await fresh.http.get("/_sandbox/status", headers=HEADERS))
        response = await fresh.http.get("/api/v3/integration/facilities", headers=estate.headers)
        assert response.status_code == 401

    async def test_rate_limit_counters_start_again(self, fresh: Api) -> None:
        """The limiter's windows are forgotten: the next request counts as the first."""
        await fresh.container.services.operator_auth.install(TOKEN)
        limiter = fresh.container.services.rate_limiter
        estate = await fresh.estate(rate_limited=True)
        for _ in range(3):
            response = await fresh.http.get(
                "/api/v3/integration/facilities", headers=estate.headers
            )
        assert response.headers["X-RateLimit-Used"] == "3"
        await fresh.container.services.clients.create("kept", "pl")

        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

        key_used = await limiter._store.acquire(
            f"client:{estate.client_pk}:read:3600", 10, 3600, fresh.clock.now()
        )
        assert key_used[1] == 1

    async def test_refused_while_a_production_client_is_active(self, fresh: Api) -> None:
        """409 with a clear message, and nothing changed; revoking it lifts the refusal."""
        await fresh.container.services.operator_auth.install(TOKEN)
        created = ok(
            await fresh.http.post(
                "/_sandbox/clients",
                json={"name": "Live", "environment": "production"},
                headers=HEADERS,
            ),
            201,
        )
        before = await dump(fresh)

        body = failure(await fresh.http.post("/_sandbox/reset", headers=HEADERS), 409)

        assert "production" in body["message"]
        assert await dump(fresh) == before
        ok(await fresh.http.delete(f"/_sandbox/clients/{created['client_id']}", headers=HEADERS))
        ok(await fresh.http.post("/_sandbox/reset", headers=HEADERS))

    async def test_a_restore_the_database_refuses_changes_nothing(self, fresh: Api) -> None:
        """One transaction: when a copied row no longer fits its table (here a NOT NULL
        name made NULL in the copy), the reset answers 503 and every table stays as it was."""
        from sqlalchemy import text

        await fresh.container.services.operator_auth.install(TOKEN)
        await make_changes(fresh)
        before = await dump(fresh)
        async with fresh.container.engine.begin() as conn:
            await conn.execute(text("UPDATE dpi_snapshot_facilities SET name = NULL"))

        body = failure(await fresh.http.post("/_sandbox/reset", headers=HEADERS), 503)

        assert body["message"] == "Service temporarily unavailable, try again"
        assert await dump(fresh) == before

    async def test_without_a_snapshot_it_is_409(self, unseeded: Api) -> None:
        """A server started with --no-seed (or an older data dir) has nothing to go back to;
        `snapshot` makes one."""
        await unseeded.container.services.operator_auth.install(TOKEN)

        body = failure(await unseeded.http.post("/_sandbox/reset", headers=HEADERS), 409)

        assert "snapshot" in body["message"]
        taken = ok(await unseeded.http.post("/_sandbox/snapshot", headers=HEADERS))
        assert taken["tables"] == len(snapshot_tables())
        ok(await unseeded.http.post("/_sandbox/reset", headers=HEADERS))

    async def test_cli_reset_goes_over_http(self, fresh: Api) -> None:
        """`dpi sandbox reset` calls the endpoint and prints what it did."""
        await fresh.container.services.operator_auth.install(TOKEN)
        await fresh.container.services.clients.create("gone after reset", "pl")
        app = fresh.http._transport.app  # type: ignore[attr-defined]

        result = await run_cli_async(app, TOKEN, "sandbox", "reset")

        assert result.exit_code == 0, result.output
        assert "reset to the snapshot" in result.output
        names = [c.name for c, _ in await fresh.container.services.clients.list()]
        assert "gone after reset" not in names
        taken = await run_cli_async(app, TOKEN, "sandbox", "snapshot")
        assert taken.exit_code == 0, taken.output
        assert f"snapshot of {len(snapshot_tables())} tables taken at" in taken.output


@pytest.mark.parametrize("hook_fails", [False, True])
async def test_reset_hooks_run_in_order(fresh: Api, hook_fails: bool) -> None:
    """Registered hooks run after the restore, in order; a failing one does not stop the
    others and its error is raised afterwards."""
    reset = fresh.container.services.reset
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        if hook_fails:
            raise RuntimeError("boom")

    async def second() -> None:
        ran.append("second")

    reset.on_reset("test first", first)
    reset.on_reset("test second", second)

    if hook_fails:
        with pytest.raises(RuntimeError, match="boom"):
            await reset.reset(OperatorActor())
    else:
        done = await reset.reset(OperatorActor())
        assert done.hooks[-2:] == ("test first", "test second")
    assert ran == ["first", "second"]
    with pytest.raises(ValueError, match="already registered"):
        reset.on_reset("test first", first)


async def test_the_in_memory_twin_resets_too() -> None:
    """The shipped in-memory unit of work snapshots and restores its tables as SQL does."""
    from dpi_server.bootstrap import build
    from dpi_server.config import Settings
    from dpi_server.sandbox.seed import seed_demo_estate
    from dpi_server.testing.clock import FakeClock
    from dpi_server.testing.memory import InMemoryStore, memory_uow_factory

    store = InMemoryStore()
    container = build(Settings(), clock=FakeClock(), uow_factory=memory_uow_factory(store))
    services = container.services
    try:
        with pytest.raises(NoSnapshot):
            await services.reset.reset(OperatorActor())
        await seed_demo_estate(services)
        await services.reset.snapshot(OperatorActor())
        seeded = store.tables
        await services.clients.create("after the seed", "pl")
        assert store.tables.clients != seeded.clients

        await services.reset.reset(OperatorActor())

        assert store.tables == seeded
    finally:
        await container.close()
