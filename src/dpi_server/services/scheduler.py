"""One scheduler for all due work (ARCHITECTURE.md "One scheduler").

What becomes due: push attempts and retries, 72-hour pull expiry, 14-day purge, stale slot
holds and endpoint health checks (all in `DeliveryService`), and the unpaid auto-cancel
(`AutoCancelService`). Token expiry needs no run: every request compares a token's expiry
with the clock.

`run_due()` does what is due at the clock's now. In real time the dispatcher loop
(`workers/dispatcher.py`) calls it again and again, in `dpi serve` under the leader lease
and in any number of `dpi worker` processes; every item is claimed by exactly one of them.
Under the sandbox's time travel `travel_to()` steps the clock from one due time to the next,
running each item with the clock at its own due time, so a retry due at +5 minutes is tried
at +5 minutes and schedules its next retry from there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from dpi_server.services.auto_cancel import AutoCancelService
from dpi_server.services.delivery import DeliveryService, RunReport
from dpi_server.services.ports import Clock

# A journey through more due times than this stops stepping and runs the rest at its end
# (a guard against a due time that never clears, e.g. a row another process holds).
MAX_STEPS = 10_000


@dataclass
class SchedulerReport(RunReport):
    canceled: int = 0
    steps: int = 0

    def add(self, other: SchedulerReport) -> None:
        self.attempts += other.attempts
        self.delivered += other.delivered
        self.purged += other.purged
        self.health_checks += other.health_checks
        self.canceled += other.canceled
        self.steps += other.steps

    @property
    def did_something(self) -> bool:
        return bool(self.attempts or self.purged or self.health_checks or self.canceled)


class Scheduler:
    def __init__(
        self,
        clock: Clock,
        delivery: DeliveryService,
        auto_cancel: AutoCancelService,
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._clock = clock
        self._delivery = delivery
        self._auto_cancel = auto_cancel
        # Re-reads the shared clock (services/shared_clock.py) before each run in real time.
        self._refresh = refresh

    @property
    def batch_size(self) -> int:
        return self._delivery.config.batch_size

    async def run_due(self) -> SchedulerReport:
        """Everything due now: the auto-cancel first (its `booking-canceled` copies are due at
        once), then delivery's housekeeping, attempts and health checks."""
        if self._refresh is not None:
            await self._refresh()
        canceled = await self._auto_cancel.run_due()
        done = await self._delivery.run_due()
        return SchedulerReport(
            done.attempts, done.delivered, done.purged, done.health_checks, canceled, 1
        )

    async def next_due(self) -> datetime | None:
        """The earliest due time of anything that becomes due at a known time. Expiry, purge
        and holds run at every step (what they delete does not depend on when), and health
        checks probe an endpoint as it is now, so none of them adds steps of its own."""
        found = [
            t
            for t in (await self._delivery.next_due(), await self._auto_cancel.next_due())
            if t is not None
        ]
        return min(found, default=None)

    async def travel_to(
        self, target: datetime, move: Callable[[datetime], Awaitable[None]]
    ) -> SchedulerReport:
        """Move the clock (with `move`) to each due time up to `target` in order, running what
        is due there, then to `target` itself and run once more."""
        report = SchedulerReport()
        while report.steps < MAX_STEPS:
            due = await self.next_due()
            if due is None or due > target:
                break
            if due > self._clock.now():
                await move(due)
            step = await self.run_due()
            report.add(step)
            if not step.did_something and due <= self._clock.now():
                # Due but nothing to run here (claimed elsewhere): go on to the target.
                break
        if target > self._clock.now():
            await move(target)
        report.add(await self.run_due())
        return report
