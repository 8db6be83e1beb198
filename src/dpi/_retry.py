"""When a failed call is tried again, and after how long (behaviour.md §6: "use exponential
backoff"). The decision is a pure function so the sync and async clients share it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx

from dpi._ratelimit import RateLimitState, parse_retry_after

# Methods that RFC 9110 defines as idempotent: repeating them cannot do twice what was meant
# once. POST (bookSlot, moveBooking, addAddressService...) and PATCH are not.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries connection errors, 429 and 5xx answers.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff: the first delay in seconds; each retry doubles it, up to `max_backoff`.
        max_backoff: the longest computed delay.
        jitter: the fraction of each computed delay that is randomised (0 to 1), so that many
            clients that failed together do not come back together.
        max_wait: the longest wait a server may ask for (`Retry-After`, `X-RateLimit-Reset`);
            a longer one is not waited for and the error is raised at once.
        retry_non_idempotent: also retry POST and PATCH. Off by default: a POST whose answer
            was lost may have booked a visit, and sending it again could book a second one.
    """

    max_retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.25
    max_wait: float = 60.0
    retry_non_idempotent: bool = False
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2.0**attempt))
        spread = base * self.jitter
        return max(0.0, base - spread + self._random.random() * 2 * spread)

    def _may_retry(self, attempt: int, method: str, idempotent: bool | None = None) -> bool:
        if attempt >= self.max_retries:
            return False
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        return self.retry_non_idempotent or idempotent

    def delay_after_error(
        self, attempt: int, method: str, *, idempotent: bool | None = None
    ) -> float | None:
        """Seconds to wait before retry `attempt + 1` after a transport error, or None;
        `idempotent` overrides what the method says."""
        return self._backoff(attempt) if self._may_retry(attempt, method, idempotent) else None

    def delay_after_response(
        self, attempt: int, response: httpx.Response, *, idempotent: bool | None = None
    ) -> float | None:
        """Seconds to wait before retry `attempt + 1` after `response`, or None to stop;
        `idempotent` overrides what the request's method says.

        A 429 or 503 that says when to come back (`Retry-After`, else `X-RateLimit-Reset` on a
        429) is honoured exactly, when it is within `max_wait`.
        """
        status = response.status_code
        method = response.request.method
        if status not in RETRY_STATUSES or not self._may_retry(attempt, method, idempotent):
            return None
        asked = parse_retry_after(response.headers)
        if asked is None and status == 429:
            state = RateLimitState.from_headers(response.headers)
            asked = None if state is None else state.seconds_until_reset()
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= self.max_wait else None


DEFAULT_RETRY_POLICY = RetryPolicy()
NO_RETRIES = RetryPolicy(max_retries=0)
