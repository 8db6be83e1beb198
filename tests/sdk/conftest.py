"""Fixtures of the SDK tests: the SDK against the real dpi app, in-process (ASGI) for the
async client and on a real port (HTTPS) for the sync client, threads and the fault proxy."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

import dpi
from dpi_server.bootstrap import Container, build_app
from dpi_server.testing.estate import TestEstate
from tests.sdk.servers import FaultProxy, LiveDpi, ThreadedServer


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The SDK tests the wire, not the databases: SQLite only (tests/api covers both)."""
    return sqlite_url


@dataclass(frozen=True)
class Place:
    """The three ids of one address of an estate, in path order."""

    facility_id: int
    doctor_id: int
    address_id: int

    @property
    def ids(self) -> tuple[int, int, int]:
        return (self.facility_id, self.doctor_id, self.address_id)


def place(estate: TestEstate, index: int = 0) -> Place:
    """The i-th address of the estate (0: doctor 0's offline address at facility 0)."""
    return Place(*estate.extra["address_paths"][index])


@pytest.fixture
async def client(container: Container, estate: TestEstate) -> AsyncIterator[dpi.AsyncClient]:
    """An AsyncClient of the estate's API client, talking to the real app in-process."""
    transport = httpx.ASGITransport(app=build_app(container))
    async with dpi.AsyncClient(
        estate.client_id,
        estate.client_secret,
        base_url="https://testserver",
        transport=transport,
    ) as sdk:
        yield sdk


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDpi]:
    """dpi over HTTPS on a loopback port, shared by the session's sync tests."""
    server = LiveDpi(tmp_path_factory.mktemp("live"))
    server.server.start()
    yield server
    server.server.stop()


@pytest.fixture
def proxy(live: LiveDpi) -> Iterator[FaultProxy]:
    """A fault-injecting reverse proxy (plain HTTP on loopback) in front of `live`."""
    app = FaultProxy(live.url, ssl.create_default_context(cafile=str(live.ca_cert)))
    server = ThreadedServer(app).start()
    app.url = server.url
    yield app
    server.stop()
