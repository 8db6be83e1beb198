"""Rate-limit counters in process memory: the single-process default.

Every operation runs without awaiting in its critical section, so coroutines on one loop cannot
interleave inside it; the lock additionally covers callers on other threads (test clients that
run the app in a portal thread).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from dpi_server.domain.ratelimit import window_at


@dataclass(slots=True)
class _Counter:
    start: datetime
    end: datetime
    used: int


class MemoryRateLimitStore:
    """Fixed-window counters and throttle leases in dicts, swept as the clock moves on."""

    def __init__(self, *, sweep_interval_seconds: int = 60) -> None:
        self._counters: dict[str, _Counter] = {}
        self._leases: dict[str, datetime] = {}
        # key -> (failures, last failure, forget at)
        self._failures: dict[str, tuple[int, datetime, datetime]] = {}
        self._lock = threading.Lock()
        self._sweep_interval = timedelta(seconds=sweep_interval_seconds)
        self._next_sweep: datetime | None = None

    async def acquire(
        self, key: str, limit: int, window_seconds: int, now: datetime
    ) -> tuple[bool, int, datetime]:
        window = window_at(now, window_seconds)
        with self._lock:
            self._maybe_sweep(now)
            counter = self._counters.get(key)
            if counter is None or counter.start != window.start:
                counter = _Counter(start=window.start, end=window.end, used=0)
                self._counters[key] = counter
            if counter.used >= limit:
                return False, counter.used, counter.end
            counter.used += 1
            return True, counter.used, counter.end

    async def claim(self, key: str, interval_seconds: int, now: datetime) -> tuple[bool, datetime]:
        with self._lock:
            self._maybe_sweep(now)
            held_until = self._leases.get(key)
            if held_until is not None and held_until > now:
                return False, held_until
            held_until = now + timedelta(seconds=interval_seconds)
            self._leases[key] = held_until
            return True, held_until

    async def add_failure(self, key: str, now: datetime, forget_after_seconds: int) -> int:
        forget = timedelta(seconds=forget_after_seconds)
        with self._lock:
            self._maybe_sweep(now)
            previous = self._failures.get(key)
            count = previous[0] if previous is not None and now - previous[1] < forget else 0
            self._failures[key] = (count + 1, now, now + forget)
            return count + 1

    async def failures(self, key: str) -> tuple[int, datetime] | None:
        with self._lock:
            found = self._failures.get(key)
        return (found[0], found[1]) if found is not None else None

    async def forget(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    async def clear(self) -> None:
        with self._lock:
            self._counters.clear()
            self._leases.clear()
            self._failures.clear()

    def __len__(self) -> int:
        """Live entries, counters, leases and failures together (lets tests see sweeping)."""
        with self._lock:
            return len(self._counters) + len(self._leases) + len(self._failures)

    def _maybe_sweep(self, now: datetime) -> None:
        # A full scan at most once per interval keeps the hot path O(1) while still dropping
        # keys that stopped coming back (one-off token attempts, clients gone quiet).
        # A clock moved backwards (sandbox `set`) would otherwise postpone sweeping indefinitely.
        nxt = self._next_sweep
        if nxt is not None and nxt - self._sweep_interval <= now < nxt:
            return
        self._next_sweep = now + self._sweep_interval
        self._counters = {k: c for k, c in self._counters.items() if c.end > now}
        self._leases = {k: until for k, until in self._leases.items() if until > now}
        self._failures = {k: f for k, f in self._failures.items() if f[2] > now}
