"""The in-memory unit of work: every storage port of `services/repositories.py`, no database.

It behaves as `adapters/db/uow.py` does on SQLite, so use cases can be tested without I/O
(STYLE.md guideline 3):

- a unit reads the data committed when it was entered; its own changes are visible to it at
  once and to everyone else only after `commit()`; leaving without `commit()` drops them;
- units opened with `write=True` run one at a time (one `asyncio.Lock` per store), as SQLite's
  `BEGIN IMMEDIATE` makes them; a unit opened without it that changed something fails its
  commit with `StorageConflict` when a writer is in the way or committed since it began (the
  "database is locked" that SQLite answers), and the use case runs it again;
- events collected with `collect()` are appended to `store.events` by `commit()`, after
  passing through the same serializer as the SQL outbox; a rollback stores none;
- a unit commits once: what it does after `commit()` is dropped when it ends, and a second
  `commit()` fails, as SQLAlchemy's inactive transaction does;
- constraint violations end as they do behind `adapters/db/errors.py`.

    store = InMemoryStore()
    services = build(settings, clock=FakeClock(), uow_factory=memory_uow_factory(store)).services
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from dpi_server.domain.event_codec import encode_event
from dpi_server.domain.events import Event
from dpi_server.domain.notification_payloads import Directory
from dpi_server.services.ports import StorageConflict
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory
from dpi_server.testing.memory_calendar import MemoryBookingRepository, MemoryCalendarRepository
from dpi_server.testing.memory_clients import (
    MemoryClientRepository,
    MemoryEstateWriter,
    MemoryTokenRepository,
)
from dpi_server.testing.memory_directory import (
    MemoryAddressServiceRepository,
    MemoryDirectoryRepository,
    MemoryInsuranceRepository,
)
from dpi_server.testing.memory_notifications import MemoryNotificationRepository
from dpi_server.testing.memory_sandbox import MemorySandboxRepository
from dpi_server.testing.memory_snapshot import MemorySnapshotRepository
from dpi_server.testing.memory_state import InMemoryStore, Tables, Transaction

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "Tables", "memory_uow_factory"]


class InMemoryUnitOfWork:
    """One transaction over an `InMemoryStore`; `committed` tells whether `commit()` ran."""

    def __init__(self, store: InMemoryStore, *, write: bool = False) -> None:
        self.store = store
        self.write = write
        self.committed = False
        self._tx = Transaction(store)
        self._entered = False
        self._tx_committed = False
        self._events: list[Event] = []
        self.clients = MemoryClientRepository(self._tx)
        self.tokens = MemoryTokenRepository(self._tx)
        self.directory = MemoryDirectoryRepository(self._tx)
        self.address_services = MemoryAddressServiceRepository(self._tx)
        self.insurance = MemoryInsuranceRepository(self._tx)
        self.estate_writer = MemoryEstateWriter(self._tx)
        self.calendar = MemoryCalendarRepository(self._tx)
        self.bookings = MemoryBookingRepository(self._tx)
        self.notifications = MemoryNotificationRepository(store)
        self.sandbox = MemorySandboxRepository(store)
        self.snapshots = MemorySnapshotRepository(self._tx, store)

    async def __aenter__(self) -> Self:
        assert not self._entered, "unit of work already entered"
        if self.write:
            await self.store.write_lock.acquire()
        self._entered = True
        self._tx_committed = False
        self._tx.begin()
        # A database's BEGIN is a round trip: let other tasks run here, so concurrent use
        # cases interleave as they would against SQL (and the writer lock is what orders them).
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tx.end()
        self._events.clear()
        self._entered = False
        if self.write:
            self.store.write_lock.release()

    def collect(self, events: Iterable[Event], known: Directory | None = None) -> None:
        self._events.extend(events)  # the in-memory twin renders no notifications

    async def commit(self) -> None:
        assert self._entered, "unit of work not entered"
        if self._tx_committed:
            # SQLAlchemy: "This transaction is inactive"; what follows a commit is dropped.
            raise RuntimeError("this unit of work has already committed")
        for event in self._events:
            encode_event(event)  # refuses what the outbox could not store
        store, tx = self.store, self._tx
        if tx.work is not None or self._events:
            if not self.write and (store.tables is not tx.base or store.write_lock.locked()):
                raise StorageConflict("database is locked")
            if tx.work is not None:
                store.tables = tx.work
            store.events.extend(self._events)
            store.commits += 1
        self._events.clear()
        tx.release_holds()
        tx.begin()
        self._tx_committed = True
        self.committed = True


def memory_uow_factory(store: InMemoryStore) -> UnitOfWorkFactory:
    """A unit-of-work factory over `store`, for `bootstrap.build(..., uow_factory=...)`."""

    def make(*, write: bool = False) -> UnitOfWork:
        return InMemoryUnitOfWork(store, write=write)

    return make
