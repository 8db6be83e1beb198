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
- **Writers of this process commit in groups** (`WriteGroup`). With `synchronous=FULL` every
  COMMIT waits for the disk, and that wait, on the loop, was a fifth of a booking (issue #8).
  So consecutive writers share one SQLite transaction: each unit of work runs inside its own
  SAVEPOINT, and its `commit()` releases the savepoint, lets the next writer in and waits
  until the whole group is COMMITted, which happens as soon as no writer is waiting (or the
  group is `GROUP_AGE_S` old or `GROUP_SIZE` large). Nobody is told "committed" before the
  disk has it, a unit that fails rolls back its savepoint alone, and readers (other
  connections) only ever see what is committed. If the COMMIT itself fails every member of
  the group gets the error; nothing of the group was stored.

PostgreSQL keeps asyncpg: its I/O is network-bound, where async pays for itself.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from dpi_server.adapters.db.cache_writes import take_mark
from dpi_server.adapters.db.engine import sqlite_pragmas

T = TypeVar("T")
# Larger batches go to a thread: 200 rows insert in ~1 ms, well under a p99 budget.
OFFLOAD_ROWS = 200
# A reader can meet SQLITE_BUSY only in rare WAL moments (recovery, a restarting WAL index);
# waiting this long for those on the loop is fine. Writers never block: see `begin_immediate`.
READ_BUSY_MS = 50
WRITE_LOCK_TIMEOUT_S = 30.0
# A group is committed at the first boundary after this age or this many members: it bounds
# how long a committed unit waits and how long another process waits for the write lock.
GROUP_AGE_S = 0.01
GROUP_SIZE = 64
_UNIT = "dpi_unit"  # the savepoint of the unit of work inside the group's transaction


def _is_busy(exc: BaseException) -> bool:
    original = getattr(exc, "orig", exc)
    return isinstance(original, sqlite3.OperationalError) and (
        "locked" in str(original) or "busy" in str(original)
    )


def _wrapped(statement: str, exc: sqlite3.Error) -> StatementError:
    """The driver's error as SQLAlchemy's, as every other statement raises it, so that
    adapters/db/errors.py reads them all alike (a busy database is a retryable conflict)."""
    return DBAPIError.instance(statement, None, exc, sqlite3.Error)


class WriteGroup:
    """One SQLite transaction that consecutive writers of this process share."""

    def __init__(self, conn: Connection, raw: sqlite3.Connection) -> None:
        self.conn = conn
        self.raw = raw
        self.started = time.monotonic()
        self.members = 0
        # One per unit whose savepoint was released: resolved by the group's COMMIT.
        self.waiting: list[asyncio.Future[None]] = []

    @property
    def due(self) -> bool:
        return self.members >= GROUP_SIZE or time.monotonic() - self.started >= GROUP_AGE_S


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
        self._group: WriteGroup | None = None
        # Writers queued for the lock or inside it: while there are any, one of them ends
        # the group; when the last leaves, the group is committed (`_flush`).
        self._writers = 0
        self._flush_soon = False

    def _lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop that first waits on it; tests and CLI commands run
        # one loop after another on the same container.
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._lock_loop is not loop:
            self._write_lock, self._lock_loop = asyncio.Lock(), loop
            self._writers = 0
            self._flush_soon = False
            if self._group is not None:  # left open by a loop that is gone
                self._end_group(self._group)
        return self._write_lock

    async def connect(self, *, write: bool) -> InlineConnection:
        if write:
            return InlineConnection(self, await self.enter_group())
        conn = self.engine.connect()
        inline = InlineConnection(self, None, conn)
        try:
            inline.raw.execute("BEGIN")
        except BaseException:
            inline.close_now()
            raise
        return inline

    async def enter_group(self) -> WriteGroup:
        """Take the writer lock and open this unit's savepoint in the current group (a new
        one when there is none, or when the current one is due)."""
        lock = self._lock()
        self._writers += 1
        try:
            await lock.acquire()
        except BaseException:
            self._leave()
            raise
        try:
            group = self._group
            if group is not None and group.due:
                self._end_group(group)
                group = None
            if group is None:
                group = await self._new_group()
            group.raw.execute(f"SAVEPOINT {_UNIT}")
            return group
        except BaseException:
            lock.release()
            self._leave()
            raise

    async def _new_group(self) -> WriteGroup:
        conn = self.engine.connect()
        group = WriteGroup(conn, conn.connection.driver_connection)  # type: ignore[arg-type]
        try:
            await _begin_immediate(group.raw)
        except BaseException:
            conn.close()
            raise
        self._group = group
        return group

    def leave_group(self, group: WriteGroup) -> None:
        """The unit of work is out of the group (savepoint released or rolled back)."""
        if self._write_lock is not None and self._write_lock.locked():
            self._write_lock.release()
        self._leave()

    def _leave(self) -> None:
        self._writers -= 1
        if self._writers == 0 and not self._flush_soon:
            # A unit runs from its savepoint to its commit without yielding, so no writer
            # is ever queued behind it: the group ends after the requests already running
            # have had their turn, and those that reached a write by then join it.
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_soon = False
        if self._writers == 0 and self._group is not None:
            self._end_group(self._group)

    def _end_group(self, group: WriteGroup) -> None:
        """COMMIT the group (ROLLBACK when no unit committed) and answer its waiters."""
        self._group = None
        error: sqlite3.Error | None = None
        try:
            if group.waiting and not group.raw.in_transaction:
                # SQLite ended the transaction itself (an I/O or memory error).
                error = sqlite3.OperationalError("the write group's transaction was lost")
            elif group.waiting:
                group.raw.commit()
            else:
                group.raw.rollback()
        except sqlite3.Error as exc:
            error = exc
            _quietly_roll_back(group.raw)
        finally:
            group.conn.close()
        _answer(group, error)

    def lose_group(self, group: WriteGroup, error: sqlite3.Error) -> None:
        """SQLite rolled the group's transaction back by itself (a disk or memory error):
        every unit waiting for it fails, and the group is gone."""
        if self._group is group:
            self._group = None
        _quietly_roll_back(group.raw)
        group.conn.close()
        _answer(group, error)

    def dispose(self) -> None:
        if self._group is not None:
            self._end_group(self._group)
        self.engine.dispose()


async def _begin_immediate(raw: sqlite3.Connection) -> None:
    """Take the database write lock without ever blocking the event loop on it."""
    deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_S
    delay = 0.0005
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise _wrapped("BEGIN IMMEDIATE", exc) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.01)
    finally:
        raw.execute(f"PRAGMA busy_timeout={READ_BUSY_MS}")


def _answer(group: WriteGroup, error: sqlite3.Error | None) -> None:
    """Wake the group's committed units: done, or each with the COMMIT's error."""
    waiting, group.waiting = group.waiting, []
    for waiter in waiting:
        if waiter.done() or waiter.get_loop().is_closed():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(_wrapped("COMMIT", error))


def _quietly_roll_back(raw: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        if raw.in_transaction:
            raw.rollback()


class InlineConnection:
    """The part of `AsyncConnection` the repositories use, over a sync connection.

    A reader drives its own transaction on the `sqlite3` connection (BEGIN/ROLLBACK); a writer
    runs in a savepoint of its write group's transaction (see the module's docstring), so it
    is exactly one unit of work whatever SQLAlchemy's autobegin does.
    """

    def __init__(
        self, owner: InlineSqlite, group: WriteGroup | None, conn: Connection | None = None
    ) -> None:
        self._owner = owner
        self._group = group
        self._conn: Connection = group.conn if group is not None else conn  # type: ignore[assignment]
        self.raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]
        # After a commit, the next statement opens a new transaction (a writer: rejoins a
        # group), as SQLAlchemy's autobegin does, so that changes made after `commit()` still
        # need their own.
        self._reopen = False

    @property
    def dialect(self) -> Dialect:
        return self._conn.dialect

    @property
    def sync_connection(self) -> Connection:
        return self._conn

    async def execute(
        self,
        statement: Any,
        parameters: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> CursorResult[Any]:
        options = execution_options or {}
        await self._reopen_if_committed()
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
        await self._reopen_if_committed()
        return self._conn.scalar(statement, parameters, execution_options=execution_options or {})

    async def in_thread(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in a worker thread: for reads of many rows (a quarter of
        periods), whose fetching and conversion would otherwise hold the loop for tens of
        milliseconds. The unit of work waits for it, so the connection is never shared."""
        await self._reopen_if_committed()
        return await asyncio.to_thread(work, self._conn)

    async def _reopen_if_committed(self) -> None:
        if not self._reopen:
            return
        self._reopen = False
        if self._group is None:
            self.raw.execute("BEGIN")
            return
        self._group = await self._owner.enter_group()
        self._conn = self._group.conn
        self.raw = self._conn.connection.driver_connection  # type: ignore[assignment]

    async def commit(self) -> frozenset[str]:
        """Make the unit's changes durable; returns the table families it wrote (for the
        caches, adapters/db/cache_writes.py), taken before any other writer can add to them."""
        group = self._group
        if group is None:
            families = take_mark(self._conn)
            try:
                self.raw.commit()
            except sqlite3.Error as exc:
                raise _wrapped("COMMIT", exc) from exc
            self._reopen = True
            return families
        if self._reopen:  # committed and nothing written since
            return frozenset()
        families = take_mark(self._conn)
        try:
            group.raw.execute(f"RELEASE {_UNIT}")
        except sqlite3.Error as exc:
            self._lost(group, exc)
            raise _wrapped("RELEASE", exc) from exc
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        group.waiting.append(durable)
        group.members += 1
        self._reopen = True
        self._owner.leave_group(group)  # the next writer joins, or the group commits now
        await asyncio.shield(durable)
        return families

    async def rollback(self) -> None:
        if self._group is None:
            self.raw.rollback()
            return
        if not self._reopen:
            self._roll_back_unit(self._group)
            self._reopen = True
            self._owner.leave_group(self._group)

    def _roll_back_unit(self, group: WriteGroup) -> None:
        take_mark(self._conn)  # rolled back: nothing changed
        try:
            group.raw.execute(f"ROLLBACK TO {_UNIT}")
            group.raw.execute(f"RELEASE {_UNIT}")
        except sqlite3.Error as exc:
            self._lost(group, exc)

    def _lost(self, group: WriteGroup, exc: sqlite3.Error) -> None:
        self._owner.lose_group(group, exc)

    def close_now(self) -> None:
        group = self._group
        if group is None:
            take_mark(self._conn)  # rolled back: nothing changed
            try:
                if self.raw.in_transaction:
                    self.raw.rollback()
            finally:
                self._conn.close()
            return
        if not self._reopen:  # left without commit: this unit's changes go, the group stays
            self._roll_back_unit(group)
            self._reopen = True
            self._owner.leave_group(group)
