"""Shared fixtures: the real app over HTTP (in-process ASGI) on a real SQLite file and, when
available, a real PostgreSQL. Every API test runs on both backends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.api.openapi import openapi_document
from dpi_server.bootstrap import Container, build, build_app
from dpi_server.config import Settings
from dpi_server.domain.environments import PRODUCTION, SANDBOX
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder, TestEstate
from tests.contract.validator import ContractValidator

REQUIRE_SERVICES = os.environ.get("DPI_REQUIRE_SERVICES") == "1"


def _needs(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if not value:
        reason = f"{variable} not set: no {what} for this test (scripts/test starts one)"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    return value


def _migrate_once(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "dpi.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    _migrate_once(url)
    return url


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A database of this session's own, so parallel workers and runs never collide."""
    base = _needs("DPI_TEST_POSTGRES_URL", "PostgreSQL")
    name = f"dpi_t_{os.getpid()}_{worker_id}".lower()
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    _migrate_once(url)
    yield url
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=database_url, insecure_http=False, public_host="testserver"
    )


@pytest.fixture
async def container(settings: Settings, clock: FakeClock) -> AsyncIterator[Container]:
    built = build(settings, clock=clock)
    yield built
    await built.close()


@dataclass
class Api:
    """The app over HTTP plus what a test needs to arrange data."""

    http: httpx.AsyncClient
    container: Container
    clock: FakeClock
    builder: EstateBuilder

    async def estate(self, **kwargs: object) -> TestEstate:
        return await self.builder.build(**kwargs)  # type: ignore[arg-type]

    async def operator_headers(self) -> dict[str, str]:
        """Headers of the sandbox's operator (a token installed as `dpi serve` does)."""
        token = "operator-token-of-the-tests-0123456789"
        await self.container.services.operator_auth.install(token)
        return {"Authorization": f"Bearer {token}"}

    async def fresh_token(self, estate: TestEstate) -> dict[str, str]:
        """A new token for the estate's client (after moving the clock past 24 h)."""
        issued = await self.container.services.auth.issue_token(
            grant_type="client_credentials",
            scope="integration",
            client_id=estate.client_id,
            client_secret=estate.client_secret,
        )
        estate.token = issued.access_token
        return estate.headers


@pytest.fixture(scope="session")
def contract() -> ContractValidator:
    """Our own OpenAPI document, as a checker of real responses."""
    return ContractValidator(openapi_document())


@pytest.fixture
async def api(
    container: Container, clock: FakeClock, contract: ContractValidator
) -> AsyncIterator[Api]:
    """The app over HTTP; every response it gives is checked against our OpenAPI document."""
    app = build_app(container)
    transport = httpx.ASGITransport(app=app)

    async def check_contract(response: httpx.Response) -> None:
        await response.aread()
        contract.check(response)

    async with httpx.AsyncClient(
        transport=transport,
        base_url="https://testserver",
        event_hooks={"response": [check_contract]},
    ) as http:
        yield Api(http, container, clock, EstateBuilder(container.services))
    await _back_to_sandbox(container)


async def _back_to_sandbox(container: Container) -> None:
    """The session's database is shared by the tests of a worker: a production client left
    behind would close time travel and reset to every later test, so each test's go back to
    sandbox when it ends."""
    clients = container.services.clients
    for client, _facilities in await clients.list():
        if client.environment == PRODUCTION and client.usable:
            await clients.set_environment(client.client_id, SANDBOX)


@pytest.fixture
async def estate(api: Api) -> TestEstate:
    return await api.estate()


# Lines a test wants in the session summary (the fuzz run's case count): passing tests' output
# is not shown, and under xdist only what travels with a report reaches the controller.
SUMMARY_PROPERTY = "session_summary"
_summary_lines: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _summary_lines.extend(
            str(value) for key, value in report.user_properties if key == SUMMARY_PROPERTY
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _summary_lines:
        terminalreporter.write_line(line)
