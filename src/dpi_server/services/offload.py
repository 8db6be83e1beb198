"""CPU-heavy steps of big requests run in a worker thread, so one large but valid request
(a 12-week replaceSlots, a 180-day getSlots) never holds the event loop for long.

Python's GIL still serialises the computation, but it hands the interpreter over every few
milliseconds, so the event loop keeps answering small requests meanwhile. Small inputs stay
on the loop: a thread hop costs more than the work it would move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(heavy: bool, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)`, in a worker thread when `heavy`."""
    if not heavy:
        return fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)
