"""Shared arrange/assert helpers of the calendar API tests (test_calendars, test_slots,
test_breaks, test_bookings, test_presence_and_opinions).

Times: the FakeClock starts Monday 2026-01-05 08:00 UTC, 09:00 in Warsaw (UTC+1 in winter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from dpi_server.adapters.db import tables
from dpi_server.testing.estate import TestEstate
from tests.api.support import success
from tests.conftest import Api

WARSAW = ZoneInfo("Europe/Warsaw")

MON = "2026-01-05"  # today: now is 09:00 local
TUE = "2026-01-06"
WED = "2026-01-07"
THU = "2026-01-08"

# Wide enough for every test's data, narrower than getSlots' 180-day limit.
WINDOW = ("2026-01-01T00:00:00+01:00", "2026-04-30T00:00:00+02:00")
ALL_BOOKING_WITH = (
    "booking.patient,booking.address_service,booking.presence,booking.confirmation,"
    "address_service.public_insurance_flow"
)
BOOKING_KEYS = {
    "id",
    "status",
    "start_at",
    "end_at",
    "duration",
    "booked_by",
    "canceled_by",
    "booked_at",
    "canceled_at",
    "comment",
    "insurance",
}
PATIENT_KEYS = {
    "name",
    "surname",
    "email",
    "phone",
    "birth_date",
    "nin",
    "gender",
    "is_returning",
    "is_returnting",
    "insurance_number",
}
ADDRESS_SERVICE_KEYS = {
    "id",
    "name",
    "price",
    "is_price_from",
    "is_default",
    "service_id",
    "description",
    "is_visible",
}


def q(value: str) -> str:
    """Percent-encode a query or path value the way the PHP SDK does (rawurlencode)."""
    return quote(value, safe="")


def at(day: str, hhmm: str, offset: str = "+01:00") -> str:
    """An ATOM date-time on `day` at `hhmm` local time (winter offset by default)."""
    return f"{day}T{hhmm}:00{offset}"


def window(start: str, end: str) -> str:
    return f"start={q(start)}&end={q(end)}"


def error(message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"errors": errors if errors is not None else [], "message": message}


def invalid(errors: dict[str, list[str]]) -> dict[str, Any]:
    return error("Invalid arguments", errors)


def no_content(response: httpx.Response, status: int) -> None:
    """A success that carries no body at all (201 replaceSlots, 200 enable, 204...)."""
    assert response.status_code == status, response.text
    assert response.content == b""


def period(
    start: str, end: str, *services: tuple[int | str, int] | None, **extra: Any
) -> dict[str, Any]:
    """One replaceSlots period; `services` are (address_service_id, duration) pairs."""
    body: dict[str, Any] = {"start": start, "end": end}
    body["address_services"] = [
        {"address_service_id": str(sid), "duration": minutes}
        for sid, minutes in (s for s in services if s is not None)
    ]
    body.update(extra)
    return body


def service_id(estate: TestEstate, address: int, position: int = 0) -> str:
    """The id of the address's first (30 min) or second (20 min) address service."""
    return str(estate.address_service_ids[address * 2 + position])


def patient(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Jan", "surname": "Kowalski", "phone": "+48500100200"}
    body.update(over)
    return body


def book_body(service: str, duration: int = 30, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "address_service_id": service,
        "duration": duration,
        "patient": patient(),
    }
    body.update(over)
    return body


class Cal:
    """The calendar endpoints of one estate, addressed by the estate's address index."""

    def __init__(self, api: Api, estate: TestEstate) -> None:
        self.api = api
        self.estate = estate

    @property
    def http(self) -> httpx.AsyncClient:
        return self.api.http

    @property
    def h(self) -> dict[str, str]:
        return self.estate.headers

    def path(self, address: int = 0) -> str:
        return self.estate.address_path(address)

    def sid(self, address: int = 0, position: int = 0) -> str:
        return service_id(self.estate, address, position)

    # --- calendar ---------------------------------------------------------------------------
    async def enable(self, address: int = 0) -> httpx.Response:
        return await self.http.post(f"{self.path(address)}/calendar/enable", headers=self.h)

    async def disable(self, address: int = 0) -> httpx.Response:
        return await self.http.post(f"{self.path(address)}/calendar/disable", headers=self.h)

    async def calendar(self, address: int = 0) -> httpx.Response:
        return await self.http.get(f"{self.path(address)}/calendar", headers=self.h)

    # --- slots ------------------------------------------------------------------------------
    async def put(self, periods: Any, address: int = 0) -> httpx.Response:
        body = periods if isinstance(periods, dict) else {"slots": periods}
        return await self.http.put(f"{self.path(address)}/slots", json=body, headers=self.h)

    async def publish(self, *periods: dict[str, Any], address: int = 0) -> None:
        no_content(await self.put(list(periods), address), 201)

    async def slots(
        self, start: str, end: str, address: int = 0, extra: str = ""
    ) -> httpx.Response:
        return await self.http.get(
            f"{self.path(address)}/slots?{window(start, end)}{extra}", headers=self.h
        )

    async def starts(self, day: str, address: int = 0) -> list[str]:
        """The free start times of one local day (winter offset)."""
        body = success(await self.slots(at(day, "00:00"), at(day, "23:59"), address))
        return [s["start"] for s in body["_items"]]

    async def book(
        self, start: str, body: dict[str, Any] | None = None, address: int = 0
    ) -> httpx.Response:
        payload = body if body is not None else book_body(self.sid(address))
        return await self.http.post(
            f"{self.path(address)}/slots/{q(start)}/book", json=payload, headers=self.h
        )

    async def booked(self, start: str, body: dict[str, Any] | None = None, address: int = 0) -> Any:
        return success(await self.book(start, body, address))

    # --- bookings ---------------------------------------------------------------------------
    async def booking(self, booking_id: str, address: int = 0, extra: str = "") -> httpx.Response:
        return await self.http.get(
            f"{self.path(address)}/bookings/{booking_id}{extra}", headers=self.h
        )

    async def bookings(self, address: int = 0, extra: str = "") -> httpx.Response:
        return await self.http.get(
            f"{self.path(address)}/bookings?{window(*WINDOW)}{extra}", headers=self.h
        )

    # --- breaks -----------------------------------------------------------------------------
    async def add_break(self, body: dict[str, Any], address: int = 0) -> httpx.Response:
        return await self.http.post(f"{self.path(address)}/breaks", json=body, headers=self.h)

    async def breaks(self, address: int = 0) -> httpx.Response:
        since, till = WINDOW
        return await self.http.get(
            f"{self.path(address)}/breaks?since={q(since)}&till={q(till)}", headers=self.h
        )

    # --- state ------------------------------------------------------------------------------
    async def state(self, *addresses: int) -> dict[str, Any]:
        """Everything a failed request must leave alone: per address the calendar, the free
        slots with their services, the bookings with every extension and the breaks (status
        and body of each read), plus the estate's domain events."""
        snapshot: dict[str, Any] = {}
        for address in addresses or (0,):
            reads = {
                "calendar": await self.calendar(address),
                "slots": await self.slots(*WINDOW, address=address, extra="&with=slot.services"),
                "bookings": await self.bookings(address, f"&with={ALL_BOOKING_WITH}"),
                "breaks": await self.breaks(address),
            }
            for name, response in reads.items():
                snapshot[f"{address}.{name}"] = (response.status_code, response.json())
        snapshot["events"] = await events(self.api, self.estate)
        return snapshot


async def events(api: Api, estate: TestEstate) -> list[tuple[str, int, int | None]]:
    """(name, address_id, origin_client_pk) of the estate's domain events, oldest first."""
    e = tables.domain_events
    async with api.container.engine.connect() as conn:
        rows = await conn.execute(
            select(e.c.name, e.c.address_id, e.c.origin_client_pk)
            .where(e.c.address_id.in_(estate.address_ids))
            .order_by(e.c.id)
        )
        return [(str(r[0]), int(r[1]), None if r[2] is None else int(r[2])) for r in rows]


async def booking_row(api: Api, booking_id: str) -> dict[str, Any]:
    """The stored row of a booking (for what the wire never shows, such as `label`)."""
    b = tables.bookings
    async with api.container.engine.connect() as conn:
        row = (await conn.execute(select(b).where(b.c.id == int(booking_id)))).mappings().one()
        return dict(row)


def local(moment: datetime) -> str:
    """`moment` as the ATOM string the API renders in Warsaw."""
    return moment.astimezone(WARSAW).replace(microsecond=0).isoformat()
