"""Notifications across real processes on PostgreSQL: four API processes pulling one queue,
and a `dpi worker` killed with SIGKILL in the middle of deliveries (issue #9 §3 and §6)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from dpi_server.bootstrap import build
from dpi_server.config import Settings
from dpi_server.domain.notifications import DELIVERED
from dpi_server.testing.estate import EstateBuilder, TestEstate
from tests.api.notification_support import _Server, configure_client, enqueue_breaks
from tests.integration.test_serve import free_port, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
DPI = [sys.executable, "-m", "dpi_server.cli"]


def _spawn(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    log = Path(tempfile.mkstemp(prefix="dpi-notify-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*DPI, *args], stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    return process, log


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _arrange(url: str, tmp: Path, copies: int, push_url: str | None = None) -> TestEstate:
    container = build(Settings(data_dir=tmp, database_url=url))
    try:
        estate = await EstateBuilder(container.services).build()
        if push_url is not None:
            await configure_client(container.services, estate.client_id, push_url=push_url)
        await enqueue_breaks(container.services, estate, copies)
        return estate
    finally:
        await container.close()


async def _states(url: str, tmp: Path, client_id: str) -> Counter[str]:
    container = build(Settings(data_dir=tmp, database_url=url))
    try:
        found = await container.services.notification_admin.list_copies(client_id, limit=100_000)
    finally:
        await container.close()
    return Counter(c.state for c in found)


def test_four_api_processes_pull_2000_copies_exactly_once_in_order(
    postgres_url: str, tmp_path: Path
) -> None:
    """Concurrent pulls of one client's queue: every copy once, none skipped, and each
    puller sees its copies oldest first (`FOR UPDATE SKIP LOCKED`)."""
    estate = asyncio.run(_arrange(postgres_url, tmp_path, 2000))
    env = {"DPI_SEED_DEMO": "false", "DPI_NOTIFY_DISPATCHER": "false", "COLUMNS": "200"}
    ports = [free_port() for _ in range(4)]
    servers = [
        _spawn(
            [
                "serve",
                "--insecure-http",
                "--http-port",
                "0",
                "--port",
                str(port),
                "--database-url",
                postgres_url,
                "--data-dir",
                str(tmp_path / f"d{port}"),
            ],
            env,
        )
        for port in ports
    ]
    try:
        for (process, _), port in zip(servers, ports, strict=True):
            wait_for_port(port, process)  # type: ignore[arg-type]
        seen = asyncio.run(_pull_concurrently(ports, estate.headers))
    finally:
        for process, log in servers:
            _stop(process)
            log.unlink(missing_ok=True)

    everything = [i for ids in seen for i in ids]
    assert sorted(everything) == list(range(1, 2001))
    assert all(ids == sorted(ids) for ids in seen)
    assert all(ids for ids in seen)  # every puller got work


async def _pull_concurrently(ports: list[int], headers: dict[str, str]) -> list[list[int]]:
    async def puller(port: int, limit: int) -> list[int]:
        got: list[int] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            while True:
                response = await http.get(
                    f"/api/v3/integration/notifications/multiple?limit={limit}", headers=headers
                )
                if response.status_code == 404:
                    return got
                assert response.status_code == 200, response.text
                got.extend(int(n["data"]["break"]["id"]) for n in response.json()["notifications"])

    return list(await asyncio.gather(*(puller(p, 7 + 3 * i) for i, p in enumerate(ports))))


class StallingReceiver:
    """Answers 200 to the first `answered` POSTs, then stalls every further one and never
    answers it (the connection is dropped), until `recover()`; afterwards answers 200."""

    def __init__(self, answered: int) -> None:
        self.lock = threading.Lock()
        self.quota = answered
        self.recovered = threading.Event()
        self.answered: list[int] = []
        self.stalled: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json

                body = self.rfile.read(int(self.headers["Content-Length"]))
                break_id = int(json.loads(body)["data"]["break"]["id"])
                with receiver.lock:
                    stall = not receiver.recovered.is_set() and receiver.quota <= 0
                    receiver.quota -= 1
                    if stall:
                        receiver.stalled.append(break_id)
                if stall:
                    receiver.recovered.wait(60)
                    self.close_connection = True
                    return  # never answered
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.answered.append(break_id)

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.recovered.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stalling() -> Iterator[StallingReceiver]:
    found = StallingReceiver(answered=300)
    yield found
    found.close()


def test_a_worker_killed_mid_delivery_loses_nothing(
    postgres_url: str, tmp_path: Path, stalling: StallingReceiver
) -> None:
    """SIGKILL while the receiver stalls: a second worker delivers every copy; only copies
    the receiver never answered are delivered twice (at least once, nothing lost)."""
    total = 600
    estate = asyncio.run(_arrange(postgres_url, tmp_path, total, push_url=stalling.url))
    env = {
        "DPI_NOTIFY_PUSH_TIMEOUT_SECONDS": "8",
        "DPI_NOTIFY_LEASE_MARGIN_SECONDS": "1",
        "DPI_NOTIFY_BATCH_SIZE": "100",
        "DPI_NOTIFY_CONCURRENCY": "32",
        "DPI_NOTIFY_HEALTH_CHECKS": "false",
    }
    worker, log = _spawn(["worker", "--database-url", postgres_url], env)
    try:
        _wait(lambda: len(stalling.stalled) >= 20, worker, 60)
        time.sleep(0.5)  # the worker is now blocked on stalled calls, answers recorded
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        answered_before = set(stalling.answered)
        stalled_before = set(stalling.stalled)
        stalling.recovered.set()
        fast = {**env, "DPI_NOTIFY_PUSH_TIMEOUT_SECONDS": "5"}
        second, log2 = _spawn(["worker", "--database-url", postgres_url], fast)
        try:
            _wait(
                lambda: (
                    asyncio.run(_states(postgres_url, tmp_path, estate.client_id))[DELIVERED]
                    == total
                ),
                second,
                120,
            )
        finally:
            _stop(second)
            log2.unlink(missing_ok=True)
    finally:
        _stop(worker)
        log.unlink(missing_ok=True)

    counts = Counter(stalling.answered)
    assert set(counts) == set(range(1, total + 1))  # every copy answered 200 at least once
    twice = {i for i, n in counts.items() if n > 1}
    assert not twice  # a copy answered 200 is never sent again
    assert answered_before.isdisjoint(stalled_before)
    assert stalled_before  # the kill did interrupt deliveries


def _wait(condition: Any, process: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"process exited early with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        time.sleep(0.5)
