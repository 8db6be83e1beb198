#!/usr/bin/env python3
"""How long `reset` takes (issue #10 item 2): the demo estate, and a larger seeded one.

For each estate: a fresh SQLite file (or a scratch PostgreSQL database with
`--postgres-url`), the first-run seed, the snapshot; then rounds of "change something (a new
client with an estate of its own), reset", timing the reset use case alone (the whole
restore transaction and the reset hooks), as `POST /_sandbox/reset` runs it.

    .venv/bin/python scripts/bench_reset.py [--rounds 10] [--facilities 50 --doctors 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.snapshot import snapshot_tables
from dpi_server.bootstrap import Container, build
from dpi_server.config import Settings
from dpi_server.domain.actors import OperatorActor
from dpi_server.sandbox.bulk_seed import seed_estate
from dpi_server.sandbox.seed import seed_demo_estate
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder

OPERATOR = OperatorActor()


async def _rows(container: Container) -> int:
    total = 0
    async with container.engine.connect() as conn:
        for table in snapshot_tables():
            total += int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return total


async def _scratch_postgres(base: str) -> tuple[str, str]:
    name = f"dpi_bench_reset_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


async def _drop_postgres(base: str, name: str) -> None:
    engine = create_engine(base)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def bench(label: str, url: str, data_dir: Path, rounds: int, size: tuple[int, int]) -> None:
    settings = Settings(data_dir=data_dir, database_url=url, insecure_http=True)
    container = build(settings, clock=FakeClock())
    try:
        await container.migrate()
        services = container.services
        started = time.perf_counter()
        await seed_demo_estate(services)
        if size != (0, 0):
            await seed_estate(services, facilities=size[0], doctors_per_facility=size[1])
        seeded_s = time.perf_counter() - started
        await services.reset.snapshot(OPERATOR)
        rows = await _rows(container)
        builder = EstateBuilder(services)
        timings: list[float] = []
        for _ in range(rounds):
            await builder.build()
            began = time.perf_counter()
            await services.reset.reset(OPERATOR)
            timings.append((time.perf_counter() - began) * 1000)
        assert await _rows(container) == rows
        print(
            f"| {label} | {rows:,} | {seeded_s:.1f} s | {statistics.median(timings):.1f} | "
            f"{min(timings):.1f} | {max(timings):.1f} |"
        )
    finally:
        await container.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--doctors", type=int, default=20, help="per facility")
    parser.add_argument("--postgres-url", default=None, help="also on PostgreSQL (scratch DB)")
    args = parser.parse_args()
    cases = [
        ("demo estate", (0, 0)),
        (f"demo + {args.facilities} x {args.doctors} doctors", (args.facilities, args.doctors)),
    ]
    print(f"reset, {args.rounds} rounds each (ms: median, min, max)\n")
    print("| estate | rows restored | seeding | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|")
    for label, size in cases:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            await bench(f"{label}, SQLite", url, Path(tmp), args.rounds, size)
        if args.postgres_url:
            url, name = await _scratch_postgres(args.postgres_url)
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    await bench(f"{label}, PostgreSQL", url, Path(tmp), args.rounds, size)
            finally:
                await _drop_postgres(args.postgres_url, name)


if __name__ == "__main__":
    asyncio.run(main())
