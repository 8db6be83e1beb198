#!/usr/bin/env python3
"""Does one maximal request stall the others? (issue #8 "No request stalls the others")

Starts a real `dpi serve` (plain HTTP on a free loopback port, SQLite in a temporary data
directory, the demo estate), then measures the latency of small authenticated reads
(`GET /facilities`) three times: alone, while a maximal replaceSlots runs (10,000 periods,
the payload limit), and while a 84-day getSlots over a 5-minute grid runs. It prints p50 and
p99 of the small reads in each phase and how long the big request took. Target: the small
reads' p99 stays under 50 ms while a big request runs.

    .venv/bin/python scripts/bench_stall.py [--readers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

WARSAW = ZoneInfo("Europe/Warsaw")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    dpi = Path(sys.executable).with_name("dpi")
    env = {**os.environ, "DPI_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [str(dpi), "serve", "--insecure-http", "--port", str(port), "--http-port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (data_dir / "demo-credentials.json").exists():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return process
            except OSError:
                pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("dpi serve did not come up within 60 s")


def big_payload(service_id: str, count: int) -> dict[str, Any]:
    """`count` five-minute periods, 125 a day, from tomorrow on (inside the 12-week limit)."""
    slots: list[dict[str, Any]] = []
    day = datetime.now(WARSAW).date() + timedelta(days=1)
    while len(slots) < count:
        begin = datetime(day.year, day.month, day.day, 8, 0, tzinfo=WARSAW)
        for i in range(min(125, count - len(slots))):
            start = begin + timedelta(minutes=5 * i)
            slots.append(
                {
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=5)).isoformat(),
                    "address_services": [{"address_service_id": service_id, "duration": 5}],
                }
            )
        day += timedelta(days=1)
    return {"slots": slots}


async def small_reads(
    http: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event, readers: int
) -> list[float]:
    latencies: list[float] = []

    async def reader() -> None:
        while not stop.is_set():
            begun = time.perf_counter()
            response = await http.get("/api/v3/integration/facilities", headers=headers)
            latencies.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(reader() for _ in range(readers)))
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"n={len(ordered):5d}  p50={statistics.median(ordered):7.1f} ms  p99={p99:7.1f} ms"


async def phase(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    readers: int,
    big: Any,
    alone_seconds: float = 3.0,
) -> tuple[list[float], float]:
    stop = asyncio.Event()
    reading = asyncio.create_task(small_reads(http, headers, stop, readers))
    begun = time.perf_counter()
    if big is None:
        await asyncio.sleep(alone_seconds)
    else:
        response = await big
        assert response.status_code in (200, 201), response.text[:300]
    took = time.perf_counter() - begun
    stop.set()
    return await reading, took


def unlimited_demo_client(data_dir: Path) -> dict[str, str]:
    """The demo credentials, with rate limiting off so the readers measure latency only."""
    credentials: dict[str, str] = json.loads((data_dir / "demo-credentials.json").read_text())
    dpi = str(Path(sys.executable).with_name("dpi"))
    command = [dpi, "client", "limits", credentials["client_id"], "--disable"]
    subprocess.run([*command, "--data-dir", str(data_dir)], check=True, stdout=subprocess.DEVNULL)
    return credentials


async def run(data_dir: Path, port: int, credentials: dict[str, str], readers: int) -> None:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=readers + 2)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        token = await http.post(
            "/oauth/v2/token",
            auth=(credentials["client_id"], credentials["client_secret"]),
            data={"grant_type": "client_credentials", "scope": "integration"},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        address = "/api/v3/integration/facilities/1/doctors/1/addresses/1"
        services = await http.get(f"{address}/services", headers=headers)
        service_id = services.json()["_items"][0]["id"]
        await http.post(f"{address}/calendar/enable", headers=headers)

        alone, _ = await phase(http, headers, readers, None)
        put = http.put(f"{address}/slots", json=big_payload(service_id, 10_000), headers=headers)
        during_put, put_took = await phase(http, headers, readers, put)
        start = datetime.now(WARSAW)
        window = (
            f"start={quote(start.isoformat(), safe='')}"
            f"&end={quote((start + timedelta(days=84)).isoformat(), safe='')}"
        )
        get = http.get(f"{address}/slots?{window}", headers=headers)
        during_get, get_took = await phase(http, headers, readers, get)

    print(f"small reads (GET /facilities, {readers} concurrent readers), one dpi serve, SQLite")
    print(f"  alone                          {summary(alone)}")
    print(f"  during replaceSlots 10,000     {summary(during_put)}   (PUT: {put_took:.2f} s)")
    print(f"  during getSlots 84 days/5 min  {summary(during_get)}   (GET: {get_took:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        port = free_port()
        server = start_server(data_dir, port)
        try:
            credentials = unlimited_demo_client(data_dir)
            asyncio.run(run(data_dir, port, credentials, args.readers))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
