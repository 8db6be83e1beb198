"""The shared sandbox clock's row (services/shared_clock.py `ClockStore`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.domain.clock import ClockState

_ROW = 1
_c = t.sandbox_clock


class SqlClockStore:
    """Outside any unit of work, as the cache generation is read; reads on SQLite go through
    the inline path (one primary-key read costs microseconds there)."""

    def __init__(self, engine: AsyncEngine, inline: InlineSqlite | None = None) -> None:
        self._engine = engine
        self._inline = inline

    async def load(self) -> ClockState:
        query = select(_c).where(_c.c.id == _ROW)
        if self._inline is not None:
            with self._inline.engine.connect() as conn:
                row = conn.execute(query).mappings().first()
        else:
            async with self._engine.connect() as aconn:
                row = (await aconn.execute(query)).mappings().first()
        if row is None:
            return ClockState()
        return ClockState(
            mode=row["mode"],
            frozen_at=row["frozen_at"],
            offset=timedelta(microseconds=int(row["offset_us"])),
            version=int(row["version"]),
        )

    async def save(self, state: ClockState) -> bool:
        values = {
            "mode": state.mode,
            "frozen_at": state.frozen_at,
            "offset_us": state.offset // timedelta(microseconds=1),
            "version": state.version + 1,
        }
        # Writes are rare and take the async engine, which waits for SQLite's write lock.
        async with self._engine.begin() as aconn:
            return await aconn.run_sync(lambda sync: _save(sync, state.version, values))


def _save(conn: Connection, seen: int, values: dict[str, Any]) -> bool:
    changed = conn.execute(update(_c).where(_c.c.id == _ROW, _c.c.version == seen).values(**values))
    if changed.rowcount:
        return True
    if seen != 0:
        return False
    # A database made without the migration's row (metadata.create_all): the first change
    # creates it; a racing first change loses on the primary key.
    try:
        with conn.begin_nested():
            conn.execute(insert(_c).values(id=_ROW, **values))
    except IntegrityError:
        return False
    return True
