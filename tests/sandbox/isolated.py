"""A database of the test's own, seeded like `dpi serve`'s first run (demo estate, then the
snapshot): resets wipe whole databases, so they must not share the session's one."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.domain.actors import OperatorActor
from dpi_server.sandbox.seed import seed_demo_estate
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder
from tests.conftest import Api, _admin, _needs

_numbers = itertools.count(1)


async def _fresh_url(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    """A migrated, empty database; for PostgreSQL also its name (dropped afterwards)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        name = None
    else:
        base = _needs("DPI_TEST_POSTGRES_URL", "PostgreSQL")
        name = f"dpi_t_fresh_{os.getpid()}_{next(_numbers)}"
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
        await _admin(base, f'CREATE DATABASE "{name}"')
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    return url, name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def open_fresh(backend: str, tmp_path: Path, *, seed: bool = True) -> AsyncIterator[Api]:
    url, name = await _fresh_url(backend, tmp_path)
    clock = FakeClock()
    settings = Settings(
        data_dir=tmp_path, database_url=url, insecure_http=False, public_host="testserver"
    )
    container = build(settings, clock=clock)
    try:
        if seed:
            await seed_demo_estate(container.services)
            await container.services.reset.snapshot(OperatorActor())
        transport = httpx.ASGITransport(app=build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield Api(http, container, clock, EstateBuilder(container.services))
    finally:
        await container.close()
        if name is not None:
            await _admin(
                os.environ["DPI_TEST_POSTGRES_URL"],
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            )


@pytest.fixture
async def fresh(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The app on a database of its own, seeded with the demo estate and snapshotted."""
    async for api in open_fresh(backend, tmp_path):
        yield api


@pytest.fixture
async def unseeded(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The app on an empty database of its own (a server started with --no-seed)."""
    async for api in open_fresh(backend, tmp_path, seed=False):
        yield api


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a sandbox success (plain `application/json`)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()
