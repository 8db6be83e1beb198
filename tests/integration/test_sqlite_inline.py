"""The inline SQLite path (adapters/db/sqlite_inline.py): a writer waiting for the database
write lock never blocks the event loop, and statement counting sees every statement."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx

from dpi_server.adapters.db.calendar_repositories import SqlCalendarRepository
from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.domain.calendar import WorkPeriod
from dpi_server.testing.estate import EstateBuilder


async def test_a_writer_waits_for_another_process_lock_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dpi.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    inline = InlineSqlite(url)
    other = sqlite3.connect(tmp_path / "dpi.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        ticks = 0

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def write() -> int:
            async with SqlUnitOfWork(engine, write=True, inline=inline) as uow:
                facility = await uow.estate_writer.add_facility("pl", "Waited")
                await uow.commit()
            return facility

        beating = asyncio.create_task(heartbeat())
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()  # still waiting for the lock ...
        assert ticks >= 10  # ... while the loop kept running
        other.execute("ROLLBACK")
        facility = await asyncio.wait_for(writer, 5)
        beating.cancel()

        async with SqlUnitOfWork(engine, inline=inline) as uow:
            found = await uow.directory.get_facility(facility)
        assert found is not None
        assert found.name == "Waited"
    finally:
        other.close()
        inline.dispose()
        await engine.dispose()


async def test_writers_of_one_process_queue_and_all_commit(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dpi.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    inline = InlineSqlite(url)
    try:

        async def write(n: int) -> None:
            async with SqlUnitOfWork(engine, write=True, inline=inline) as uow:
                await uow.estate_writer.add_facility("pl", f"F{n}")
                await asyncio.sleep(0)  # a suspended writer keeps the lock; others wait
                await uow.commit()

        await asyncio.gather(*(write(n) for n in range(20)))
        async with SqlUnitOfWork(engine, inline=inline) as uow:
            assert await uow.estate_writer.count_facilities() == 20
    finally:
        inline.dispose()
        await engine.dispose()


async def test_statement_headers_only_when_counting_is_on(tmp_path: Path) -> None:
    for enabled in (True, False):
        settings = Settings(
            data_dir=tmp_path / str(enabled), insecure_http=True, count_statements=enabled
        )
        container = build(settings)
        await container.migrate()
        try:
            estate = await EstateBuilder(container.services).build()
            transport = httpx.ASGITransport(app=build_app(container))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.get("/api/v3/integration/facilities", headers=estate.headers)
        finally:
            await container.close()
        assert response.status_code == 200
        if enabled:
            # At least the estate and the facilities; the token may be cached or not.
            assert int(response.headers["x-dpi-statements"]) >= 1
            assert int(response.headers["x-dpi-transactions"]) >= 1
        else:
            assert "x-dpi-statements" not in response.headers


async def test_reads_of_many_periods_leave_the_loop(tmp_path: Path) -> None:
    """A quarter of periods is fetched and converted in a worker thread; a day's on the loop."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dpi.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    inline = InlineSqlite(url)
    seen: list[int] = []
    convert = SqlCalendarRepository._period

    def spy(row: Any) -> WorkPeriod:
        seen.append(threading.get_ident())
        return convert(row)

    try:
        async with SqlUnitOfWork(engine, write=True, inline=inline) as uow:
            facility = await uow.estate_writer.add_facility("pl", "F")
            doctor = await uow.estate_writer.add_doctor(
                "pl",
                "A",
                "B",
                is_commercial=True,
                profile_url=None,
                specialization_ids=[],
                license_numbers=[],
            )
            await uow.estate_writer.connect_doctor(doctor, facility)
            address = await uow.estate_writer.add_address(facility, doctor)
            start = datetime(2026, 1, 5, 8, tzinfo=UTC)
            days = [(start + timedelta(days=n)).date() for n in range(30)]
            await uow.calendar.replace_days(
                address,
                days,
                [
                    (day, WorkPeriod(at, at + timedelta(hours=1), ()))
                    for day, at in ((d, start + timedelta(days=n)) for n, d in enumerate(days))
                ],
            )
            await uow.commit()
        loop_thread = threading.get_ident()
        with patch.object(SqlCalendarRepository, "_period", staticmethod(spy)):
            async with SqlUnitOfWork(engine, inline=inline) as uow:
                day = await uow.calendar.periods_between(address, start, start + timedelta(days=1))
                threads_day = set(seen)
                seen.clear()
                month = await uow.calendar.periods_between(
                    address, start, start + timedelta(days=30)
                )
                threads_month = set(seen)

        assert len(day) == 1
        assert len(month) == 30
        assert threads_day == {loop_thread}
        assert loop_thread not in threads_month
    finally:
        inline.dispose()
        await engine.dispose()
