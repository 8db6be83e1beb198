"""SQL storage of the sandbox's own state (operator credentials)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t


class SqlSandboxRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def operator_token_hashes(self) -> list[str]:
        rows = await self._conn.execute(select(t.operator_tokens.c.token_hash))
        return [str(row[0]) for row in rows]

    async def add_operator_token(self, token_hash: str, at: datetime) -> None:
        if token_hash in await self.operator_token_hashes():
            return
        await self._conn.execute(
            insert(t.operator_tokens).values(token_hash=token_hash, created_at=at)
        )
