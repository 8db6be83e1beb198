"""Writers of one process commit in groups on SQLite (adapters/db/sqlite_inline.py): several
units share one transaction, each in its own savepoint, and none is told it committed before
the group's COMMIT; a unit that fails takes only its own changes back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.db import sqlite_inline
from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.adapters.db.uow import SqlUnitOfWork


@dataclass
class Db:
    path: Path
    engine: AsyncEngine
    inline: InlineSqlite

    def uow(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write, inline=self.inline)

    def committed_names(self) -> list[str]:
        """What another connection (another process) sees committed."""
        other = sqlite3.connect(self.path)
        try:
            return sorted(r[0] for r in other.execute("SELECT name FROM facilities"))
        finally:
            other.close()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Db]:
    path = tmp_path / "dpi.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await migrate(engine)
    inline = InlineSqlite(url)
    try:
        yield Db(path, engine, inline)
    finally:
        inline.dispose()
        await engine.dispose()


@pytest.fixture
def groups() -> list[int]:
    """The number of committed units of each group that ends."""
    sizes: list[int] = []
    original = InlineSqlite._end_group

    def counting(self: InlineSqlite, group: sqlite_inline.WriteGroup) -> None:
        sizes.append(len(group.waiting))
        original(self, group)

    with patch.object(InlineSqlite, "_end_group", counting):
        yield sizes


async def add(db: Db, name: str, seen: dict[str, list[str]]) -> None:
    await asyncio.sleep(0)  # every writer starts before the first one commits
    async with db.uow(write=True) as uow:
        await uow.estate_writer.add_facility("pl", name)
        await uow.commit()
        # Told "committed": another connection sees it already.
        seen[name] = db.committed_names()


async def test_concurrent_writers_share_one_commit_and_each_is_durable_when_told(
    db: Db, groups: list[int]
) -> None:
    seen: dict[str, list[str]] = {}
    names = [f"F{n}" for n in range(10)]

    await asyncio.gather(*(add(db, name, seen) for name in names))

    assert db.committed_names() == sorted(names)
    for name in names:
        assert name in seen[name], name
    # Ten writers that were all running: fewer COMMITs than units.
    assert sum(groups) == 10
    assert len([size for size in groups if size]) < 10


async def test_a_failing_unit_takes_back_only_its_own_changes(db: Db, groups: list[int]) -> None:
    seen: dict[str, list[str]] = {}

    async def failing() -> None:
        await asyncio.sleep(0)
        async with db.uow(write=True) as uow:
            await uow.estate_writer.add_facility("pl", "Gone")
            raise RuntimeError("the use case refused")

    results = await asyncio.gather(
        add(db, "Before", seen), failing(), add(db, "After", seen), return_exceptions=True
    )

    assert [type(r) for r in results] == [type(None), RuntimeError, type(None)]

    assert db.committed_names() == ["After", "Before"]
    assert sum(groups) == 2


async def test_a_unit_that_goes_on_after_commit_writes_in_a_later_group(
    db: Db, groups: list[int]
) -> None:
    async with db.uow(write=True) as uow:
        await uow.estate_writer.add_facility("pl", "First")
        await uow.commit()
        assert db.committed_names() == ["First"]
        await uow.estate_writer.add_facility("pl", "Second")
        await uow.commit()
    assert db.committed_names() == ["First", "Second"]
    assert groups == [1, 1]


async def test_a_unit_left_without_commit_after_one_keeps_the_first(db: Db) -> None:
    async with db.uow(write=True) as uow:
        await uow.estate_writer.add_facility("pl", "Kept")
        await uow.commit()
        await uow.estate_writer.add_facility("pl", "Dropped")
    assert db.committed_names() == ["Kept"]


async def test_a_failed_commit_fails_every_unit_of_the_group(db: Db) -> None:
    """If the group's COMMIT fails, no member is told it committed and nothing is stored."""
    seen: dict[str, list[str]] = {}
    real_end = InlineSqlite._end_group

    def broken_disk(self: InlineSqlite, group: sqlite_inline.WriteGroup) -> None:
        if group.waiting:
            group.raw.rollback()  # what SQLite does when the disk fails under a COMMIT
        real_end(self, group)

    with patch.object(InlineSqlite, "_end_group", broken_disk):
        results = await asyncio.gather(
            add(db, "A", seen), add(db, "B", seen), return_exceptions=True
        )

    assert all(isinstance(r, Exception) for r in results), results
    assert seen == {}
    assert db.committed_names() == []
    # The next writer starts a fresh group and commits.
    await add(db, "C", seen)
    assert db.committed_names() == ["C"]


async def test_a_group_is_bounded_in_size(db: Db, groups: list[int]) -> None:
    seen: dict[str, list[str]] = {}
    with patch.object(sqlite_inline, "GROUP_SIZE", 3):
        await asyncio.gather(*(add(db, f"F{n}", seen) for n in range(10)))
    assert db.committed_names() == sorted(f"F{n}" for n in range(10))
    assert max(groups) <= 3
