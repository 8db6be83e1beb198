"""Background work that must run in exactly one process (ARCHITECTURE.md "One scheduler").

With `dpi serve --workers N`, or several hosts, every process builds the same container; the
work that must not run N times (the notification dispatcher of a later issue, sweeps) runs
only while the process holds the shared lease. When the holder dies, its lease is freed by
the database (PostgreSQL session lock, or the kernel's file lock on SQLite) and another
process takes over at its next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol


class Lease(Protocol):
    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True if this process holds it now."""
        ...

    async def still_held(self) -> bool:
        """False once the lease was lost (its database connection died)."""
        ...

    async def release(self) -> None: ...


async def run_as_leader(
    lease: Lease,
    work: Callable[[], Awaitable[None]],
    *,
    retry_seconds: float = 5.0,
    check_seconds: float = 5.0,
) -> None:
    """Run `work` whenever this process holds `lease`, until cancelled.

    `work` is cancelled if the lease is lost, and started again once it is regained; a
    `work` that returns is started again while the lease is held.
    """
    while True:
        if not await lease.try_acquire():
            await asyncio.sleep(retry_seconds)
            continue
        task = asyncio.ensure_future(work())
        try:
            while await lease.still_held():
                done, _ = await asyncio.wait({task}, timeout=check_seconds)
                if done:
                    task.result()  # let a crash of the work surface
                    task = asyncio.ensure_future(work())
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await lease.release()
