"""The in-memory twin of the notification repository: delivery settings and real-time slot
holds only.

The in-memory unit of work records events (`InMemoryStore.events`) but fans nothing out, so
there are no copies here to pull, claim or purge: those queries answer "nothing". Delivery
itself is tested against SQLite and PostgreSQL (tests/api/test_notification_*.py), where the
claims' locking is what matters. Settings and holds are kept per store, outside the
copy-on-write tables, so they are not rolled back with a failed unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from weakref import WeakKeyDictionary

from dpi_server.domain.notifications import DeliverySettings
from dpi_server.services.notification_ports import (
    AttemptOutcome,
    AttemptRecord,
    ClaimedCopy,
    CopyRecord,
    PulledCopy,
)
from dpi_server.testing.memory_state import InMemoryStore


class _State:
    def __init__(self) -> None:
        self.settings: dict[int, DeliverySettings] = {}
        self.holds: dict[str, tuple[int, datetime, datetime, datetime]] = {}


_STATES: WeakKeyDictionary[InMemoryStore, _State] = WeakKeyDictionary()


def settings_of(store: InMemoryStore) -> dict[int, DeliverySettings]:
    """The store's delivery settings, by client key (the snapshot twin copies them)."""
    return _STATES.setdefault(store, _State()).settings


class MemoryNotificationRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._state = _STATES.setdefault(store, _State())

    async def settings(self, client_pk: int) -> DeliverySettings:
        return self._state.settings.get(client_pk, DeliverySettings(client_pk))

    async def save_settings(self, settings: DeliverySettings) -> None:
        self._state.settings[settings.client_pk] = settings

    async def pull(self, client_pk: int, limit: int, now: datetime) -> list[PulledCopy]:
        return []

    async def queued_count(self, client_pk: int, now: datetime) -> int:
        return 0

    async def release_buried(self, client_pk: int, now: datetime) -> int:
        current = await self.settings(client_pk)
        self._state.settings[client_pk] = replace(current, last_release_at=now)
        return 0

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, claim: str
    ) -> list[ClaimedCopy]:
        return []

    async def next_due(self) -> datetime | None:
        return None

    async def record_outcomes(self, claim: str, outcomes: Sequence[AttemptOutcome]) -> None:
        return None

    async def expire_and_purge(self, expired_before: datetime, purge_before: datetime) -> int:
        return 0

    async def claim_health_checks(self, now: datetime, next_at: datetime) -> list[DeliverySettings]:
        return []

    async def realtime_clients(self, facility_id: int) -> list[DeliverySettings]:
        # Real-time gates need a client's estate; the twin leaves them to the SQL tests.
        return []

    async def drop_copies_of_facility(self, client_pk: int, facility_id: int) -> int:
        return 0

    async def list_copies(
        self, client_pk: int | None, state: str | None, limit: int
    ) -> list[CopyRecord]:
        return []

    async def copy(self, delivery_id: int) -> tuple[CopyRecord, str, list[AttemptRecord]] | None:
        return None

    async def retry_copy(self, delivery_id: int, now: datetime) -> bool:
        return False

    async def add_hold(
        self, token: str, address_id: int, start: datetime, end: datetime, expires_at: datetime
    ) -> None:
        self._state.holds[token] = (address_id, start, end, expires_at)

    async def release_hold(self, token: str) -> None:
        self._state.holds.pop(token, None)

    async def purge_holds(self, now: datetime) -> int:
        expired = [k for k, (_, _, _, until) in self._state.holds.items() if until <= now]
        for token in expired:
            del self._state.holds[token]
        return len(expired)
