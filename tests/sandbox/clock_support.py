"""What the clock tests share: the `/_sandbox/clock` calls, and putting the shared clock back
on real time after each test (the session's database outlives it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Api

CLOCK = "/_sandbox/clock"


@pytest.fixture
async def operator(api: Api) -> AsyncIterator[dict[str, str]]:
    """The operator's headers; the clock is real again once the test is over."""
    headers = await api.operator_headers()
    yield headers
    await api.container.services.time_travel.real()


async def clock_call(api: Api, headers: dict[str, str], path: str, **body: Any) -> Any:
    response = await api.http.post(f"{CLOCK}/{path}", json=body or None, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


async def advance(api: Api, headers: dict[str, str], duration: str | float) -> Any:
    return await clock_call(api, headers, "advance", duration=duration)
