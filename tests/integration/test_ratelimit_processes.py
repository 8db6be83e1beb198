"""Write limits hold exactly across several API processes sharing one Redis (issue #4)."""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.test_serve import free_port, start, stop, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("DPI_TEST_REDIS_URL")
    if not url:
        reason = "DPI_TEST_REDIS_URL not set: no Redis for this test (scripts/test starts one)"
        if os.environ.get("DPI_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def wait_for_a_fresh_minute() -> None:
    """Windows are whole clock minutes; start early in one so the burst stays inside it."""
    second = datetime.now(UTC).second
    if second > 40:
        time.sleep(61 - second)


def test_four_processes_share_the_write_window(tmp_path: Path, redis_url: str) -> None:
    """60 writes spread over 4 processes in one minute: exactly 40 get through."""
    env = {
        "DPI_REDIS_URL": redis_url,
        "DPI_REDIS_PREFIX": f"dpi:test:{uuid.uuid4().hex}:",
        "DPI_INSECURE_HTTP": "1",
        "DPI_DATA_DIR": str(tmp_path),
    }
    ports = [free_port() for _ in range(4)]
    processes = [start(["--port", str(ports[0])], env)]
    try:
        wait_for_port(ports[0], processes[0])  # the first one seeds the shared database
        for port in ports[1:]:
            processes.append(start(["--port", str(port)], env))
        for port, process in zip(ports, processes, strict=True):
            wait_for_port(port, process)
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        token = httpx.post(
            creds["token_url"],
            auth=(creds["client_id"], creds["client_secret"]),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def write(i: int) -> int:
            url = (
                f"http://127.0.0.1:{ports[i % 4]}/api/v3/integration"
                "/facilities/1/doctors/1/addresses/1/calendar/disable"
            )
            return httpx.post(url, headers=headers, timeout=30).status_code

        wait_for_a_fresh_minute()
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(write, range(60)))
    finally:
        for process in processes:
            stop(process)

    assert statuses.count(429) == 20
    assert len(statuses) - statuses.count(429) == 40
