"""The fast SQLite path: statements run inline on the event loop, not through aiosqlite's thread.

Why: through SQLAlchemy async + aiosqlite one small statement costs ~0.8 ms, nearly all of it
the two thread hand-offs per call (execute, fetch) and the greenlet bridge, against ~0.05 ms
for the same statement through SQLAlchemy's sync engine on the stdlib `sqlite3` (issue #8).
SQLite answers the API's statements (primary-key and indexed lookups on a local file) in
microseconds, so running them on the loop thread blocks it for less time than handing them to
a thread would.

What keeps that safe:

- **The loop never waits for a lock.** WAL readers do not take locks that writers hold, and
  the one lock a unit of work waits for, the write lock of `BEGIN IMMEDIATE`, is taken with a
  zero busy timeout and retried with `await asyncio.sleep` on SQLITE_BUSY, so a writer of
  another process (or one suspended in this process) never freezes the loop. Writers of this
  process queue on an `asyncio.Lock` first, so they do not spin against each other.
- **Big batches leave the loop.** An `executemany` of more than `OFFLOAD_ROWS` rows (a maximal
  replaceSlots) runs in a worker thread; `sqlite3` releases the GIL while it steps, so other
  requests keep being served.
- Each connection is used by one unit of work at a time (pool checkout), so handing it to a
  thread for one batch is safe (`check_same_thread=False`).

PostgreSQL keeps asyncpg: its I/O is network-bound, where async pays for itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, CursorResult, Dialect, make_url
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.pool import QueuePool

from dpi_server.adapters.db.engine import sqlite_pragmas

T = TypeVar("T")
# Larger batches go to a thread: 200 rows insert in ~1 ms, well under a p99 budget.
OFFLOAD_ROWS = 200
# A reader can meet SQLITE_BUSY only in rare WAL moments (recovery, a restarting WAL index);
# waiting this long for those on the loop is fine. Writers never block: see `begin_immediate`.
READ_BUSY_MS = 50
WRITE_LOCK_TIMEOUT_S = 30.0


def _is_busy(exc: BaseException) -> bool:
    original = getattr(exc, "orig", exc)
    return isinstance(original, sqlite3.OperationalError) and (
        "locked" in str(original) or "busy" in str(original)
    )


def _wrapped(statement: str, exc: sqlite3.Error) -> StatementError:
    """The driver's error as SQLAlchemy's, as every other statement raises it, so that
    adapters/db/errors.py reads them all alike (a busy database is a retryable conflict)."""
    return DBAPIError.instance(statement, None, exc, sqlite3.Error)


class InlineSqlite:
    """A sync SQLAlchemy engine on the same SQLite file, and the in-process writer queue."""

    def __init__(self, async_url: str, *, pool_size: int = 8, synchronous: str = "FULL") -> None:
        url = make_url(async_url).set(drivername="sqlite+pysqlite")
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_sync_engine(
            url,
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False},
        )

        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Transactions are issued by InlineConnection itself (BEGIN / BEGIN IMMEDIATE).
            sqlite_pragmas(
                dbapi_connection, busy_timeout_ms=READ_BUSY_MS, synchronous=synchronous.upper()
            )

        event.listen(self.engine, "connect", pragmas)
        self._write_lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop that first waits on it; tests and CLI commands run
        # one loop after another on the same container.
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._lock_loop is not loop:
            self._write_lock, self._lock_loop = asyncio.Lock(), loop
        return self._write_lock

    async def connect(self, *, write: bool) -> InlineConnection:
        lock = self._lock() if write else None
        if lock is not None:
            await lock.acquire()
        try:
            conn = self.engine.connect()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        inline = InlineConnection(conn, lock)
        try:
            if write:
                await inline.begin_immediate()
            else:
                inline.raw.execute("BEGIN")
        except BaseException:
            inline.close_now()
            raise
        return inline

    def dispose(self) -> None:
        self.engine.dispose()


class InlineConnection:
    """The part of `AsyncConnection` the repositories use, over a sync connection.

    The transaction is driven on the `sqlite3` connection itself (BEGIN/COMMIT/ROLLBACK), so
    it is exactly one database transaction whatever SQLAlchemy's autobegin does.
    """

    def __init__(self, conn: Connection, write_lock: asyncio.Lock | None) -> None:
        self._conn = conn
        self._write_lock = write_lock
        self.raw: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        # After a commit, the next statement opens a new transaction (as SQLAlchemy's
        # autobegin does), so that changes made after `commit()` still need their own.
        self._reopen = False

    @property
    def dialect(self) -> Dialect:
        return self._conn.dialect

    @property
    def sync_connection(self) -> Connection:
        return self._conn

    async def begin_immediate(self) -> None:
        """Take the database write lock without ever blocking the event loop on it."""
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_S
        delay = 0.0005
        self.raw.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    self.raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.Error as exc:
                    if not _is_busy(exc) or time.monotonic() > deadline:
                        raise _wrapped("BEGIN IMMEDIATE", exc) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.01)
        finally:
            self.raw.execute(f"PRAGMA busy_timeout={READ_BUSY_MS}")

    async def execute(
        self,
        statement: Any,
        parameters: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> CursorResult[Any]:
        options = execution_options or {}
        self._reopen_if_committed()
        if isinstance(parameters, Sequence) and len(parameters) > OFFLOAD_ROWS:
            return await asyncio.to_thread(
                self._conn.execute, statement, parameters, execution_options=options
            )
        return self._conn.execute(statement, parameters, execution_options=options)

    async def scalar(
        self,
        statement: Any,
        parameters: Mapping[str, Any] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        self._reopen_if_committed()
        return self._conn.scalar(statement, parameters, execution_options=execution_options or {})

    async def in_thread(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in a worker thread: for reads of many rows (a quarter of
        periods), whose fetching and conversion would otherwise hold the loop for tens of
        milliseconds. The unit of work waits for it, so the connection is never shared."""
        self._reopen_if_committed()
        return await asyncio.to_thread(work, self._conn)

    def _reopen_if_committed(self) -> None:
        if self._reopen:
            self._reopen = False
            self.raw.execute("BEGIN")

    async def commit(self) -> None:
        try:
            self.raw.commit()
        except sqlite3.Error as exc:
            raise _wrapped("COMMIT", exc) from exc
        self._reopen = True

    async def rollback(self) -> None:
        self.raw.rollback()

    def close_now(self) -> None:
        try:
            if self.raw.in_transaction:
                self.raw.rollback()
            self._conn.close()
        finally:
            if self._write_lock is not None and self._write_lock.locked():
                self._write_lock.release()
                self._write_lock = None
