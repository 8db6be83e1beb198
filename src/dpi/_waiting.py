"""Waiting that a stop event can cut short, in the two flavours the clients need."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable

AsyncOutcome = Awaitable[object]
"""What an async consumer's handler returns: something to await."""

Outcome = object
"""What a sync consumer's handler returns: anything, ignored."""

AsyncEvent = asyncio.Event
"""The stop event of async consumer loops."""

Event = threading.Event
"""The stop event of sync consumer loops."""


async def async_pause(stop: asyncio.Event | None, seconds: float) -> bool:
    """Sleep `seconds`, or less if `stop` is set; True when stopped."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def sync_pause(stop: threading.Event | None, seconds: float) -> bool:
    """Sleep `seconds`, or less if `stop` is set; True when stopped."""
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)
