"""Fixtures of the API tests beyond tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from dpi_server.bootstrap import Container, build_app


@pytest.fixture
async def full_stack(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The same container's app without the hot paths (api/hot_reads.py,
    api/hot_booking.py): what their answers are compared with."""
    transport = httpx.ASGITransport(app=build_app(container, hot_reads=False))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http
