"""The scheduler loop in real time (services/scheduler.py): run what is due, then sleep until
the next due time.

It runs inside `dpi serve` (one task next to the API) and as `dpi worker` processes; any
number of them can share one PostgreSQL, since every due row is claimed by exactly one
(`SKIP LOCKED`). New copies are due at once, so an idle loop looks again after `idle`
seconds; a busy one goes straight on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from dpi_server.services.ports import Clock
from dpi_server.services.scheduler import Scheduler

log = logging.getLogger("dpi.dispatcher")


class Dispatcher:
    def __init__(self, scheduler: Scheduler, clock: Clock, *, idle: float = 0.2) -> None:
        self._scheduler = scheduler
        self._clock = clock
        self._idle = idle
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Until `stop()`: errors are logged and the loop goes on after a pause, so a
        database restart does not end delivery."""
        while not self._stop.is_set():
            try:
                report = await self._scheduler.run_due()
                busy = report.attempts >= self._scheduler.batch_size
                pause = 0.0 if busy else await self._pause()
            except Exception:
                log.exception("dispatcher run failed; trying again shortly")
                pause = 1.0
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=pause)

    async def _pause(self) -> float:
        """Until the next due copy, but never longer than `idle` (new copies are due at
        once and nothing tells this process they were written)."""
        due = await self._scheduler.next_due()
        if due is None:
            return self._idle
        left = (due - self._clock.now()) / timedelta(seconds=1)
        return max(0.0, min(self._idle, left))
