"""The sandbox clock every process of a deployment shares (ARCHITECTURE.md "Time").

Its state (`domain/clock.py`: real, frozen at an instant, or real time plus an offset) lives
in the database, so `dpi serve --workers N`, `dpi worker` and the CLI all tell the same time.
`now()` is called everywhere and must stay synchronous and free, so it answers from the state
this process last read: a change made here is seen at once; one made elsewhere once `refresh()`
re-reads the row, which it does at most every `max_age_seconds` (0.5 s, well inside the
promised second). The API calls `refresh()` before each request (one primary-key read per half
second per process, not a statement per request) and the scheduler before each run.

The wall clock underneath is injected too: production passes the system clock, tests their
`FakeClock`, so a test that moves its fake clock moves this one while it runs in `real` mode.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from dpi_server.domain.clock import ClockState
from dpi_server.services.ports import Clock, StorageConflict
from dpi_server.services.transactions import retrying


class ClockStore(Protocol):
    """Where the shared state is kept (one row)."""

    async def load(self) -> ClockState: ...

    async def save(self, state: ClockState) -> bool:
        """Store `state` as version `state.version + 1` if the stored version is still
        `state.version`; False (nothing written) if another change came first."""
        ...


@dataclass(frozen=True, slots=True)
class ClockReading:
    now: datetime
    mode: str
    offset: timedelta
    frozen_at: datetime | None
    version: int


class SharedClock:
    def __init__(
        self,
        wall: Clock,
        store: ClockStore,
        *,
        max_age_seconds: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._store = store
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._state = ClockState()
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    def now(self) -> datetime:
        return self._state.now(self._wall.now())

    def reading(self) -> ClockReading:
        s = self._state
        return ClockReading(self.now(), s.mode, s.offset, s.frozen_at, s.version)

    async def refresh(self, *, force: bool = False) -> None:
        """Re-read the shared state if the last read is older than `max_age_seconds`."""
        if not force and self._monotonic() - self._read_at < self._max_age:
            return
        async with self._lock:  # one read per process at a time; the others reuse it
            if not force and self._monotonic() - self._read_at < self._max_age:
                return
            started = self._monotonic()
            self._state = await self._store.load()
            self._read_at = started

    async def change(self, to: Callable[[ClockState, datetime], ClockState]) -> ClockReading:
        """Apply `to(state, wall time)` to the freshest state, stored only if nobody changed
        it meanwhile (else read again and retry). `to` may raise a `DomainError`."""

        async def attempt() -> ClockReading:
            await self.refresh(force=True)
            current = self._state
            wanted = to(current, self._wall.now())
            if wanted == current:
                return self.reading()
            if not await self._store.save(wanted):
                raise StorageConflict("the sandbox clock changed meanwhile")
            self._state = ClockState(
                wanted.mode, wanted.frozen_at, wanted.offset, wanted.version + 1
            )
            return self.reading()

        return await retrying(attempt)
