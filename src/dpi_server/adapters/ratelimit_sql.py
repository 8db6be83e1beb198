"""Rate-limit counters in a database, exact across processes when no Redis is configured.

Chosen for `dpi serve --workers N` without Redis (docs/decisions.md "Several processes"):
every process already shares the database, and one `INSERT ... ON CONFLICT DO UPDATE ...
WHERE used < limit RETURNING used` is an atomic check-and-count, so no two processes can both
admit the 41st write. The alternatives were weaker: per-process windows multiply the limit by
N, and a counter server in the supervisor is home-made IPC that one host's processes share
but a second host's do not.

- **PostgreSQL**: the `rate_limit_counters` table (migration 0006), one autocommit upsert per
  request through the async engine.
- **SQLite**: a file of its own next to the database (`<name>.ratelimit`), not the database
  itself, so that counting a request never waits behind a long write transaction (a maximal
  replaceSlots holds the write lock for a while). Its statements take microseconds, so they
  run inline on the loop with a zero busy timeout; a busy file is retried after `asyncio.sleep`
  so the loop never blocks on another process.

As in the Redis store, windows come from the injected clock, not the database's, and a key's
row is reused from window to window (`window_start` tells them apart); rows whose window or
lease ended are swept at most once a minute.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.domain.ratelimit import window_at

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_SWEEP_MS = 60_000

# Count only below the limit: a refused hit changes nothing (the WHERE leaves the row as it is
# and RETURNING yields no row). A row of an older window restarts at 1.
_ACQUIRE = """
INSERT INTO rate_limit_counters (key, window_start, used, expires_ms)
VALUES (:key, :window_start, 1, :expires_ms)
ON CONFLICT (key) DO UPDATE SET
    used = CASE WHEN rate_limit_counters.window_start = excluded.window_start
                THEN rate_limit_counters.used + 1 ELSE 1 END,
    window_start = excluded.window_start,
    expires_ms = excluded.expires_ms
WHERE rate_limit_counters.window_start <> excluded.window_start
   OR rate_limit_counters.used < :limit
RETURNING used
"""
_USED = "SELECT used, window_start FROM rate_limit_counters WHERE key = :key"
# A lease is a row whose `expires_ms` is the holder's expiry; it is free once that has passed.
_CLAIM = """
INSERT INTO rate_limit_counters (key, window_start, used, expires_ms)
VALUES (:key, 0, 1, :expires_ms)
ON CONFLICT (key) DO UPDATE SET expires_ms = excluded.expires_ms
WHERE rate_limit_counters.expires_ms <= :now_ms
RETURNING expires_ms
"""
_HELD = "SELECT expires_ms FROM rate_limit_counters WHERE key = :key"
# Failures (the token endpoint's backoff): `used` counts them, `window_start` is the last one,
# and `expires_ms` is when they are forgotten; a count already forgotten restarts at 1.
_ADD_FAILURE = """
INSERT INTO rate_limit_counters (key, window_start, used, expires_ms)
VALUES (:key, :now_ms, 1, :expires_ms)
ON CONFLICT (key) DO UPDATE SET
    used = CASE WHEN rate_limit_counters.expires_ms > :now_ms
                THEN rate_limit_counters.used + 1 ELSE 1 END,
    window_start = excluded.window_start,
    expires_ms = excluded.expires_ms
RETURNING used
"""
_FAILURES = "SELECT used, window_start FROM rate_limit_counters WHERE key = :key"
_FORGET = "DELETE FROM rate_limit_counters WHERE key = :key"
# Failure keys live in the same table as counters and leases, apart from them.
_FAILURE_PREFIX = "failures:"
_SWEEP = "DELETE FROM rate_limit_counters WHERE expires_ms < :now_ms"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limit_counters (
    key VARCHAR(200) PRIMARY KEY,
    window_start BIGINT NOT NULL,
    used INTEGER NOT NULL,
    expires_ms BIGINT NOT NULL
)
"""


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def ratelimit_file(database: str) -> Path:
    """Where the SQLite store keeps its counters for the database file `database`."""
    return Path(f"{database}.ratelimit")


class _Sweeper:
    def __init__(self) -> None:
        self._next: int | None = None

    def due(self, now_ms: int) -> bool:
        # Also when the clock went backwards (sandbox time travel), as the memory store does.
        if self._next is not None and self._next - _SWEEP_MS <= now_ms < self._next:
            return False
        self._next = now_ms + _SWEEP_MS
        return True


class _SqlCounterStore:
    """acquire/claim over `_run(sql, params) -> first row or None`, which subclasses provide."""

    async def _run(self, sql: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def acquire(
        self, key: str, limit: int, window_seconds: int, now: datetime
    ) -> tuple[bool, int, datetime]:
        window = window_at(now, window_seconds)
        # A limit below 1 refuses without counting: it reads the counter (RateLimiter.peek).
        if limit >= 1:
            params = {
                "key": key,
                "window_start": window.start_epoch,
                "expires_ms": _epoch_ms(window.end),
                "limit": limit,
                "now_ms": _epoch_ms(now),
            }
            row = await self._run(_ACQUIRE, params)
            if row is not None:
                return True, int(row[0]), window.end
        held = await self._run(_USED, {"key": key})
        used = int(held[0]) if held is not None and held[1] == window.start_epoch else 0
        return False, used, window.end

    async def claim(self, key: str, interval_seconds: int, now: datetime) -> tuple[bool, datetime]:
        now_ms = _epoch_ms(now)
        until = now_ms + interval_seconds * 1000
        row = await self._run(_CLAIM, {"key": key, "expires_ms": until, "now_ms": now_ms})
        if row is not None:
            return True, _EPOCH + timedelta(milliseconds=int(row[0]))
        held = await self._run(_HELD, {"key": key})
        held_ms = int(held[0]) if held is not None else until
        return False, _EPOCH + timedelta(milliseconds=held_ms)

    async def add_failure(self, key: str, now: datetime, forget_after_seconds: int) -> int:
        now_ms = _epoch_ms(now)
        params = {
            "key": _FAILURE_PREFIX + key,
            "now_ms": now_ms,
            "expires_ms": now_ms + forget_after_seconds * 1000,
        }
        row = await self._run(_ADD_FAILURE, params)
        assert row is not None
        return int(row[0])

    async def failures(self, key: str) -> tuple[int, datetime] | None:
        row = await self._run(_FAILURES, {"key": _FAILURE_PREFIX + key})
        if row is None:
            return None
        return int(row[0]), _EPOCH + timedelta(milliseconds=int(row[1]))

    async def forget(self, key: str) -> None:
        await self._run(_FORGET, {"key": _FAILURE_PREFIX + key})

    async def clear(self) -> None:
        await self._run("DELETE FROM rate_limit_counters", {})


class PostgresRateLimitStore(_SqlCounterStore):
    """`RateLimitStore` on the shared PostgreSQL table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sweeper = _Sweeper()

    async def _run(self, sql: str, params: dict[str, Any]) -> Any:
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await conn.execute(text(sql), params)
            row = result.first() if result.returns_rows else None
            now_ms = params.get("now_ms")
            if now_ms is not None and self._sweeper.due(now_ms):
                await conn.execute(text(_SWEEP), {"now_ms": now_ms})
            return row


class SqliteFileRateLimitStore(_SqlCounterStore):
    """`RateLimitStore` in a small SQLite file shared by the processes of one host."""

    def __init__(self, path: Path, *, lock_timeout_seconds: float = 10.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each upsert is its own transaction, holding the file lock for microseconds.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout=0")
        self._lock_timeout = lock_timeout_seconds
        self._sweeper = _Sweeper()
        self._ready = False

    async def _run(self, sql: str, params: dict[str, Any]) -> Any:
        deadline = time.monotonic() + self._lock_timeout
        delay = 0.0002
        while True:
            try:
                if not self._ready:
                    # WAL lets counting proceed while another process reads; NORMAL skips the
                    # fsync per commit (a crash may forget the last counts, never corrupt).
                    self._db.execute("PRAGMA journal_mode=WAL")
                    self._db.execute("PRAGMA synchronous=NORMAL")
                    self._db.execute(_SCHEMA)
                    self._ready = True
                # fetchall: the statement (and its implicit transaction) ends only once the
                # cursor is exhausted.
                rows = self._db.execute(sql, params).fetchall()
                now_ms = params.get("now_ms")
                if now_ms is not None and self._sweeper.due(now_ms):
                    self._db.execute(_SWEEP, {"now_ms": now_ms})
                return rows[0] if rows else None
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.005)

    async def aclose(self) -> None:
        self._db.close()
