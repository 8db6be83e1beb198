"""Docplanner's rate-limit headers, read into a value (behaviour.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # A reset without an offset would be ambiguous; Docplanner always sends one.
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class RateLimitState:
    """Where the client stands in the window the response counted against.

    Built from `X-RateLimit-Limit`, `-Remaining`, `-Used` and `-Reset` (an ISO 8601 date-time).
    Docplanner omits the headers when limiting is off for the client, and then there is no state.
    """

    limit: int | None
    remaining: int | None
    used: int | None
    reset: datetime | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitState | None:
        """The state in `headers`, or None when none of the four headers is present."""
        lowered = {k.lower(): v for k, v in headers.items()}
        names = ("limit", "remaining", "used", "reset")
        values = {n: lowered.get(f"x-ratelimit-{n}") for n in names}
        if all(v is None for v in values.values()):
            return None
        return cls(
            limit=_int(values["limit"]),
            remaining=_int(values["remaining"]),
            used=_int(values["used"]),
            reset=_datetime(values["reset"]),
        )

    def seconds_until_reset(self, now: datetime | None = None) -> float | None:
        """Seconds from `now` (default: the system clock) to `reset`, never negative."""
        if self.reset is None:
            return None
        moment = now or datetime.now(UTC)
        return max(0.0, (self.reset - moment).total_seconds())


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
