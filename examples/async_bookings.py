"""The async client: read tomorrow's bookings of every bookable address concurrently.

python examples/async_bookings.py
"""

from __future__ import annotations

import asyncio

import _common

import dpi


async def bookings_of(
    client: dpi.AsyncClient, facility_id: str, doctor_id: str, address_id: str
) -> int:
    count = 0
    async for _booking in client.bookings.iter_all(
        facility_id,
        doctor_id,
        address_id,
        start=_common.tomorrow_at(0),
        end=_common.tomorrow_at(23),
        page_size=50,
    ):
        count += 1
    return count


async def main() -> None:
    async with dpi.AsyncClient.from_credentials_file(_common.credentials()) as client:
        places = []
        for facility in await client.facilities.list():
            for doctor in await client.doctors.list(facility.id):
                for address in await client.addresses.list(facility.id, doctor.id):
                    places.append((facility.id, doctor.id, address.id))
        counts = await asyncio.gather(*(bookings_of(client, *p) for p in places))
        for place, count in zip(places, counts, strict=True):
            print("/".join(place), count, "bookings tomorrow")


if __name__ == "__main__":
    asyncio.run(main())
