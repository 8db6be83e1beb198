"""The examples run against a seeded `dpi serve` and type-check under `mypy --strict`
(issue #11 §8 and acceptance)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# In the order a reader runs them: availability before booking.
ORDER = [
    ("get_token.py", "facility "),
    ("publish_availability.py", "free slots tomorrow"),
    ("book_move_cancel.py", "canceled"),
    ("consume_notifications.py", "notification"),
    ("async_bookings.py", "bookings tomorrow"),
    ("webhook_receiver.py", '409 {"error_code": 1}'),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A seeded `dpi serve` (SQLite, self-signed TLS) and the credentials file it wrote."""
    data = tmp_path_factory.mktemp("served")
    port = _free_port()
    log = (data / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dpi_server.cli",
            "serve",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--http-port",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((data / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield data / "demo-credentials.json"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.mark.parametrize(("script", "expected"), ORDER, ids=[s for s, _ in ORDER])
def test_example_runs(credentials: Path, script: str, expected: str) -> None:
    """Each example exits 0 against the seeded server and prints what it promises."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DPI_CREDENTIALS": str(credentials)},
        cwd=ROOT,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert expected in result.stdout


def test_examples_type_check_strictly() -> None:
    """`mypy --strict` passes on the examples (which use the SDK as an integrator would)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
        capture_output=True,
        text=True,
        cwd=EXAMPLES,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
