#!/usr/bin/env python3
"""CPU time per request of the real app, in process (issue #8).

The HTTP benchmark (`scripts/bench_http`) measures throughput, which on a shared machine moves
with whatever else runs. This one calls the ASGI app directly (no sockets, no client) and
reports the process CPU time each operation costs, which is what throughput is made of and
barely depends on the machine's load. Same scenario as bench_http: the demo estate, one day of
24 slots, 77 days of a 10-minute grid with 500 bookings, bookSlot on a free grid.

    .venv/bin/python scripts/bench_cpu.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from httpbench import WARSAW, book_body, grid_starts, periods

from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.sandbox.seed import seed_demo_estate
from dpi_server.services.cache import HotPathCache

DOCTORS = "/api/v3/integration/facilities/1/doctors"
# In the demo estate: Anna Kowalska's, Piotr Nowak's and Katarzyna Wiśniewska's addresses at
# facility 1, each with its general consultation as the first address service.
ONE_DAY, QUARTER, BOOKING = (
    f"{DOCTORS}/1/addresses/1",
    f"{DOCTORS}/2/addresses/3",
    f"{DOCTORS}/3/addresses/5",
)


class InProcess:
    """Calls the ASGI app with a minimal HTTP scope; returns status and body."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ]

    async def __call__(self, method: str, url: str, body: Any = None) -> tuple[int, bytes]:
        path, _, query = url.partition("?")
        payload = b"" if body is None else json.dumps(body).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": self.headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "root_path": "",
        }
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": payload, "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def window(day: Any, days: int) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=WARSAW)
    end = start + timedelta(days=days)
    return f"start={quote(start.isoformat(), safe='')}&end={quote(end.isoformat(), safe='')}"


async def run(database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), insecure_http=True, database_url=database_url)
        container = build(settings)
        await container.migrate()
        try:
            demo = await seed_demo_estate(container.services)
            client = demo.client.client.client_id
            await container.services.clients.set_limits(client, enabled=False)
            issued = await container.services.auth.issue_token(
                grant_type="client_credentials",
                scope=None,
                client_id=client,
                client_secret=demo.client.client_secret,
            )
            call = InProcess(build_app(container), issued.access_token)
            assert container.cache is not None
            await measure(call, container.cache)
        finally:
            await container.close()


async def measure(call: InProcess, cache: HotPathCache) -> None:
    day = (datetime.now(WARSAW) + timedelta(days=1)).date()
    services: dict[str, str] = {}
    for path in (ONE_DAY, QUARTER, BOOKING):
        assert (await call("POST", f"{path}/calendar/enable"))[0] == 200, path
        services[path] = str(
            json.loads((await call("GET", f"{path}/services"))[1])["_items"][0]["id"]
        )
    for path, payload in (
        (ONE_DAY, periods(day, 1, 8, 20, services[ONE_DAY], 30)),
        (QUARTER, periods(day, 77, 8, 16, services[QUARTER], 10)),
        (BOOKING, periods(day, 77, 8, 16, services[BOOKING], 10)),
    ):
        assert (await call("PUT", f"{path}/slots", payload))[0] == 201
    grid = grid_starts(day, 77, 8, 16, 10)
    for start in grid[::7][:500]:
        url = f"{QUARTER}/slots/{quote(start, safe='')}/book"
        assert (await call("POST", url, book_body(services[QUARTER], 10)))[0] == 200

    cases = [
        ("GET /facilities", "/api/v3/integration/facilities", 400),
        ("getSlots 1 day", f"{ONE_DAY}/slots?{window(day, 1)}", 300),
        ("getSlots 77 days, 500 bookings", f"{QUARTER}/slots?{window(day, 77)}", 20),
    ]
    for name, url, count in cases:
        for _ in range(count // 10 + 3):  # warm caches and pools
            await call("GET", url)
        # Cached: the answer as kept (hot-path cache, services/cache.py), what a poller meets;
        # cold: every cache dropped first, as right after a change.
        for label, drop in (("cached", False), ("cold", True)):
            spent = waited = 0.0
            for _ in range(count):
                if drop:
                    cache.invalidate()
                begun, clock = time.process_time(), time.perf_counter()
                assert (await call("GET", url))[0] == 200
                spent += time.process_time() - begun
                waited += time.perf_counter() - clock
            print(
                f"{name} ({label}): {spent / count * 1e3:.2f} ms CPU,"
                f" {waited / count * 1e3:.2f} ms wall per request"
            )
    free = grid[1::7][:300]
    begun = time.process_time()
    for start in free:
        url = f"{BOOKING}/slots/{quote(start, safe='')}/book"
        assert (await call("POST", url, book_body(services[BOOKING], 10)))[0] == 200
    print(f"bookSlot: {(time.process_time() - begun) / len(free) * 1e3:.2f} ms CPU per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    asyncio.run(run(parser.parse_args().database_url))


if __name__ == "__main__":
    main()
