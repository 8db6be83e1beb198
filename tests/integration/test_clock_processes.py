"""The sandbox clock across real processes: `dpi serve --workers 2` and the `dpi sandbox
clock` CLI in a process of its own, on one SQLite file (issue #10 item 3)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.test_serve import DPI, free_port, start, stop, wait_for_port

pytestmark = pytest.mark.slow


def cli(*args: str, credentials: Path) -> str:
    done = subprocess.run(
        [*DPI, "sandbox", "clock", *args, "--credentials", str(credentials)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_every_worker_answers_by_the_travelled_time(tmp_path: Path) -> None:
    """A token minted before `advance PT25H` (made by another process) is refused by both
    serving processes within a second, each on its own connection."""
    port = free_port()
    env = {"DPI_INSECURE_HTTP": "1", "DPI_HTTP_PORT": "0", "DPI_WORKERS": "2"}
    process = start(["--data-dir", str(tmp_path), "--port", str(port)], env)
    try:
        wait_for_port(port, process)
        credentials = tmp_path / "demo-credentials.json"
        creds = json.loads(credentials.read_text())
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/oauth/v2/token",
            auth=(creds["client_id"], creds["client_secret"]),
            data={"grant_type": "client_credentials"},
            timeout=60,  # the children may still be starting on a busy machine
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{base}/api/v3/integration/facilities"
        before = [httpx.get(url, headers=headers, timeout=60).status_code for _ in range(6)]

        frozen = cli("freeze", credentials=credentials)
        advanced = cli("advance", "PT25H", credentials=credentials)
        time.sleep(1.0)  # the promised second for the other processes to see it
        after = [httpx.get(url, headers=headers, timeout=60).status_code for _ in range(12)]
        shown = cli("show", credentials=credentials)
    finally:
        stop(process)

    assert before == [200] * 6
    assert "(frozen)" in frozen
    assert "(frozen)" in advanced
    assert after == [401] * 12
    assert shown.split()[1] in advanced
