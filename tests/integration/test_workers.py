"""`dpi serve --workers N`: several processes on one port, limits exact without Redis (#8)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from tests.conftest import _admin
from tests.integration.test_ratelimit_processes import wait_for_a_fresh_minute
from tests.integration.test_serve import free_port, start, stop, wait_for_port

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite in the data dir; otherwise an empty PostgreSQL database of its own, so
    that `dpi serve` seeds the demo estate as on a first run."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get("DPI_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("DPI_TEST_POSTGRES_URL not set")
    name = f"dpi_workers_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_two_workers_share_the_port_and_the_write_window(
    tmp_path: Path, database: str | None
) -> None:
    """60 writes through one port served by 2 processes, no Redis: exactly 40 get through."""
    port = free_port()
    env = {"DPI_INSECURE_HTTP": "1", "DPI_HTTP_PORT": "0", "DPI_WORKERS": "2"}
    if database:
        env["DPI_DATABASE_URL"] = database
    process = start(["--data-dir", str(tmp_path), "--port", str(port)], env)
    try:
        wait_for_port(port, process)
        # The supervisor binds the port before it spawns the children: wait for them.
        children = _children_once(process.pid, at_least=2)
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/oauth/v2/token",
            auth=(creds["client_id"], creds["client_secret"]),
            data={"grant_type": "client_credentials"},
            # The children may still be starting (seconds on a loaded machine): the kernel
            # holds the connection until one accepts it.
            timeout=30,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def write(_: int) -> int:
            # A fresh connection per request, so the kernel spreads them over both workers.
            url = f"{base}/api/v3/integration/facilities/1/doctors/1/addresses/1/calendar/disable"
            return httpx.post(url, headers=headers, timeout=30).status_code

        wait_for_a_fresh_minute()
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(write, range(60)))
    finally:
        stop(process)

    assert statuses.count(429) == 20, statuses
    assert len(statuses) - statuses.count(429) == 40
    # Two serving children (plus multiprocessing's resource tracker).
    assert len(children) >= 2


def test_processes_starting_together_migrate_one_after_the_other(
    tmp_path: Path, database: str | None
) -> None:
    """Hosts of one deployment start at once: each migrates, none trips over the others."""
    url = database or f"sqlite+aiosqlite:///{tmp_path / 'dpi.sqlite3'}"

    async def run() -> None:
        engines = [create_engine(url) for _ in range(3)]
        try:
            await asyncio.gather(*(migrate(engine) for engine in engines))
        finally:
            for engine in engines:
                await engine.dispose()

    asyncio.run(run())


def _children_once(pid: int, *, at_least: int, timeout: float = 30.0) -> list[str]:
    """The child pids of `pid` once there are `at_least` of them (or what there is at the
    deadline, for the assertion to report)."""
    deadline = time.monotonic() + timeout
    while True:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(children) >= at_least or time.monotonic() > deadline:
            return children
        time.sleep(0.1)
