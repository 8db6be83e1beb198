"""Bookings serialise per address: one slot, many simultaneous bookings, one winner
(ARCHITECTURE.md "Concurrency and correctness", decisions.md "Slots and calendars")."""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import quote

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api

DAY = "2026-01-07"


async def open_day(api: Api, estate: TestEstate, path: str, service: str, minutes: int) -> None:
    response = await api.http.put(
        f"{path}/slots",
        json={
            "slots": [
                {
                    "start": f"{DAY}T08:00:00+01:00",
                    "end": f"{DAY}T12:00:00+01:00",
                    "address_services": [{"address_service_id": service, "duration": minutes}],
                }
            ]
        },
        headers=estate.headers,
    )
    assert response.status_code == 201, response.text


class TestConcurrentBookings:
    async def test_twenty_bookings_of_one_slot_one_wins(self, api: Api, estate: TestEstate) -> None:
        """20 simultaneous bookSlot calls for one slot: exactly one 200, the rest 404."""
        path = estate.address_path(0)
        service = str(estate.address_service_ids[0])
        await open_day(api, estate, path, service, 30)
        start = quote(f"{DAY}T09:00:00+01:00", safe="")

        async def book(i: int) -> int:
            response = await api.http.post(
                f"{path}/slots/{start}/book",
                json={
                    "address_service_id": service,
                    "duration": 30,
                    "patient": {"name": f"Patient {i}", "phone": f"+4850000{i:04d}"},
                },
                headers=estate.headers,
            )
            return response.status_code

        statuses = await asyncio.gather(*(book(i) for i in range(20)))

        assert sorted(statuses) == [200] + [404] * 19
        listed = await api.http.get(
            f"{path}/bookings?start={quote(DAY + 'T00:00:00+01:00', safe='')}"
            f"&end={quote(DAY + 'T23:00:00+01:00', safe='')}",
            headers=estate.headers,
        )
        assert len(listed.json()["_items"]) == 1

    async def test_overlapping_durations_never_double_book(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Bookings of different lengths racing over one morning never overlap."""
        path = estate.address_path(0)
        service = str(estate.address_service_ids[0])
        await open_day(api, estate, path, service, 10)

        async def book(minute: int, length: int) -> int:
            start = quote(f"{DAY}T09:{minute:02d}:00+01:00", safe="")
            response = await api.http.post(
                f"{path}/slots/{start}/book",
                json={
                    "address_service_id": service,
                    "duration": length,
                    "patient": {"name": "P", "phone": "+48500000000"},
                },
                headers=estate.headers,
            )
            return response.status_code

        attempts = [(m, length) for m in (0, 10, 20, 30, 40) for length in (10, 30)]
        await asyncio.gather(*(book(m, length) for m, length in attempts))

        listed = await api.http.get(
            f"{path}/bookings?start={quote(DAY + 'T00:00:00+01:00', safe='')}"
            f"&end={quote(DAY + 'T23:00:00+01:00', safe='')}",
            headers=estate.headers,
        )
        spans = sorted((b["start_at"], b["end_at"]) for b in listed.json()["_items"])
        assert spans
        for (_, first_end), (second_start, _) in itertools.pairwise(spans):
            assert first_end <= second_start
