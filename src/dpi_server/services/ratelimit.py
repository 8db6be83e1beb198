"""Rate limiting as a use case: per-client quotas, one-shot throttles and token-endpoint guards.

Home-made on purpose: `limits` and `slowapi` count requests but cannot emit Docplanner's headers
(an ISO 8601 `X-RateLimit-Reset` in the client's zone and `X-RateLimit-Used`), nor keep a refused
request out of the count, so only the atomic counter is left to a backend (memory or Redis).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from dpi_server.domain.errors import TooManyRequests
from dpi_server.domain.ratelimit import Decision, WindowKind, decide, window_kind
from dpi_server.services.principal import Principal


class RateLimitStore(Protocol):
    """Atomic counters; the memory and Redis adapters implement it."""

    async def acquire(
        self, key: str, limit: int, window_seconds: int, now: datetime
    ) -> tuple[bool, int, datetime]:
        """Count one hit in the fixed window containing `now`, only if the count is below `limit`.

        Returns `(allowed, used, window_end)`; when refused, `used` is the unchanged count.
        """
        ...

    async def claim(self, key: str, interval_seconds: int, now: datetime) -> tuple[bool, datetime]:
        """Take `key` for `interval_seconds` from `now` unless it is already held.

        Returns `(claimed, held_until)`: the new expiry, or the current holder's expiry.
        """
        ...


class RateLimiter:
    """Decides whether a request may proceed; the store is the only shared state.

    Token-endpoint defaults (30 attempts a minute per client id, 60 per source address) leave
    a legitimate integration plenty of room, since tokens live for hours, while making secret
    guessing cost days per million tries.
    """

    def __init__(
        self,
        store: RateLimitStore,
        *,
        token_client_limit: int = 30,
        token_address_limit: int = 60,
        token_window_seconds: int = 60,
    ) -> None:
        self._store = store
        self._token_client_limit = token_client_limit
        self._token_address_limit = token_address_limit
        self._token_window_seconds = token_window_seconds

    async def check(self, principal: Principal, method: str, now: datetime) -> Decision | None:
        """Count an API request against the client's read or write window.

        None when limiting is disabled for the client: nothing is counted and no headers are due.
        """
        policy = principal.rate_limit
        if not policy.enabled:
            return None
        kind = window_kind(method)
        if kind is WindowKind.READ:
            limit, seconds = policy.read_limit, policy.read_window_seconds
        else:
            limit, seconds = policy.write_limit, policy.write_window_seconds
        # The window length is part of the key so that a changed policy starts a fresh counter
        # instead of reading one that was sized for another window.
        key = f"client:{principal.client_pk}:{kind.value}:{seconds}"
        return await self._count(key, limit, seconds, now)

    async def throttle(self, key: str, interval_seconds: int, now: datetime) -> Decision:
        """Allow one call per `interval_seconds`, measured from the call that was let through."""
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        claimed, held_until = await self._store.claim(f"throttle:{key}", interval_seconds, now)
        return decide(allowed=claimed, limit=1, used=1, reset_at=held_until, now=now)

    async def token_attempt(self, client_id: str | None, source_ip: str, now: datetime) -> Decision:
        """Count one token request per source address and per client id.

        Raises `TooManyRequests` (with `retry_after`) when either quota is used up; otherwise
        returns the tighter of the two decisions. The address is checked first so that a flood
        from one host does not also burn the quota of the client id it names.
        """
        window = self._token_window_seconds
        decision = await self._count(
            f"token:addr:{source_ip}", self._token_address_limit, window, now
        )
        if not decision.allowed:
            raise TooManyRequests(retry_after=decision.retry_after_seconds)
        if client_id:
            # Client ids come from unauthenticated input; hashing bounds the key length.
            digest = hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            per_client = await self._count(
                f"token:client:{digest}", self._token_client_limit, window, now
            )
            if not per_client.allowed:
                raise TooManyRequests(retry_after=per_client.retry_after_seconds)
            if per_client.remaining < decision.remaining:
                decision = per_client
        return decision

    async def _count(self, key: str, limit: int, window_seconds: int, now: datetime) -> Decision:
        allowed, used, window_end = await self._store.acquire(key, limit, window_seconds, now)
        return decide(allowed=allowed, limit=limit, used=used, reset_at=window_end, now=now)
