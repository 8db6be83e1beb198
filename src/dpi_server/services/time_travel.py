"""The sandbox's clock controls (`/_sandbox/clock`, `dpi sandbox clock`): show, freeze, set,
advance, back to real time. Moving forward runs everything that became due on the way, in
order, before answering (services/scheduler.py `travel_to`).

Time never moves backwards by `set` or `advance` (tokens, retries and copies assume it only
moves forward): a `set` to the past is refused. `real` is the one way back, taken on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dpi_server.domain import errors
from dpi_server.domain.clock import FROZEN, ClockState, check_advance
from dpi_server.services.clients import ClientAdminService
from dpi_server.services.scheduler import Scheduler, SchedulerReport
from dpi_server.services.shared_clock import ClockReading, SharedClock


@dataclass(frozen=True, slots=True)
class Travel:
    """Where the clock is after a move, and what ran on the way."""

    clock: ClockReading
    ran: SchedulerReport


class TimeTravelService:
    def __init__(
        self, clock: SharedClock, scheduler: Scheduler, clients: ClientAdminService
    ) -> None:
        self._clock = clock
        self._scheduler = scheduler
        self._clients = clients
        self._journey = asyncio.Lock()

    async def _refuse_with_production_clients(self) -> None:
        """The clock is the whole deployment's: while a production client is live, only the
        way back to real time is open (docs/decisions.md "Environments")."""
        await self._clients.refuse_if_production(
            "Freezing, setting or advancing the clock",
            "take production tokens, retries and copies off real time "
            "(back to real time is allowed)",
        )

    async def sync(self) -> None:
        """Pick up a change another process made (cheap: at most one read per half second)."""
        await self._clock.refresh()

    async def show(self) -> ClockReading:
        """Exact: read from the database, whatever this process last saw."""
        await self._clock.refresh(force=True)
        return self._clock.reading()

    async def freeze(self) -> ClockReading:
        await self._refuse_with_production_clients()
        return await self._clock.change(lambda state, wall: state.frozen(wall))

    async def real(self) -> ClockReading:
        return await self._clock.change(lambda state, _wall: state.running_real())

    async def advance(self, delta: timedelta) -> Travel:
        """Forward by `delta`; a running clock ends exactly `delta` further ahead of real
        time than it was, however long the due work took."""
        check_advance(delta)
        await self._refuse_with_production_clients()
        await self._clock.refresh(force=True)
        before = self._clock.reading()
        return await self._travel(
            before.now + delta,
            lambda state, _wall: state.running_with(before.offset + delta),
            running=before.mode != FROZEN,
        )

    async def set(self, instant: datetime) -> Travel:
        """To `instant` (not before now), running what becomes due on the way; a running
        clock runs on from `instant` once that is done."""
        await self._refuse_with_production_clients()
        await self._clock.refresh(force=True)
        before = self._clock.reading()
        if instant < before.now:
            raise errors.ClockCannotGoBack(instant.isoformat(), before.now.isoformat())
        return await self._travel(
            instant,
            lambda state, wall: state.running_with(instant - wall),
            running=before.mode != FROZEN,
        )

    async def _travel(
        self,
        target: datetime,
        resume: Callable[[ClockState, datetime], ClockState],
        *,
        running: bool,
    ) -> Travel:
        """The journey runs on a frozen clock, so every item runs exactly at its due time;
        a clock that was running is set running again at the end (`resume`), even when the
        due work failed."""

        async def move(to: datetime) -> None:
            # Another operator's journey may have gone further meanwhile: never back.
            await self._clock.change(
                lambda state, wall: state.moved_to(max(to, state.now(wall)), wall)
            )

        async with self._journey:  # one journey at a time in this process
            await self._clock.change(lambda state, wall: state.frozen(wall))
            try:
                ran = await self._scheduler.travel_to(target, move)
            finally:
                if running:
                    await self._clock.change(resume)
        return Travel(self._clock.reading(), ran)
