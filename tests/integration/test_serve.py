"""`dpi serve` as an operator runs it: a real process, real TLS, real ports (issue #2 §9)."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

DPI = [sys.executable, "-m", "dpi_server.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_of(process: subprocess.Popen[str]) -> str:
    return _LOGS[process.pid].read_text(errors="replace")


_LOGS: dict[int, Path] = {}


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dpi serve exited early: {_log_of(process)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"port {port} never opened")


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `dpi serve`; its output goes to a file, never to a pipe nobody drains (a full
    pipe would block the server once its access log passes 64 KiB)."""
    log = Path(tempfile.mkstemp(prefix="dpi-serve-", suffix=".log")[1])
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*DPI, "serve", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
        )
    _LOGS[process.pid] = log
    return process


def stop(process: subprocess.Popen[str]) -> str:
    """Stop the server and return everything it printed."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = _LOGS.pop(process.pid)
    output = log.read_text(errors="replace")
    log.unlink(missing_ok=True)
    return output


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, int, int, subprocess.Popen[str]]]:
    port, http_port = free_port(), free_port()
    process = start(
        ["--data-dir", str(tmp_path), "--port", str(port), "--http-port", str(http_port)]
    )
    try:
        wait_for_port(port, process)
        wait_for_port(http_port, process)
        yield tmp_path, port, http_port, process
    finally:
        stop(process)


class TestFirstRun:
    def test_seeds_and_serves_over_tls(
        self, served: tuple[Path, int, int, subprocess.Popen[str]]
    ) -> None:
        """Fresh data dir: credentials file, trusted self-signed TLS, token, facilities."""
        data_dir, port, _, _ = served
        creds = json.loads((data_dir / "demo-credentials.json").read_text())
        assert set(creds) == {
            "client_id",
            "client_secret",
            "token_url",
            "api_base_url",
            "operator_token",
            "sandbox_url",
            "ca_cert",
        }
        assert creds["token_url"] == f"https://127.0.0.1:{port}/oauth/v2/token"
        assert creds["sandbox_url"] == f"https://127.0.0.1:{port}/_sandbox"

        with httpx.Client(verify=ssl.create_default_context(cafile=creds["ca_cert"])) as http:
            token = http.post(
                creds["token_url"],
                auth=(creds["client_id"], creds["client_secret"]),
                data={"grant_type": "client_credentials", "scope": "integration"},
            ).json()["access_token"]
            facilities = http.get(
                creds["api_base_url"] + "/facilities",
                headers={"Authorization": f"Bearer {token}"},
            ).json()["_items"]
            doctors = http.get(
                creds["api_base_url"] + f"/facilities/{facilities[0]['id']}/doctors",
                headers={"Authorization": f"Bearer {token}"},
            ).json()["_items"]

            operator = {"Authorization": f"Bearer {creds['operator_token']}"}
            sandbox = http.get(creds["sandbox_url"] + "/status", headers=operator)
            refused = http.get(creds["api_base_url"] + "/facilities", headers=operator)

        assert len(facilities) >= 2
        assert len(doctors) >= 3
        assert sandbox.status_code == 200, sandbox.text
        assert sandbox.json()["clients"] == 1
        assert refused.status_code == 401

    def test_plain_http_redirects_to_https(
        self, served: tuple[Path, int, int, subprocess.Popen[str]]
    ) -> None:
        """The plain-HTTP port answers 308 with the HTTPS location of the same path."""
        _, port, http_port, _ = served

        response = httpx.post(f"http://127.0.0.1:{http_port}/oauth/v2/token", data={"a": "b"})

        assert response.status_code == 308
        assert response.headers["location"] == f"https://127.0.0.1:{port}/oauth/v2/token"

    def test_second_start_keeps_the_estate(self, tmp_path: Path) -> None:
        """A restart neither reseeds nor changes the demo credentials."""
        port = free_port()
        args = ["--data-dir", str(tmp_path), "--port", str(port), "--http-port", "0"]
        first = start(args)
        wait_for_port(port, first)
        stop(first)
        before = json.loads((tmp_path / "demo-credentials.json").read_text())

        second = start(args)
        wait_for_port(port, second)
        with httpx.Client(verify=ssl.create_default_context(cafile=before["ca_cert"])) as http:
            response = http.post(
                before["token_url"],
                auth=(before["client_id"], before["client_secret"]),
                data={"grant_type": "client_credentials"},
            )
        stop(second)

        assert response.status_code == 200
        assert json.loads((tmp_path / "demo-credentials.json").read_text()) == before


class TestBehindAProxy:
    def test_forwarded_proto_from_a_trusted_proxy_is_served(self, tmp_path: Path) -> None:
        """X-Forwarded-Proto: https is trusted only from the configured proxy addresses."""
        port, http_port = free_port(), free_port()
        process = start(
            [
                "--data-dir",
                str(tmp_path),
                "--port",
                str(port),
                "--http-port",
                str(http_port),
                "--proxy-headers",
                "--forwarded-allow-ips",
                "127.0.0.1",
            ]
        )
        try:
            wait_for_port(http_port, process)
            url = f"http://127.0.0.1:{http_port}/api/v3/integration/facilities"
            via_proxy = httpx.get(url, headers={"X-Forwarded-Proto": "https"})
            direct = httpx.get(url)
        finally:
            stop(process)

        assert via_proxy.status_code == 401  # served: the API asks for a token
        assert direct.status_code == 308

    def test_untrusted_sources_cannot_claim_https(self, tmp_path: Path) -> None:
        """From an address that is not a configured proxy the header changes nothing."""
        port, http_port = free_port(), free_port()
        process = start(
            [
                "--data-dir",
                str(tmp_path),
                "--port",
                str(port),
                "--http-port",
                str(http_port),
                "--proxy-headers",
                "--forwarded-allow-ips",
                "10.9.9.9",
            ]
        )
        try:
            wait_for_port(http_port, process)
            response = httpx.get(
                f"http://127.0.0.1:{http_port}/api/v3/integration/facilities",
                headers={"X-Forwarded-Proto": "https"},
            )
        finally:
            stop(process)

        assert response.status_code == 308


class TestInsecureMode:
    def test_plain_http_with_a_loud_warning(self, tmp_path: Path) -> None:
        """--insecure-http serves plain HTTP and says so at start; ca_cert is null."""
        port = free_port()
        process = start(["--data-dir", str(tmp_path), "--port", str(port), "--insecure-http"])
        try:
            wait_for_port(port, process)
            creds = json.loads((tmp_path / "demo-credentials.json").read_text())
            response = httpx.post(
                creds["token_url"],
                auth=(creds["client_id"], creds["client_secret"]),
                data={"grant_type": "client_credentials"},
            )
        finally:
            output = stop(process)

        assert creds["ca_cert"] is None
        assert creds["token_url"].startswith("http://")
        assert response.status_code == 200
        assert "INSECURE" in output

    def test_flags_can_come_from_the_environment(self, tmp_path: Path) -> None:
        """Every flag is also a DPI_* variable."""
        port = free_port()
        process = start(
            [],
            env={
                "DPI_DATA_DIR": str(tmp_path),
                "DPI_PORT": str(port),
                "DPI_INSECURE_HTTP": "1",
            },
        )
        try:
            wait_for_port(port, process)
        finally:
            stop(process)

        assert (tmp_path / "demo-credentials.json").exists()


class TestClientCommands:
    def run(self, tmp_path: Path, *args: str) -> str:
        result = subprocess.run(
            [*DPI, "client", *args, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "250"},
            check=False,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def test_create_assign_list_revoke(self, tmp_path: Path) -> None:
        """Operators create a client, give it a facility, list it and revoke it."""
        created = self.run(tmp_path, "create", "Acme PMS", "--locale", "pl")
        client_id = created.split("client_id:")[1].split()[0]
        assert "client_secret:" in created

        failed = subprocess.run(
            [*DPI, "client", "assign-facility", client_id, "999", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        listed = self.run(tmp_path, "list")
        self.run(tmp_path, "limits", client_id, "--write-limit", "10")
        self.run(tmp_path, "revoke", client_id)
        after = self.run(tmp_path, "list")

        assert failed.returncode == 1
        assert "no facility with id 999" in failed.stderr
        assert client_id in listed
        assert "active" in listed
        assert "revoked" in after
