"""The in-memory twin of the snapshot repository: the committed tables, outbox and delivery
settings as they were, kept per store."""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from datetime import datetime
from weakref import WeakKeyDictionary

from dpi_server.domain.events import Event
from dpi_server.domain.notifications import DeliverySettings
from dpi_server.testing.memory_notifications import settings_of
from dpi_server.testing.memory_state import InMemoryStore, Tables, Transaction


@dataclass(frozen=True, slots=True)
class _Snapshot:
    at: datetime
    tables: Tables
    events: tuple[Event, ...]
    settings: dict[int, DeliverySettings]


_SNAPSHOTS: WeakKeyDictionary[InMemoryStore, _Snapshot] = WeakKeyDictionary()


class MemorySnapshotRepository:
    def __init__(self, tx: Transaction, store: InMemoryStore) -> None:
        self._tx = tx
        self._store = store

    async def take(self, at: datetime) -> int:
        tables = self._tx.tables.copy()
        settings = dict(settings_of(self._store))
        _SNAPSHOTS[self._store] = _Snapshot(at, tables, tuple(self._store.events), settings)
        return len(fields(tables))

    async def taken_at(self) -> datetime | None:
        found = _SNAPSHOTS.get(self._store)
        return None if found is None else found.at

    async def restore(self) -> bool:
        found = _SNAPSHOTS.get(self._store)
        if found is None:
            return False
        # The tables come back with this transaction's commit; the outbox and the delivery
        # settings live outside the copy-on-write tables and come back at once.
        self._tx.writable()
        self._tx.work = found.tables.copy()
        self._store.events[:] = list(found.events)
        live = settings_of(self._store)
        live.clear()
        live.update(copy.copy(found.settings))
        return True
