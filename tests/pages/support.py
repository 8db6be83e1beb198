"""Arranging the pages' tests: a signed-in operator and an address with published slots.

Times: the FakeClock starts Monday 2026-01-05 08:00 UTC (09:00 in Warsaw); slots are published
on Tuesday 2026-01-06, 09:00-12:00 local, for the address's first service (30 minutes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from dpi_server.sandbox.pages.session import COOKIE
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api

ORIGIN = "https://testserver"
SAME_ORIGIN = {"Origin": ORIGIN}
OPERATOR_TOKEN = "operator-token-of-the-tests-0123456789"
TUESDAY_9 = "2026-01-06T09:00:00+01:00"
TUESDAY_10 = "2026-01-06T10:00:00+01:00"


@dataclass(frozen=True)
class Paths:
    facility: int
    doctor: int
    address: int
    service: int  # the address's first address service (30 min)

    @property
    def marketplace(self) -> str:
        return f"/marketplace/{self.facility}/{self.doctor}/{self.address}"

    @property
    def doctor_page(self) -> str:
        return f"/doctor/{self.facility}/{self.doctor}/{self.address}"


async def sign_in(api: Api, http: httpx.AsyncClient | None = None) -> str:
    """Sign the client in through the form; the session cookie's value."""
    client = http or api.http
    await api.operator_headers()
    answer = await client.post(
        "/sign-in", data={"token": OPERATOR_TOKEN, "next": "/console"}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 303, answer.text
    return str(answer.cookies[COOKIE])


async def published(api: Api, estate: TestEstate) -> Paths:
    """The estate's first address with Tuesday's slots published."""
    f, d, a = estate.extra["address_paths"][0]
    service = estate.address_service_ids[0]
    body = {
        "slots": [
            {
                "start": TUESDAY_9,
                "end": "2026-01-06T12:00:00+01:00",
                "address_services": [{"address_service_id": str(service), "duration": 30}],
            }
        ]
    }
    answer = await api.http.put(
        f"{estate.address_path(0)}/slots", json=body, headers=estate.headers
    )
    assert answer.status_code == 201, answer.text
    return Paths(f, d, a, service)


def book_form(start: str, service: int, /, **over: str) -> dict[str, str]:
    form = {
        "start": start,
        "service": f"{service}:30",
        "name": "Anna",
        "surname": "Nowak",
        "phone": "+48500100200",
        "email": "anna@example.com",
    }
    form.update(over)
    return form


async def book(api: Api, paths: Paths, **over: str) -> httpx.Response:
    """Post the marketplace's booking form for Tuesday 09:00, as the signed-in browser."""
    return await api.http.post(
        paths.marketplace + "/book",
        data=book_form(TUESDAY_9, paths.service, **over),
        headers=SAME_ORIGIN,
    )


@pytest.fixture
async def real_time_afterwards(api: Api) -> AsyncIterator[None]:
    """For a test that moves the sandbox clock: the session's database outlives the test,
    so the shared clock goes back to real time afterwards."""
    yield
    await api.container.services.time_travel.real()
