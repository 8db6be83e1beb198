#!/usr/bin/env python3
"""Calendar benchmark (issue #3): getSlots throughput and replaceSlots latency.

An address with 12 weeks of 10-minute availability (08:00-17:00 every day) and 500 bookings;
getSlots asks for 90 days at once. Requests go through the real app in-process (httpx ASGI
transport), so the figures include routing, auth, SQL and JSON, but no network.

    .venv/bin/python scripts/bench_calendar.py [--database-url URL] [-n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.domain.actors import BY_INTEGRATION
from dpi_server.domain.bookings import BOOKED, NewBooking, Patient
from dpi_server.domain.calendar import PeriodService, WorkPeriod, free_slots
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder

WARSAW = ZoneInfo("Europe/Warsaw")
START = datetime(2026, 1, 5, 0, 0, tzinfo=WARSAW)


def periods_payload(service_id: str, weeks: int, shift_minutes: int = 0) -> dict[str, object]:
    slots = []
    for offset in range(weeks * 7):
        day = (START + timedelta(days=offset)).date()
        begin = datetime(day.year, day.month, day.day, 8, 0, tzinfo=WARSAW)
        slots.append(
            {
                "start": (begin + timedelta(minutes=shift_minutes)).isoformat(),
                "end": (begin + timedelta(hours=9)).isoformat(),
                "address_services": [{"address_service_id": service_id, "duration": 10}],
            }
        )
    return {"slots": slots}


async def run(database_url: str | None, iterations: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=database_url, insecure_http=True)
        clock = FakeClock(START.astimezone(UTC))
        container = build(settings, clock=clock)
        await container.migrate()
        estate = await EstateBuilder(container.services).build()
        app = build_app(container)
        path = estate.address_path(0)
        service = str(estate.address_service_ids[0])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            h = estate.headers
            await http.post(f"{path}/calendar/enable", headers=h)

            # replaceSlots: 12 weeks (84 periods), each run a different payload.
            latencies = []
            for i in range(max(5, iterations // 5)):
                payload = periods_payload(service, 12, shift_minutes=i % 2 * 10)
                begun = time.perf_counter()
                response = await http.put(f"{path}/slots", json=payload, headers=h)
                latencies.append(time.perf_counter() - begun)
                assert response.status_code == 201, response.text
            await http.put(f"{path}/slots", json=periods_payload(service, 12), headers=h)

            # 500 bookings spread over the 12 weeks.
            async with container.services.uow(write=True) as uow:
                address_id = estate.address_ids[0]
                for n in range(500):
                    day = START + timedelta(days=n % 84)
                    start = datetime(
                        day.year, day.month, day.day, 8 + (n // 84) % 9, 0, tzinfo=WARSAW
                    ).astimezone(UTC)
                    await uow.bookings.add(
                        NewBooking(
                            facility_id=estate.facility_ids[0],
                            doctor_id=estate.doctor_ids[0],
                            address_id=address_id,
                            address_service_id=int(service),
                            start=start,
                            duration=10,
                            status=BOOKED,
                            booked_by=BY_INTEGRATION,
                            booked_at=clock.now(),
                            patient=Patient(name="Bench", phone="+48500000000"),
                            signature=str(uuid.uuid4()),
                        )
                    )
                await uow.commit()

            window = (
                f"start={quote(START.isoformat(), safe='')}"
                f"&end={quote((START + timedelta(days=90)).isoformat(), safe='')}"
            )
            first = await http.get(f"{path}/slots?{window}", headers=h)
            count = len(first.json()["_items"])
            begun = time.perf_counter()
            for _ in range(iterations):
                response = await http.get(f"{path}/slots?{window}", headers=h)
                assert response.status_code == 200
            elapsed = time.perf_counter() - begun

        # The pure engine alone, for comparison.
        periods = [
            WorkPeriod(
                datetime(d.year, d.month, d.day, 8, tzinfo=WARSAW).astimezone(UTC),
                datetime(d.year, d.month, d.day, 17, tzinfo=WARSAW).astimezone(UTC),
                (PeriodService(1, 10),),
            )
            for d in ((START + timedelta(days=i)).date() for i in range(84))
        ]
        engine_begun = time.perf_counter()
        for _ in range(iterations):
            free_slots(periods, [], START, START + timedelta(days=90), START)
        engine_ms = (time.perf_counter() - engine_begun) / iterations * 1000
        await container.close()

    backend = "PostgreSQL" if database_url and "postgresql" in database_url else "SQLite"
    print(f"backend: {backend}")
    print(
        f"getSlots, 90 days, {count} free slots, 500 bookings: "
        f"{iterations / elapsed:.1f} req/s ({elapsed / iterations * 1000:.1f} ms/request)"
    )
    print(f"  slot engine alone (no bookings): {engine_ms:.2f} ms/call")
    print(
        f"replaceSlots, 12 weeks (84 periods): median {statistics.median(latencies) * 1000:.1f} "
        f"ms, max {max(latencies) * 1000:.1f} ms over {len(latencies)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("-n", "--iterations", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.database_url, args.iterations))


if __name__ == "__main__":
    main()
