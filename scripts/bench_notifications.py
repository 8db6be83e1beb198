"""Push delivery throughput: `dpi worker` processes against PostgreSQL deliver queued copies
to a local receiver. A benchmark, not a test: it prints figures.

Usage: .venv/bin/python scripts/bench_notifications.py [--copies 10000] [--workers 2]
       [--live 2000] [--postgres-url URL]      (default: DPI_TEST_POSTGRES_URL)

Phase 1 (backlog): N copies are queued, then the workers start; copies per second is N over
the time from the first receipt to the last. Phase 2 (live): with the workers running,
copies are written at a steady rate and the p99 of commit-to-receipt latency is reported.
Every receipt is counted, so duplicates and losses are exact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from dpi_server.adapters.db import notification_tables as nt
from dpi_server.adapters.db.engine import create_engine
from dpi_server.bootstrap import build
from dpi_server.config import Settings
from dpi_server.domain.notifications import DELIVERED
from dpi_server.services.notifications import DeliveryChange
from dpi_server.testing.estate import EstateBuilder, TestEstate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.api.notification_support import enqueue_breaks

DPI = [sys.executable, "-m", "dpi_server.cli"]
_ID = re.compile(rb'"break":\{"id":"(\d+)"')


# --- the receiver: a minimal keep-alive HTTP/1.1 server in a process of its own -------------
class _Receiver(asyncio.Protocol):
    receipts: ClassVar[list[tuple[int, float]]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            match = re.search(rb"content-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            found = _ID.search(body)
            if found:
                _Receiver.receipts.append((int(found.group(1)), time.time()))
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")  # type: ignore[attr-defined]


def receiver_main(port: int, out: Path) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Receiver, "127.0.0.1", port, backlog=1024)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await stop.wait()
        server.close()

    asyncio.run(main())
    out.write_text(json.dumps(_Receiver.receipts))


# --- the bench ---------------------------------------------------------------------------------
async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _scalars(url: str, query: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [row[0] for row in await conn.execute(query)]
    finally:
        await engine.dispose()


async def _delivered(url: str) -> int:
    d = nt.notification_deliveries
    (count,) = await _scalars(url, select(func.count()).where(d.c.state == DELIVERED))
    return int(count)


async def _http_p99(url: str) -> float:
    values = await _scalars(url, select(nt.notification_attempts.c.latency_ms))
    return _p(sorted(int(v) for v in values), 0.99)


def _p(values: list[float] | list[int], q: float) -> float:
    return float(values[min(len(values) - 1, int(q * len(values)))]) if values else 0.0


async def _arrange(url: str, data: Path, port: int, copies: int) -> TestEstate:
    container = build(Settings(data_dir=data, database_url=url))
    try:
        await container.migrate()
        estate = await EstateBuilder(container.services).build()
        await container.services.notification_admin.configure(
            estate.client_id, DeliveryChange(push_url=f"http://127.0.0.1:{port}/hook")
        )
        await enqueue_breaks(container.services, estate, copies)
        return estate
    finally:
        await container.close()


async def _trickle(
    url: str, data: Path, estate: TestEstate, count: int, first: int
) -> dict[int, float]:
    """`count` copies in chunks of 50 at about 1,000 a second; commit time of each."""
    committed: dict[int, float] = {}
    container = build(Settings(data_dir=data, database_url=url))
    try:
        number = first
        while number < first + count:
            started = time.monotonic()
            await enqueue_breaks(container.services, estate, 50, number)
            at = time.time()
            committed.update(dict.fromkeys(range(number, number + 50), at))
            number += 50
            await asyncio.sleep(max(0.0, 0.05 - (time.monotonic() - started)))
    finally:
        await container.close()
    return committed


def _wait_delivered(url: str, want: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while asyncio.run(_delivered(url)) < want:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {asyncio.run(_delivered(url))} of {want} delivered")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--postgres-url", default=os.environ.get("DPI_TEST_POSTGRES_URL"))
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receiver_main(args.receiver, args.out)
        return
    if not args.postgres_url:
        raise SystemExit("give --postgres-url (or DPI_TEST_POSTGRES_URL; see scripts/services env)")

    name = f"dpi_bench_{os.getpid()}"
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(args.postgres_url, f'CREATE DATABASE "{name}"'))
    data = Path(tempfile.mkdtemp(prefix="dpi-bench-"))
    out = data / "receipts.json"
    port = _free_port()
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receiver", str(port), "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().strip() == "ready"
        print(f"queueing {args.copies} copies ...", flush=True)
        estate = asyncio.run(_arrange(url, data, port, args.copies))
        env = {
            **os.environ,
            "DPI_DATABASE_URL": url,
            "DPI_NOTIFY_HEALTH_CHECKS": "false",
            "DPI_NOTIFY_CONCURRENCY": str(args.concurrency),
        }
        started = time.time()
        for _ in range(args.workers):
            workers.append(
                subprocess.Popen(
                    [*DPI, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        _wait_delivered(url, args.copies, 600)
        backlog_done = time.time()
        print(f"live phase: {args.live} copies at ~1,000/s ...", flush=True)
        committed = asyncio.run(_trickle(url, data, estate, args.live, args.copies + 1))
        _wait_delivered(url, args.copies + args.live, 600)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(30)
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(30)

    receipts: list[tuple[int, float]] = [tuple(r) for r in json.loads(out.read_text())]
    ids = [i for i, _ in receipts]
    expected = set(range(1, args.copies + args.live + 1))
    backlog = [at for i, at in receipts if i <= args.copies]
    live = sorted(at - committed[i] for i, at in receipts if i in committed)
    span = max(backlog) - min(backlog)
    http_p99 = asyncio.run(_http_p99(url))
    asyncio.run(_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    print(f"workers: {args.workers}, concurrency per worker: {args.concurrency}")
    print(
        f"backlog: {args.copies} copies in {span:.2f} s "
        f"(first receipt {min(backlog) - started:.2f} s after start, "
        f"all delivered {backlog_done - started:.2f} s after start)"
    )
    print(f"copies per second: {args.copies / span:,.0f}")
    print(
        f"p99 delivery latency (live, commit to receipt): {_p(live, 0.99) * 1000:.0f} ms "
        f"(p50 {_p(live, 0.5) * 1000:.0f} ms)"
    )
    print(f"p99 HTTP attempt latency: {http_p99:.0f} ms")
    print(f"duplicates: {len(ids) - len(set(ids))}")
    print(f"losses: {len(expected - set(ids))}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
