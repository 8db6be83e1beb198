"""Reading the shared cache generation (services/cache.py `GenerationReader`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.sqlite_inline import InlineSqlite

_QUERY = select(t.cache_generations.c.value).where(t.cache_generations.c.name == "clients")


class SqlGenerationReader:
    """One primary-key read outside any unit of work; on SQLite through the inline path."""

    def __init__(self, engine: AsyncEngine, inline: InlineSqlite | None = None) -> None:
        self._engine = engine
        self._inline = inline

    async def current(self) -> int:
        if self._inline is not None:
            with self._inline.engine.connect() as conn:
                value = conn.scalar(_QUERY)
        else:
            async with self._engine.connect() as conn:
                value = await conn.scalar(_QUERY)
        return int(value or 0)
