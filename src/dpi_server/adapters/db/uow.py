"""The SQL unit of work: one connection, one transaction, repositories bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self, cast

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from dpi_server.adapters.db.cache_writes import take_mark
from dpi_server.adapters.db.calendar_repositories import (
    SqlBookingRepository,
    SqlCalendarRepository,
)
from dpi_server.adapters.db.directory_repositories import (
    SqlAddressServiceRepository,
    SqlDirectoryRepository,
    SqlInsuranceRepository,
)
from dpi_server.adapters.db.engine import is_sqlite
from dpi_server.adapters.db.errors import translate
from dpi_server.adapters.db.notification_repository import SqlNotificationRepository
from dpi_server.adapters.db.outbox import write_events
from dpi_server.adapters.db.repositories import (
    SqlClientRepository,
    SqlEstateWriter,
    SqlTokenRepository,
)
from dpi_server.adapters.db.sandbox_repository import SqlSandboxRepository
from dpi_server.adapters.db.snapshot import SqlSnapshotRepository
from dpi_server.adapters.db.sqlite_inline import InlineConnection, InlineSqlite
from dpi_server.domain.events import Event
from dpi_server.domain.notification_payloads import Directory


class SqlUnitOfWork:
    """Opens a transaction on enter; rolls back on exit unless `commit()` was called.

    `write=True` asks SQLite for `BEGIN IMMEDIATE`, taking the database write lock up front so
    that read-then-write sequences cannot interleave (ARCHITECTURE.md "Concurrency"). Events
    collected from the changes are written by `commit()`, in the same transaction. Database
    errors leave through `adapters/db/errors.py`, as documented answers or a retry signal.

    With `inline` (SQLite), statements run on the loop thread through a sync connection
    (adapters/db/sqlite_inline.py); otherwise through the async engine (asyncpg, or aiosqlite
    when no inline path is given).

    `on_cache_write` runs after a commit that wrote rows the hot-path cache is built from,
    with the families written (adapters/db/cache_writes.py), so this process drops its
    copies at once.
    """

    clients: SqlClientRepository
    tokens: SqlTokenRepository
    directory: SqlDirectoryRepository
    address_services: SqlAddressServiceRepository
    insurance: SqlInsuranceRepository
    estate_writer: SqlEstateWriter
    calendar: SqlCalendarRepository
    bookings: SqlBookingRepository
    notifications: SqlNotificationRepository
    sandbox: SqlSandboxRepository
    snapshots: SqlSnapshotRepository

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write: bool = False,
        inline: InlineSqlite | None = None,
        on_cache_write: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        self._engine = engine
        self._on_cache_write = on_cache_write
        self._write = write
        self._inline = inline
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._inline_conn: InlineConnection | None = None
        self._events: list[Event] = []
        self._known: list[Directory] = []

    @property
    def connection(self) -> AsyncConnection:
        conn = cast(AsyncConnection | None, self._inline_conn) or self._conn
        assert conn is not None, "unit of work not entered"
        return conn

    async def __aenter__(self) -> Self:
        if self._inline is not None:
            try:
                self._inline_conn = await self._inline.connect(write=self._write)
            except DBAPIError as exc:
                raise translate(exc) or exc from exc
            # The repositories only call execute/scalar/dialect, which InlineConnection has.
            self._bind(cast(AsyncConnection, self._inline_conn))
            return self
        conn = await self._engine.connect()
        try:
            if is_sqlite(str(self._engine.url)):
                conn = await conn.execution_options(
                    sqlite_begin="IMMEDIATE" if self._write else "DEFERRED"
                )
            self._tx = await conn.begin()
        except DBAPIError as exc:
            await conn.close()
            raise translate(exc) or exc from exc
        self._conn = conn
        self._bind(conn)
        return self

    def _bind(self, conn: AsyncConnection) -> None:
        self.clients = SqlClientRepository(conn)
        self.tokens = SqlTokenRepository(conn)
        self.directory = SqlDirectoryRepository(conn)
        self.address_services = SqlAddressServiceRepository(conn)
        self.insurance = SqlInsuranceRepository(conn)
        self.estate_writer = SqlEstateWriter(conn)
        self.calendar = SqlCalendarRepository(conn)
        self.bookings = SqlBookingRepository(conn)
        self.notifications = SqlNotificationRepository(conn)
        self.sandbox = SqlSandboxRepository(conn)
        self.snapshots = SqlSnapshotRepository(conn)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._inline_conn is not None:
                inline, self._inline_conn = self._inline_conn, None
                inline.close_now()  # what it did not commit is rolled back, marks too
            elif self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            if self._conn is not None:
                take_mark(self._conn.sync_connection)
                await self._conn.close()
            self._conn = None
            self._tx = None
            self._events.clear()
            self._known.clear()
        if isinstance(exc, DBAPIError):
            translated = translate(exc)
            if translated is not None:
                raise translated from exc

    def collect(self, events: Iterable[Event], known: Directory | None = None) -> None:
        self._events.extend(events)
        if known is not None:
            self._known.append(known)

    async def commit(self) -> None:
        if self._inline_conn is not None:
            await write_events(cast(AsyncConnection, self._inline_conn), self._events, self._known)
            self._events.clear()
            self._notify(await self._inline_conn.commit())
            return
        assert self._conn is not None
        await write_events(self._conn, self._events, self._known)
        self._events.clear()
        assert self._tx is not None
        await self._tx.commit()
        self._committed(self._conn.sync_connection)

    def _committed(self, conn: Connection | None) -> None:
        self._notify(take_mark(conn))

    def _notify(self, families: frozenset[str]) -> None:
        if families and self._on_cache_write is not None:
            self._on_cache_write(families)
