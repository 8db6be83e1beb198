"""Rate-limit rules: which window a request counts against and what the answer is.

Windows are fixed and aligned to multiples of their length since the Unix epoch
(decisions.md "Rate limits", behaviour.md §6), so every API process and the Redis backend agree
on where a window starts without sharing any state but the counter itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WindowKind(StrEnum):
    """The two quotas of a client: hourly reads and per-minute writes."""

    READ = "read"
    WRITE = "write"


def window_kind(method: str) -> WindowKind:
    """The window a request with `method` counts against.

    Methods outside both published lists (TRACE, custom verbs) count as writes: an unknown verb
    may change state, and the stricter quota is the safe side.
    """
    return WindowKind.READ if method.upper() in READ_METHODS else WindowKind.WRITE


@dataclass(frozen=True, slots=True)
class Window:
    """One fixed window `[start, end)`."""

    start: datetime
    end: datetime

    @property
    def start_epoch(self) -> int:
        """Whole seconds since the epoch; windows are whole seconds long, so this is exact."""
        return (self.start - _EPOCH) // timedelta(seconds=1)


def window_at(now: datetime, window_seconds: int) -> Window:
    """The fixed window of `window_seconds` that contains `now`."""
    if now.tzinfo is None:
        raise ValueError("rate-limit windows need an aware datetime")
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    # Integer microseconds: float seconds would misplace instants right at a boundary.
    elapsed = (now - _EPOCH) // _MICROSECOND
    length = window_seconds * 1_000_000
    start = _EPOCH + timedelta(microseconds=elapsed - elapsed % length)
    return Window(start=start, end=start + timedelta(seconds=window_seconds))


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds, rounded up, from `now` to `moment`; never below 1.

    Rounding down would tell a client to come back while the window is still closed.
    """
    return max(1, math.ceil((moment - now) / timedelta(seconds=1)))


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one request, and everything the response headers report."""

    allowed: bool
    limit: int
    used: int
    remaining: int
    reset_at: datetime
    retry_after_seconds: int


def decide(*, allowed: bool, limit: int, used: int, reset_at: datetime, now: datetime) -> Decision:
    """Turn a counter's outcome into a `Decision`.

    `used` is the count after this request when allowed, and the (unchanged) count when refused:
    a refused request is never counted.
    """
    return Decision(
        allowed=allowed,
        limit=limit,
        used=used,
        remaining=max(0, limit - used),
        reset_at=reset_at,
        retry_after_seconds=0 if allowed else seconds_until(reset_at, now),
    )


@dataclass(frozen=True, slots=True)
class Backoff:
    """Lockout after repeated failures: `free` failures cost nothing, then each further one
    locks the key for `base_seconds`, doubling per failure up to `max_seconds`. A key whose
    last failure is `forget_after_seconds` old starts again from zero."""

    free: int
    base_seconds: int
    max_seconds: int
    forget_after_seconds: int

    def lock_seconds(self, failures: int) -> int:
        """How long the key stays locked after its `failures`-th failure (0: not locked)."""
        over = failures - self.free
        if over <= 0:
            return 0
        # Capped before exponentiation so a long attack never builds a huge integer.
        return min(self.max_seconds, self.base_seconds * (1 << min(over - 1, 32)))

    def is_stale(self, last_failure: datetime, now: datetime) -> bool:
        return now - last_failure >= timedelta(seconds=self.forget_after_seconds)

    def locked_until(self, failures: int, last_failure: datetime, now: datetime) -> datetime | None:
        """The end of the lock that `failures` failures, the last at `last_failure`, impose;
        None when there is no lock at `now`."""
        if failures <= 0 or self.is_stale(last_failure, now):
            return None
        until = last_failure + timedelta(seconds=self.lock_seconds(failures))
        return until if until > now else None
