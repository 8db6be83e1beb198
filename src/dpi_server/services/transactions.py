"""Running a write again when the database says it lost a race (ports.StorageConflict)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from dpi_server.domain import errors
from dpi_server.services.ports import StorageConflict

T = TypeVar("T")
ATTEMPTS = 4


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run `work` (one whole unit of work) until it commits or fails for another reason.

    After the last attempt the caller gets 503 with `Retry-After`, never a 500: the request
    changed nothing and can be sent again.
    """
    for attempt in range(attempts):
        try:
            return await work()
        except StorageConflict:
            if attempt == attempts - 1:
                break
            # Jitter spreads the retries of racing requests apart.
            await asyncio.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
    raise errors.ServiceBusy()
