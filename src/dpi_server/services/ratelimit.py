"""Rate limiting as a use case: per-client quotas, one-shot throttles and token-endpoint guards.

Home-made on purpose: `limits` and `slowapi` count requests but cannot emit Docplanner's headers
(an ISO 8601 `X-RateLimit-Reset` in the client's zone and `X-RateLimit-Used`), nor keep a refused
request out of the count, so only the atomic counter is left to a backend (memory or Redis).
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime
from typing import Protocol

from dpi_server.domain.errors import TooManyRequests
from dpi_server.domain.ratelimit import (
    Backoff,
    Decision,
    WindowKind,
    decide,
    seconds_until,
    window_kind,
)
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

    async def add_failure(self, key: str, now: datetime, forget_after_seconds: int) -> int:
        """Count one failure under `key` at `now` and return the count; a count whose last
        failure is `forget_after_seconds` old or older starts again from zero."""
        ...

    async def failures(self, key: str) -> tuple[int, datetime] | None:
        """`(count, last failure)` of `key`, or None if it has none (stale ones included)."""
        ...

    async def forget(self, key: str) -> None:
        """Drop `key`'s failures."""
        ...

    async def clear(self) -> None:
        """Drop every counter, lease and failure of this store (a sandbox reset)."""
        ...


# Failed secrets from one address for one client id: 5 free, then 1 s, 2 s, 4 s... up to 5
# minutes between guesses; an hour of quiet forgets them. From one address whatever the client
# id: 20 free, same curve. A correct secret resets its own (client id, address) count only.
PAIR_BACKOFF = Backoff(free=5, base_seconds=1, max_seconds=300, forget_after_seconds=3600)
ADDRESS_BACKOFF = Backoff(free=20, base_seconds=1, max_seconds=300, forget_after_seconds=3600)


def source_key(address: str) -> str:
    """The unit a source address is counted in: an IPv4 address, or an IPv6 /64 (one host
    usually holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class RateLimiter:
    """Decides whether a request may proceed; the store is the only shared state.

    The token endpoint (issue #12, item 7) counts every attempt per source address (60 a
    minute by default: tokens live for hours, so a real integration asks rarely) and throttles
    *failures* with a growing lockout per (client id, source address) and per source address.
    No count is kept per client id alone, so failures from one address never lock the right
    secret out when it comes from another.
    """

    def __init__(
        self,
        store: RateLimitStore,
        *,
        token_address_limit: int = 60,
        token_window_seconds: int = 60,
        pair_backoff: Backoff = PAIR_BACKOFF,
        address_backoff: Backoff = ADDRESS_BACKOFF,
    ) -> None:
        self._store = store
        self._token_address_limit = token_address_limit
        self._token_window_seconds = token_window_seconds
        self._pair_backoff = pair_backoff
        self._address_backoff = address_backoff

    async def check(self, principal: Principal, method: str, now: datetime) -> Decision | None:
        """Count an API request against the client's read or write window.

        None when limiting is disabled for the client: nothing is counted and no headers are due.
        """
        if not principal.rate_limit.enabled:
            return None
        key, limit, seconds = _client_window(principal, method)
        return await self._count(key, limit, seconds, now)

    async def peek(self, principal: Principal, method: str, now: datetime) -> Decision | None:
        """The window `check` would count this request against, without counting it: what an
        injected 429 reports (services/faults.py). None when limiting is disabled."""
        if not principal.rate_limit.enabled:
            return None
        key, limit, seconds = _client_window(principal, method)
        # A limit of 0 refuses, and a refused hit is never counted: a read of the counter.
        _allowed, used, reset_at = await self._store.acquire(key, 0, seconds, now)
        return decide(allowed=False, limit=limit, used=used, reset_at=reset_at, now=now)

    async def throttle(self, key: str, interval_seconds: int, now: datetime) -> Decision:
        """Allow one call per `interval_seconds`, measured from the call that was let through."""
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        claimed, held_until = await self._store.claim(f"throttle:{key}", interval_seconds, now)
        return decide(allowed=claimed, limit=1, used=1, reset_at=held_until, now=now)

    @staticmethod
    def _token_keys(client_id: str | None, source_ip: str) -> tuple[str, str | None]:
        source = source_key(source_ip)
        if not client_id:
            return f"token:addr:{source}", None
        # Client ids come from unauthenticated input; hashing bounds the key length.
        digest = hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"token:addr:{source}", f"token:pair:{digest}:{source}"

    async def token_gate(self, client_id: str | None, source_ip: str, now: datetime) -> None:
        """Before a secret is checked: raise `TooManyRequests` (with `retry_after`) while the
        address is over its attempt window, or it or this (client id, address) is locked.

        Checked before the secret so that a locked guesser learns nothing, whatever it sends.
        """
        address_key, pair_key = self._token_keys(client_id, source_ip)
        for key, backoff in ((pair_key, self._pair_backoff), (address_key, self._address_backoff)):
            if key is None:
                continue
            found = await self._store.failures(key)
            if found is None:
                continue
            until = backoff.locked_until(found[0], found[1], now)
            if until is not None:
                raise TooManyRequests(retry_after=seconds_until(until, now))
        decision = await self._count(
            f"{address_key}:attempts", self._token_address_limit, self._token_window_seconds, now
        )
        if not decision.allowed:
            raise TooManyRequests(retry_after=decision.retry_after_seconds)

    async def token_failed(self, client_id: str | None, source_ip: str, now: datetime) -> None:
        """Record a refused secret (or an unknown client id) from `source_ip`."""
        address_key, pair_key = self._token_keys(client_id, source_ip)
        await self._store.add_failure(address_key, now, self._address_backoff.forget_after_seconds)
        if pair_key is not None:
            await self._store.add_failure(pair_key, now, self._pair_backoff.forget_after_seconds)

    async def token_succeeded(self, client_id: str, source_ip: str) -> None:
        """A correct secret clears its own (client id, address) failures, nothing else: the
        address count stays, or one valid client would let its host guess others' secrets."""
        _, pair_key = self._token_keys(client_id, source_ip)
        if pair_key is not None:
            await self._store.forget(pair_key)

    async def reset(self) -> None:
        """Forget every window, throttle and failure: counting starts again from zero."""
        await self._store.clear()

    async def _count(self, key: str, limit: int, window_seconds: int, now: datetime) -> Decision:
        allowed, used, window_end = await self._store.acquire(key, limit, window_seconds, now)
        return decide(allowed=allowed, limit=limit, used=used, reset_at=window_end, now=now)


def _client_window(principal: Principal, method: str) -> tuple[str, int, int]:
    """The counter key, limit and window length of `method` for `principal`."""
    policy = principal.rate_limit
    kind = window_kind(method)
    if kind is WindowKind.READ:
        limit, seconds = policy.read_limit, policy.read_window_seconds
    else:
        limit, seconds = policy.write_limit, policy.write_window_seconds
    # The window length is part of the key so that a changed policy starts a fresh counter
    # instead of reading one that was sized for another window.
    return f"client:{principal.client_pk}:{kind.value}:{seconds}", limit, seconds
