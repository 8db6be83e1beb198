"""Background work runs in one process at a time (services/leadership.py, adapters/leader.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.leader import FileLease, PostgresLease
from dpi_server.services.leadership import Lease, run_as_leader


@pytest.fixture(params=["file", pytest.param("postgres", marks=pytest.mark.postgres)])
def lease_kind(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "postgres":
        return request.param, str(request.getfixturevalue("postgres_url"))
    return request.param, None


@pytest.fixture
async def two_leases(
    lease_kind: tuple[str, str | None], tmp_path: Path
) -> AsyncIterator[tuple[Lease, Lease]]:
    """Two contenders for one lease, as two processes would hold them."""
    kind, url = lease_kind
    if kind == "file":
        path = tmp_path / "dpi.sqlite3.leader"
        yield FileLease(path), FileLease(path)
        return
    assert url is not None
    engine = create_engine(url)
    try:
        first, second = PostgresLease(engine, "test:lease"), PostgresLease(engine, "test:lease")
        yield first, second
        await first.release()
        await second.release()
    finally:
        await engine.dispose()


async def test_one_holder_at_a_time(two_leases: tuple[Lease, Lease]) -> None:
    first, second = two_leases
    assert await first.try_acquire() is True
    assert await second.try_acquire() is False
    assert await first.still_held() is True
    await first.release()
    assert await second.try_acquire() is True
    assert await first.try_acquire() is False


async def test_work_moves_to_the_next_process_when_the_leader_stops(
    two_leases: tuple[Lease, Lease],
) -> None:
    first, second = two_leases
    running: list[str] = []

    def worker(name: str) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            running.append(name)
            await asyncio.Event().wait()  # runs until cancelled

        return work

    one = asyncio.create_task(run_as_leader(first, worker("one"), retry_seconds=0.05))
    await asyncio.sleep(0.1)
    two = asyncio.create_task(run_as_leader(second, worker("two"), retry_seconds=0.05))
    await asyncio.sleep(0.2)
    assert running == ["one"]

    one.cancel()
    await asyncio.gather(one, return_exceptions=True)
    await asyncio.sleep(0.3)
    two.cancel()
    await asyncio.gather(two, return_exceptions=True)

    assert running == ["one", "two"]
