"""Rate-limit counters in Redis, shared by every API process (ARCHITECTURE.md "Scale-out").

Window boundaries come from the injected clock, not from Redis' own time: the window start is
part of the key, and a key's TTL is the time left in its window by that clock. Absolute expiry
(PEXPIREAT) would delete keys at once whenever the app's clock runs behind the server's, as a
frozen test clock or a sandbox clock does, and the limiter would never trip.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from dpi_server.domain.ratelimit import window_at

# Check and increment must be one step: two processes reading 39 would both admit request 40
# and 41. The refused request is not counted, so `Used` stays at the limit.
_ACQUIRE = """
local limit = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then
  return {0, used}
end
used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {1, used}
"""

# The holder's expiry (app clock, ms since the epoch) is the value, so a clock that was moved
# past it frees the lease even while Redis still keeps the key.
_CLAIM = """
local now = tonumber(ARGV[1])
local held = tonumber(redis.call('GET', KEYS[1]))
if held and held > now then
  return {0, held}
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1, tonumber(ARGV[2])}
"""

# Failures of one key in a hash {n, last}: a count whose last failure (app clock, ms) is older
# than the forget interval starts again, so a frozen or travelled clock behaves as in memory.
_ADD_FAILURE = """
local now = tonumber(ARGV[1])
local forget = tonumber(ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
local n = 0
if last and now - last < forget then
  n = tonumber(redis.call('HGET', KEYS[1], 'n')) or 0
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', now)
redis.call('PEXPIRE', KEYS[1], forget)
return n
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _pair(reply: Any) -> tuple[int, int]:
    if not isinstance(reply, list | tuple) or len(reply) != 2:
        raise RuntimeError(f"unexpected rate-limit script reply: {reply!r}")
    return int(reply[0]), int(reply[1])


class RedisRateLimitStore:
    """`RateLimitStore` over redis-py asyncio; construct with a client or a `redis://` URL.

    Nothing connects until the first command. A client built from a URL is owned and closed by
    `aclose`; a client passed in belongs to the caller.
    """

    def __init__(self, client: Redis | str, *, prefix: str = "dpi:rl:") -> None:
        if isinstance(client, str):
            self._redis = Redis.from_url(client)
            self._owns_client = True
        else:
            self._redis = client
            self._owns_client = False
        self._prefix = prefix
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._claim = self._redis.register_script(_CLAIM)
        self._add_failure = self._redis.register_script(_ADD_FAILURE)

    async def acquire(
        self, key: str, limit: int, window_seconds: int, now: datetime
    ) -> tuple[bool, int, datetime]:
        window = window_at(now, window_seconds)
        ttl_ms = max(1, _epoch_ms(window.end) - _epoch_ms(now))
        reply = await self._acquire(
            keys=[f"{self._prefix}{key}:{window.start_epoch}"], args=[limit, ttl_ms]
        )
        allowed, used = _pair(reply)
        return bool(allowed), used, window.end

    async def claim(self, key: str, interval_seconds: int, now: datetime) -> tuple[bool, datetime]:
        now_ms = _epoch_ms(now)
        ttl_ms = interval_seconds * 1000
        reply = await self._claim(
            keys=[f"{self._prefix}{key}"], args=[now_ms, now_ms + ttl_ms, ttl_ms]
        )
        claimed, held_until_ms = _pair(reply)
        return bool(claimed), _EPOCH + timedelta(milliseconds=held_until_ms)

    async def add_failure(self, key: str, now: datetime, forget_after_seconds: int) -> int:
        reply = await self._add_failure(
            keys=[f"{self._prefix}fail:{key}"],
            args=[_epoch_ms(now), forget_after_seconds * 1000],
        )
        return int(reply)

    async def failures(self, key: str) -> tuple[int, datetime] | None:
        count, last = await self._redis.hmget(f"{self._prefix}fail:{key}", ["n", "last"])
        if count is None or last is None:
            return None
        return int(count), _EPOCH + timedelta(milliseconds=int(last))

    async def forget(self, key: str) -> None:
        await self._redis.delete(f"{self._prefix}fail:{key}")

    async def clear(self) -> None:
        """Delete every key under this store's prefix (SCAN, so Redis is never blocked)."""
        batch: list[Any] = []
        async for key in self._redis.scan_iter(match=f"{self._prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self._redis.unlink(*batch)
                batch.clear()
        if batch:
            await self._redis.unlink(*batch)

    async def aclose(self) -> None:
        """Close the connection pool if this store created it."""
        if self._owns_client:
            await self._redis.aclose()
