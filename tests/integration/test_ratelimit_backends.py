"""One suite, every backend: the in-process store and a real Redis (DPI_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.adapters.ratelimit_redis import RedisRateLimitStore
from dpi_server.adapters.ratelimit_sql import PostgresRateLimitStore, SqliteFileRateLimitStore
from dpi_server.domain.errors import TooManyRequests
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.ratelimit import Backoff
from dpi_server.services.principal import Principal, RateLimitPolicy
from dpi_server.services.ratelimit import RateLimiter, RateLimitStore

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _redis_url() -> str:
    url = os.environ.get("DPI_TEST_REDIS_URL")
    if not url:
        reason = (
            "DPI_TEST_REDIS_URL not set (e.g. redis://127.0.0.1:63799/0); Redis backend skipped"
        )
        if os.environ.get("DPI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"DPI_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    return url


@asynccontextmanager
async def _redis_namespace() -> AsyncIterator[tuple[Redis, str]]:
    """A client and a key prefix of its own, so concurrent tests never see each other's keys."""
    client = Redis.from_url(_redis_url())
    prefix = f"dpi:test:rl:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def redis_client() -> AsyncIterator[tuple[Redis, str]]:
    async with _redis_namespace() as namespace:
        yield namespace


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        "sqlite-file",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """The backend's name and, for PostgreSQL, the session's database (a sync fixture)."""
    if request.param == "postgres":
        return request.param, str(request.getfixturevalue("postgres_url"))
    return request.param, None


@pytest.fixture
async def store(backend: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[RateLimitStore]:
    kind, url = backend
    if kind == "memory":
        yield MemoryRateLimitStore()
        return
    if kind == "sqlite-file":
        file_store = SqliteFileRateLimitStore(tmp_path / "dpi.sqlite3.ratelimit")
        yield file_store
        await file_store.aclose()
        return
    if kind == "postgres":
        assert url is not None
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:  # this session's own database: start empty
                await conn.execute(text("DELETE FROM rate_limit_counters"))
            yield PostgresRateLimitStore(engine)
        finally:
            await engine.dispose()
        return
    async with _redis_namespace() as (client, prefix):
        yield RedisRateLimitStore(client, prefix=prefix)


@pytest.fixture
def limiter(store: RateLimitStore) -> RateLimiter:
    return RateLimiter(
        store,
        token_address_limit=5,
        pair_backoff=Backoff(free=2, base_seconds=10, max_seconds=40, forget_after_seconds=600),
        address_backoff=Backoff(free=4, base_seconds=10, max_seconds=40, forget_after_seconds=600),
    )


def _principal(pk: int = 1, *, write_limit: int = 40, read_limit: int = 8000) -> Principal:
    return Principal(
        client_pk=pk,
        client_id=f"client-{pk}",
        locale=LOCALES["es"],
        rate_limit=RateLimitPolicy(read_limit=read_limit, write_limit=write_limit),
    )


async def _allowed(limiter: RateLimiter, principal: Principal, method: str) -> bool:
    decision = await limiter.check(principal, method, T0)
    assert decision is not None
    return decision.allowed


class TestAcquire:
    """Fixed-window counting below the limit, refusals uncounted (decisions.md "Rate limits")."""

    async def test_first_hit_opens_the_window(self, store: RateLimitStore) -> None:
        now = T0 + timedelta(seconds=12)
        assert await store.acquire("k", 40, 60, now) == (True, 1, T0 + timedelta(minutes=1))

    async def test_hits_up_to_the_limit_pass_and_the_next_is_refused(
        self, store: RateLimitStore
    ) -> None:
        results = [await store.acquire("k", 3, 60, T0) for _ in range(4)]
        assert [(ok, used) for ok, used, _ in results] == [
            (True, 1),
            (True, 2),
            (True, 3),
            (False, 3),
        ]

    async def test_refused_hits_are_not_counted(self, store: RateLimitStore) -> None:
        for _ in range(2):
            await store.acquire("k", 2, 60, T0)
        for _ in range(5):
            assert await store.acquire("k", 2, 60, T0) == (False, 2, T0 + timedelta(minutes=1))

    async def test_next_window_starts_from_zero(self, store: RateLimitStore) -> None:
        await store.acquire("k", 1, 60, T0)
        assert (await store.acquire("k", 1, 60, T0 + timedelta(seconds=59)))[0] is False
        later = T0 + timedelta(seconds=60)
        assert await store.acquire("k", 1, 60, later) == (True, 1, T0 + timedelta(minutes=2))

    async def test_keys_do_not_share_counters(self, store: RateLimitStore) -> None:
        await store.acquire("a", 1, 60, T0)
        assert (await store.acquire("b", 1, 60, T0))[:2] == (True, 1)

    async def test_zero_limit_refuses_everything(self, store: RateLimitStore) -> None:
        assert (await store.acquire("k", 0, 60, T0))[:2] == (False, 0)

    async def test_concurrent_hits_never_overshoot(self, store: RateLimitStore) -> None:
        results = await asyncio.gather(*(store.acquire("k", 40, 60, T0) for _ in range(100)))
        allowed = [used for ok, used, _ in results if ok]
        assert sorted(allowed) == list(range(1, 41))

    async def test_clock_far_behind_real_time_still_limits(self, store: RateLimitStore) -> None:
        # Backend expiry must follow the app's clock, not the wall clock of the store.
        past = datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
        await store.acquire("k", 1, 60, past)
        assert (await store.acquire("k", 1, 60, past + timedelta(seconds=1)))[0] is False


class TestClaim:
    """Once-per-interval leases, as for POST /notifications/release (behaviour.md §6)."""

    async def test_first_claim_wins_and_later_ones_see_its_expiry(
        self, store: RateLimitStore
    ) -> None:
        held = T0 + timedelta(hours=1)
        assert await store.claim("k", 3600, T0) == (True, held)
        assert await store.claim("k", 3600, T0 + timedelta(minutes=59)) == (False, held)

    async def test_lease_frees_when_the_interval_is_over(self, store: RateLimitStore) -> None:
        await store.claim("k", 3600, T0)
        later = T0 + timedelta(hours=1)
        assert await store.claim("k", 3600, later) == (True, later + timedelta(hours=1))

    async def test_leases_are_per_key(self, store: RateLimitStore) -> None:
        await store.claim("a", 3600, T0)
        assert (await store.claim("b", 3600, T0))[0] is True

    async def test_concurrent_claims_have_one_winner(self, store: RateLimitStore) -> None:
        results = await asyncio.gather(*(store.claim("k", 60, T0) for _ in range(20)))
        assert sum(1 for claimed, _ in results if claimed) == 1


class TestRateLimiterCheck:
    """Per-client read and write quotas over a real backend (decisions.md "Rate limits")."""

    async def test_writes_stop_after_the_write_limit(self, limiter: RateLimiter) -> None:
        principal = _principal()
        for _ in range(40):
            decision = await limiter.check(principal, "POST", T0)
            assert decision is not None
            assert decision.allowed
        refused = await limiter.check(principal, "DELETE", T0 + timedelta(seconds=15))
        assert refused is not None
        assert (refused.allowed, refused.used, refused.remaining) == (False, 40, 0)
        assert refused.retry_after_seconds == 45
        assert refused.reset_at == T0 + timedelta(minutes=1)

    async def test_reads_use_the_hourly_window(self, limiter: RateLimiter) -> None:
        decision = await limiter.check(_principal(), "GET", T0 + timedelta(minutes=7))
        assert decision is not None
        assert (decision.limit, decision.used, decision.remaining) == (8000, 1, 7999)
        assert decision.reset_at == T0 + timedelta(hours=1)

    async def test_reads_and_writes_count_separately(self, limiter: RateLimiter) -> None:
        principal = _principal(write_limit=1, read_limit=1)
        assert await _allowed(limiter, principal, "PUT")
        assert await _allowed(limiter, principal, "GET")

    async def test_clients_do_not_share_windows(self, limiter: RateLimiter) -> None:
        await limiter.check(_principal(1, write_limit=1), "POST", T0)
        other = await limiter.check(_principal(2, write_limit=1), "POST", T0)
        assert other is not None
        assert other.allowed

    async def test_disabled_clients_are_not_counted(self, limiter: RateLimiter) -> None:
        principal = Principal(
            client_pk=3, client_id="c", locale=LOCALES["pl"], rate_limit=RateLimitPolicy(False)
        )
        assert await limiter.check(principal, "POST", T0) is None


class TestRateLimiterThrottle:
    """One call per interval, refused calls told when to retry (behaviour.md §6 release)."""

    async def test_second_call_within_the_hour_is_refused(self, limiter: RateLimiter) -> None:
        first = await limiter.throttle("release:1", 3600, T0)
        second = await limiter.throttle("release:1", 3600, T0 + timedelta(minutes=20))
        assert first.allowed
        assert not second.allowed
        assert second.retry_after_seconds == 40 * 60
        assert second.reset_at == T0 + timedelta(hours=1)

    async def test_call_after_the_hour_is_allowed(self, limiter: RateLimiter) -> None:
        await limiter.throttle("release:1", 3600, T0)
        assert (await limiter.throttle("release:1", 3600, T0 + timedelta(hours=1))).allowed

    async def test_throttle_keys_do_not_collide_with_client_windows(
        self, limiter: RateLimiter
    ) -> None:
        await limiter.throttle("client:1:write:60", 60, T0)
        assert await _allowed(limiter, _principal(1), "POST")


class TestFailureCounts:
    """The store side of the token endpoint's backoff, identical on both backends."""

    async def test_failures_count_up_and_are_forgotten(self, store: RateLimitStore) -> None:
        assert await store.failures("k") is None
        assert await store.add_failure("k", T0, 600) == 1
        assert await store.add_failure("k", T0 + timedelta(seconds=5), 600) == 2
        assert await store.failures("k") == (2, T0 + timedelta(seconds=5))
        await store.forget("k")
        assert await store.failures("k") is None

    async def test_a_quiet_key_starts_again(self, store: RateLimitStore) -> None:
        await store.add_failure("k", T0, 600)
        await store.add_failure("k", T0, 600)
        assert await store.add_failure("k", T0 + timedelta(seconds=600), 600) == 1


class TestTokenAttempts:
    """Token failures back off per (client id, address) and per address (decisions.md)."""

    async def _fail(self, limiter: RateLimiter, client_id: str, ip: str, at: datetime) -> None:
        await limiter.token_gate(client_id, ip, at)
        await limiter.token_failed(client_id, ip, at)

    async def test_free_failures_then_a_doubling_lock(self, limiter: RateLimiter) -> None:
        for _ in range(3):  # 2 free, the third locks for 10 s
            await self._fail(limiter, "abc", "10.0.0.1", T0)
        with pytest.raises(TooManyRequests) as caught:
            await limiter.token_gate("abc", "10.0.0.1", T0 + timedelta(seconds=4))
        assert caught.value.retry_after == 6
        later = T0 + timedelta(seconds=10)
        await self._fail(limiter, "abc", "10.0.0.1", later)  # the fourth locks for 20 s
        with pytest.raises(TooManyRequests) as again:
            await limiter.token_gate("abc", "10.0.0.1", later + timedelta(seconds=19))
        assert again.value.retry_after == 1

    async def test_another_address_is_never_locked_by_them(self, limiter: RateLimiter) -> None:
        for _ in range(3):
            await self._fail(limiter, "abc", "10.0.0.1", T0)
        with pytest.raises(TooManyRequests):
            await limiter.token_gate("abc", "10.0.0.1", T0)
        await limiter.token_gate("abc", "10.0.0.2", T0)  # does not raise

    async def test_success_clears_its_own_pair_only(self, limiter: RateLimiter) -> None:
        for _ in range(3):
            await self._fail(limiter, "abc", "10.0.0.3", T0)
        await limiter.token_succeeded("abc", "10.0.0.3")
        await limiter.token_gate("abc", "10.0.0.3", T0)

    async def test_the_address_backs_off_across_client_ids(self, limiter: RateLimiter) -> None:
        for n in range(5):
            await self._fail(limiter, f"guess-{n}", "10.0.0.9", T0)
        with pytest.raises(TooManyRequests):
            await limiter.token_gate("fresh", "10.0.0.9", T0)

    async def test_ipv6_counts_per_64(self, limiter: RateLimiter) -> None:
        for n in range(5):
            await self._fail(limiter, f"g{n}", f"2001:db8:1:2::{n + 1}", T0)
        with pytest.raises(TooManyRequests):
            await limiter.token_gate("fresh", "2001:db8:1:2:ffff::1", T0)
        await limiter.token_gate("fresh", "2001:db8:1:3::1", T0)

    async def test_attempts_per_address_are_capped(self, limiter: RateLimiter) -> None:
        for _ in range(5):
            await limiter.token_gate("abc", "10.0.0.5", T0)
        with pytest.raises(TooManyRequests):
            await limiter.token_gate("abc", "10.0.0.5", T0)
        await limiter.token_gate("abc", "10.0.0.5", T0 + timedelta(minutes=1))


class TestMemoryStoreSweeping:
    """Expired windows and leases are dropped so memory stays bounded (decisions.md)."""

    async def test_expired_entries_are_swept(self) -> None:
        store = MemoryRateLimitStore(sweep_interval_seconds=60)
        for n in range(50):
            await store.acquire(f"k{n}", 5, 60, T0)
            await store.claim(f"lease{n}", 30, T0)
        assert len(store) == 100
        await store.acquire("fresh", 5, 60, T0 + timedelta(minutes=5))
        assert len(store) == 1

    async def test_clock_moved_backwards_still_sweeps(self) -> None:
        store = MemoryRateLimitStore(sweep_interval_seconds=60)
        await store.acquire("old", 5, 60, T0 - timedelta(days=3))
        await store.acquire("k", 5, 60, T0 + timedelta(days=1))
        await store.acquire("j", 5, 60, T0)
        assert len(store) == 2


@pytest.mark.redis
class TestRedisStoreSpecifics:
    """Redis keys are namespaced and expire with their window (ARCHITECTURE.md Scale-out)."""

    async def test_keys_carry_the_prefix_and_a_window_ttl(
        self, redis_client: tuple[Redis, str]
    ) -> None:
        client, prefix = redis_client
        store = RedisRateLimitStore(client, prefix=prefix)
        await store.acquire("client:1:write:60", 40, 60, T0 + timedelta(seconds=45))
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert keys == [f"{prefix}client:1:write:60:{int(T0.timestamp())}".encode()]
        assert 0 < await client.pttl(keys[0]) <= 15_000

    async def test_store_built_from_a_url_closes_its_own_client(
        self, redis_client: tuple[Redis, str]
    ) -> None:
        _, prefix = redis_client
        store = RedisRateLimitStore(_redis_url(), prefix=prefix)
        try:
            assert (await store.acquire("k", 1, 60, T0))[0] is True
        finally:
            await store.aclose()


class TestPeek:
    """`RateLimiter.peek` reads a client's window without counting (an injected 429's headers)."""

    async def test_peek_reports_the_count_and_leaves_it_alone(self, limiter: RateLimiter) -> None:
        principal = _principal(7, write_limit=5)
        for _ in range(2):
            assert await _allowed(limiter, principal, "POST")

        peeked = [await limiter.peek(principal, "POST", T0) for _ in range(3)]
        counted = await limiter.check(principal, "POST", T0)

        assert all(p is not None and (p.used, p.remaining) == (2, 3) for p in peeked)
        assert peeked[0] is not None
        assert peeked[0].reset_at == T0 + timedelta(minutes=1)
        assert counted is not None
        assert counted.used == 3


class TestClear:
    """A sandbox reset empties the store (services/reset.py)."""

    async def test_clear_forgets_counters_leases_and_failures(self, store: RateLimitStore) -> None:
        await store.acquire("c", 5, 60, T0)
        await store.acquire("c", 5, 60, T0)
        await store.claim("lease", 600, T0)
        await store.add_failure("guess", T0, 600)

        await store.clear()

        allowed, used, _end = await store.acquire("c", 5, 60, T0)
        assert (allowed, used) == (True, 1)
        assert (await store.claim("lease", 600, T0))[0]
        assert await store.failures("guess") is None
