"""The sandbox's reset point in SQL: a copy of every table beside it, restored in one
transaction (issue #10; docs/decisions.md "Reset").

`take` copies each table into `dpi_snapshot_<table>` (`CREATE TABLE ... AS SELECT *`, so the
database copies the rows without a round trip per row) and records in `sandbox_snapshot` the
columns copied and the id the table's next row would get. `restore` empties every table and
copies the rows back, children first out and parents first in, then puts the id counters
(PostgreSQL sequences, SQLite's AUTOINCREMENT counters) where they were, so ids after a reset
continue from the seeded ones. Everything runs in the caller's transaction: a reset is
complete or did not happen.

Tables in `SURVIVES_RESET` are never copied nor touched: the operator's credentials (the
token must keep working), the schema version, the cross-process cache generation (bumped
instead, so every process drops what it cached) and the rate-limit counters (the limiter
clears its own store, services/reset.py). A table that a later part adds to the metadata is
reset like any other; add it here if it must outlive resets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t

# The clock is not restored with the rows: its version counter must only grow (a change is
# refused when made from a stale read), so reset sends it back to real time by a hook instead.
SURVIVES_RESET = frozenset(
    {
        "operator_tokens",
        "cache_generations",
        "sandbox_snapshot",
        "rate_limit_counters",
        "sandbox_clock",
    }
)
COPY_PREFIX = "dpi_snapshot_"
# PostgreSQL: tables estimated above this many rows are truncated rather than deleted from.
TRUNCATE_ABOVE_ROWS = 2000
_BUMP = "UPDATE cache_generations SET value = value + 1 WHERE name = 'clients'"


def snapshot_tables() -> list[Table]:
    """The tables a reset restores, parents before children."""
    return [table for table in t.metadata.sorted_tables if table.name not in SURVIVES_RESET]


def _id_column(table: Table) -> str | None:
    column = table.autoincrement_column
    return None if column is None else column.name


class SqlSnapshotRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"
        self._quote = conn.dialect.identifier_preparer.quote

    async def _run(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return await self._conn.execute(text(sql), params or {})

    async def take(self, at: datetime) -> int:
        rows: list[dict[str, Any]] = []
        for table in snapshot_tables():
            name, copy = self._quote(table.name), self._quote(COPY_PREFIX + table.name)
            await self._run(f"DROP TABLE IF EXISTS {copy}")
            await self._run(f"CREATE TABLE {copy} AS SELECT * FROM {name}")
            rows.append(
                {
                    "table_name": table.name,
                    "columns": " ".join(c.name for c in table.columns),
                    "next_id": await self._next_id(table),
                    "taken_at": at,
                }
            )
        await self._conn.execute(delete(t.sandbox_snapshot))
        await self._conn.execute(insert(t.sandbox_snapshot), rows)
        return len(rows)

    async def taken_at(self) -> datetime | None:
        found: datetime | None = await self._conn.scalar(
            select(t.sandbox_snapshot.c.taken_at).limit(1)
        )
        return found

    async def restore(self) -> bool:
        snap = t.sandbox_snapshot
        result = await self._conn.execute(select(snap.c.table_name, snap.c.columns, snap.c.next_id))
        recorded = {row["table_name"]: row for row in result.mappings()}
        if not recorded:
            return False
        tables = snapshot_tables()
        emptied: set[str] = set()
        if self._postgres:
            # TRUNCATE costs about the same whatever the size, DELETE grows with the rows: big
            # tables (by the statistics' estimate) are truncated, with whatever refers to
            # them, and the rest deleted. TRUNCATE fires no DELETE triggers, hence _BUMP.
            big = await self._big_tables(tables)
            if big:
                await self._run(
                    "TRUNCATE " + ", ".join(self._quote(n) for n in sorted(big)) + " CASCADE"
                )
                emptied = big
        else:
            # Checked at commit, when every parent row is back.
            await self._run("PRAGMA defer_foreign_keys = ON")
        for table in reversed(tables):
            if table.name not in emptied:
                await self._run(f"DELETE FROM {self._quote(table.name)}")
        for table in tables:
            row = recorded.get(table.name)
            if row is None:
                continue  # a table added since the snapshot: it had no seeded rows then
            wanted = [c for c in str(row["columns"]).split() if c in table.columns]
            columns = ", ".join(self._quote(c) for c in wanted)
            await self._run(
                f"INSERT INTO {self._quote(table.name)} ({columns}) "
                f"SELECT {columns} FROM {self._quote(COPY_PREFIX + table.name)}"
            )
        await self._restore_counters(tables, {n: r["next_id"] for n, r in recorded.items()})
        if not self._postgres:
            # Every parent row is back. Checks are immediate again for whatever shares this
            # transaction (writers commit in groups: adapters/db/sqlite_inline.py).
            await self._run("PRAGMA defer_foreign_keys = OFF")
        await self._run(_BUMP)
        return True

    async def _big_tables(self, tables: list[Table]) -> set[str]:
        names = {x.name for x in tables}
        rows = await self._run(
            "SELECT relname FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND n_live_tup > :rows",
            {"rows": TRUNCATE_ABOVE_ROWS},
        )
        return {str(r[0]) for r in rows if r[0] in names}

    async def _next_id(self, table: Table) -> int | None:
        column = _id_column(table)
        if column is None:
            return None
        if self._postgres:
            sequence = await self._conn.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
            )
            if sequence is None:
                return None
            last, called = (await self._run(f"SELECT last_value, is_called FROM {sequence}")).one()
            return int(last) + 1 if called else int(last)
        seq = await self._conn.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
        )
        # Tables without AUTOINCREMENT continue from their largest id by themselves.
        return None if seq is None else int(seq) + 1

    async def _restore_counters(self, tables: list[Table], next_ids: dict[str, int | None]) -> None:
        if self._postgres:
            for table in tables:
                column = _id_column(table)
                if column is None:
                    continue
                await self._run(
                    "SELECT setval(pg_get_serial_sequence(:t, :c), :v, false)",
                    {"t": table.name, "c": column, "v": next_ids.get(table.name) or 1},
                )
            return
        # AUTOINCREMENT counters never go down by themselves: put back the recorded ones and
        # drop those of tables that had none then.
        names = [x.name for x in tables]
        placeholders = ", ".join(f":n{i}" for i in range(len(names)))
        await self._run(
            f"DELETE FROM sqlite_sequence WHERE name IN ({placeholders})",
            {f"n{i}": n for i, n in enumerate(names)},
        )
        for name in names:
            value = next_ids.get(name)
            if value is not None:
                await self._run(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (:n, :s)",
                    {"n": name, "s": value - 1},
                )
