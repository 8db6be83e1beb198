"""The storage the clock and the auto-cancel rely on, alike on memory, SQLite and PostgreSQL:
the unpaid-visit scan and the shared clock's row (compare-and-set by version)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from dpi_server.adapters.db.clock_store import SqlClockStore
from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.domain.clock import FROZEN, OFFSET, ClockState
from dpi_server.services.shared_clock import ClockStore
from dpi_server.testing.memory_clock import MemoryClockStore
from tests.integration.test_repository_contract import (
    Backend,
    backend,
    backend_url,
    new_booking,
    seed,
)

__all__ = ["backend", "backend_url"]
# Far before any other test's visits, which share the session's database.
LONG_AGO = datetime(2001, 2, 3, 10, 0, tzinfo=UTC)


async def test_the_scan_finds_unpaid_visits_paid_online_at_payment_addresses(
    backend: Backend,
) -> None:
    s = await seed(backend)
    start = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    async with backend.uow(write=True) as uow:
        paying = await uow.estate_writer.add_address(
            s.facility_id, s.doctor_id, name="Pays online", visit_payment=True
        )
        ids = {}
        for minute, name, status, address in (
            (0, "unpaid", None, paying),
            (1, "not-paid", "not-paid", paying),
            (2, "paid", "paid", paying),
            (3, "waiting", "waiting_for_confirmation", paying),
            (4, "no-online-payment-address", None, s.address_id),
        ):
            added = await uow.bookings.add(
                new_booking(
                    s,
                    start + timedelta(hours=minute),
                    address_id=address,
                    booked_at=LONG_AGO + timedelta(minutes=minute),
                    visit_payment=True,
                    visit_payment_status=status,
                )
            )
            ids[name] = added.id
        canceled = await uow.bookings.add(
            new_booking(s, start + timedelta(hours=6), address_id=paying, booked_at=LONG_AGO)
        )
        await uow.bookings.save(canceled.cancel("user", LONG_AGO))
        not_online = await uow.bookings.add(
            new_booking(s, start + timedelta(hours=7), address_id=paying, booked_at=LONG_AGO)
        )
        await uow.commit()

    async with backend.uow() as uow:
        found = await uow.bookings.unpaid_booked_before(LONG_AGO + timedelta(minutes=1), 100)
        oldest = await uow.bookings.oldest_unpaid_booked_at()
        before_all = await uow.bookings.unpaid_booked_before(LONG_AGO - timedelta(seconds=1), 100)
        first_only = await uow.bookings.unpaid_booked_before(LONG_AGO + timedelta(days=1), 1)

    mine = [b.id for b in found if b.address_id == paying]
    assert mine == [ids["unpaid"], ids["not-paid"]]
    assert canceled.id not in mine
    assert not_online.id not in mine
    assert oldest is not None
    assert oldest <= LONG_AGO
    assert [b for b in before_all if b.address_id == paying] == []
    assert len(first_only) == 1


@pytest.fixture
async def clock_store(backend_url: tuple[str, str | None]) -> AsyncIterator[ClockStore]:
    kind, url = backend_url
    if url is None:
        yield MemoryClockStore()
        return
    engine = create_engine(url)
    inline = InlineSqlite(url) if kind == "sqlite" else None
    store = SqlClockStore(engine, inline)
    try:
        yield store
    finally:
        # The session's database outlives the test: put the clock back on real time.
        await store.save(ClockState(version=(await store.load()).version))
        if inline is not None:
            inline.dispose()
        await engine.dispose()


async def test_the_clock_row_is_compare_and_set(clock_store: ClockStore) -> None:
    current = await clock_store.load()
    frozen = ClockState(FROZEN, LONG_AGO, timedelta(0), current.version)

    saved = await clock_store.save(frozen)
    stale = await clock_store.save(ClockState(OFFSET, None, timedelta(hours=1), current.version))
    loaded = await clock_store.load()
    ahead = ClockState(OFFSET, None, timedelta(days=1, microseconds=7), loaded.version)
    saved_again = await clock_store.save(ahead)

    assert saved
    assert not stale
    assert loaded == ClockState(FROZEN, LONG_AGO, timedelta(0), current.version + 1)
    assert saved_again
    assert await clock_store.load() == ClockState(
        OFFSET, None, timedelta(days=1, microseconds=7), current.version + 2
    )
