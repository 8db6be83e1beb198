"""The hot-path cache (services/cache.py) follows changes: at once in the process that made
them, within a second in every other process sharing the database (issue #8)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.bootstrap import Container, build
from dpi_server.config import Settings
from dpi_server.domain.directory import Facility
from dpi_server.domain.locales import LOCALES
from dpi_server.services.access import AddressRef
from dpi_server.services.cache import CALENDAR_ENTRIES, HotPathCache, NoSharedGeneration
from dpi_server.testing.estate import EstateBuilder
from dpi_server.testing.memory import InMemoryStore, memory_uow_factory
from tests.integration.test_serve import DPI, free_port, start, stop, wait_for_port

pytestmark = pytest.mark.slow

API = "/api/v3/integration"


def operator(settings: Settings, *args: str) -> float:
    """Run `dpi client ...` as its own process; returns the moment it finished."""
    result = subprocess.run(
        [*DPI, "client", *args, "--data-dir", str(settings.data_dir)]
        + (["--database-url", settings.database_url] if settings.database_url else []),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return time.monotonic()


@pytest.fixture
async def shared(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    """This test process's container on the database the operator's process also uses."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    container = build(settings)
    await container.migrate()
    yield container
    await container.close()


def cache_of(container: Container) -> HotPathCache:
    assert container.cache is not None
    return container.cache


async def poll_until(check: object, deadline_s: float) -> float:
    """Call the async `check` until it is true; returns the seconds it took."""
    begun = time.monotonic()
    while not await check():  # type: ignore[operator]
        assert time.monotonic() - begun < deadline_s, "the change never became visible"
    return time.monotonic() - begun


class TestEstateCache:
    async def test_local_change_is_seen_at_once(self, shared: Container) -> None:
        estate = await EstateBuilder(shared.services).build()
        cache = cache_of(shared)
        before = await cache.estate(estate.client_pk)
        await shared.services.clients.unassign_facility(estate.client_id, estate.facility_ids[0])
        after = await cache.estate(estate.client_pk)

        assert estate.facility_ids[0] in before.facility_ids
        assert estate.facility_ids[0] not in after.facility_ids

    async def test_change_by_another_process_is_seen_within_a_second(
        self, shared: Container
    ) -> None:
        estate = await EstateBuilder(shared.services).build()
        cache = cache_of(shared)
        removed = estate.facility_ids[0]
        assert removed in (await cache.estate(estate.client_pk)).facility_ids

        finished = operator(
            shared.settings, "assign-facility", estate.client_id, str(removed), "--remove"
        )

        async def gone() -> bool:
            return removed not in (await cache.estate(estate.client_pk)).facility_ids

        await poll_until(gone, 5)
        assert time.monotonic() - finished < 1.0


class TestDirectoryCache:
    """Directory rows (path objects, the rendered facility list) follow changes the same way;
    a second container on the same database stands for another process: its writes reach
    this container's cache only through the database (migration 0015's triggers)."""

    async def test_rename_by_another_process_is_seen_within_a_second(
        self, shared: Container
    ) -> None:
        estate = await EstateBuilder(shared.services).build()
        directory = shared.services.directory
        actor = (await shared.services.auth.authenticate(estate.token, LOCALES["pl"])).actor

        def names(found: list[Facility]) -> list[str]:
            return [f.name for f in found]

        assert "Elsewhere" not in await directory.facilities_answer(actor, names)
        other = build(shared.settings)
        try:
            uow = other.services.uow(write=True)
            assert isinstance(uow, SqlUnitOfWork)
            async with uow:
                await uow.connection.execute(
                    text("UPDATE facilities SET name = 'Elsewhere' WHERE id = :id"),
                    {"id": estate.facility_ids[0]},
                )
                await uow.commit()
        finally:
            await other.close()
        finished = time.monotonic()

        async def renamed() -> bool:
            return "Elsewhere" in await directory.facilities_answer(actor, names)

        await poll_until(renamed, 5)
        assert time.monotonic() - finished < 1.0

    async def test_address_change_by_another_process_reaches_the_scope(
        self, shared: Container
    ) -> None:
        estate = await EstateBuilder(shared.services).build()
        actor = (await shared.services.auth.authenticate(estate.token, LOCALES["pl"])).actor
        ref = AddressRef(estate.facility_ids[0], estate.doctor_ids[0], estate.address_ids[0])
        before = await shared.services.access.address(actor, ref)
        other = build(shared.settings)
        try:
            uow = other.services.uow(write=True)
            assert isinstance(uow, SqlUnitOfWork)
            async with uow:
                await uow.connection.execute(
                    text("UPDATE addresses SET is_enabled = :off WHERE id = :id"),
                    {"off": False, "id": ref.address_id},
                )
                await uow.commit()
        finally:
            await other.close()
        finished = time.monotonic()

        async def disabled() -> bool:
            return not (await shared.services.access.address(actor, ref)).address.is_enabled

        await poll_until(disabled, 5)
        assert before.address.is_enabled
        assert time.monotonic() - finished < 1.0


class TestPrincipalCache:
    def test_revoke_by_another_process_stops_tokens_within_a_second(self, tmp_path: Path) -> None:
        """A real server caches the principal; `dpi client revoke` (another process) ends it."""
        port = free_port()
        process = start(
            ["--data-dir", str(tmp_path), "--port", str(port), "--insecure-http"],
            {"DPI_HTTP_PORT": "0"},
        )
        try:
            wait_for_port(port, process)
            creds = json.loads((tmp_path / "demo-credentials.json").read_text())
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=10) as http:
                token = http.post(
                    "/oauth/v2/token",
                    auth=(creds["client_id"], creds["client_secret"]),
                    data={"grant_type": "client_credentials"},
                ).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                assert http.get(f"{API}/facilities", headers=headers).status_code == 200

                result = subprocess.run(
                    [*DPI, "client", "revoke", creds["client_id"], "--data-dir", str(tmp_path)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                finished = time.monotonic()
                assert result.returncode == 0, result.stderr
                while http.get(f"{API}/facilities", headers=headers).status_code == 200:
                    assert time.monotonic() - finished < 5, "the revoked token kept working"
                seen_after = time.monotonic() - finished
                status = http.get(f"{API}/facilities", headers=headers).status_code
        finally:
            stop(process)

        assert status == 401
        assert seen_after < 1.0


class TestCalendarAnswers:
    async def test_answers_expire_and_stay_few(self) -> None:
        """Calendar answers live `max_age_seconds`, and ever-new keys do not pile up."""
        clock = [0.0]
        cache = HotPathCache(
            memory_uow_factory(InMemoryStore()), NoSharedGeneration(), monotonic=lambda: clock[0]
        )
        loads = 0

        async def load() -> int:
            nonlocal loads
            loads += 1
            return loads

        first = await cache.calendar_memo("a", load)
        again = await cache.calendar_memo("a", load)
        clock[0] = 0.6
        expired = await cache.calendar_memo("a", load)
        for n in range(CALENDAR_ENTRIES * 3):
            await cache.calendar_memo(("window", n), load)
        cache.invalidate_calendar()
        dropped = await cache.calendar_memo("a", load)

        assert (first, again, expired) == (1, 1, 2)
        assert len(cache._calendar) <= CALENDAR_ENTRIES
        assert dropped == loads

    async def test_concurrent_misses_load_once_unless_invalidated(self) -> None:
        cache = HotPathCache(memory_uow_factory(InMemoryStore()), NoSharedGeneration())
        loads = 0
        gate = asyncio.Event()

        async def load() -> int:
            nonlocal loads
            loads += 1
            mine = loads
            await gate.wait()
            return mine

        first = asyncio.create_task(cache.calendar_memo("k", load))
        await asyncio.sleep(0)
        joined = asyncio.create_task(cache.calendar_memo("k", load))
        await asyncio.sleep(0)
        cache.invalidate_calendar()  # a change committed while the first load ran
        after_change = asyncio.create_task(cache.calendar_memo("k", load))
        await asyncio.sleep(0)
        gate.set()

        assert await first == 1
        assert await joined == 1
        assert await after_change == 2
        assert loads == 2
