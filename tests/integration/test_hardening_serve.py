"""Issue #12 against a real `dpi serve`: raw sockets for what the HTTP parser sees, the
process's own output for secrets, the file system for permissions."""

from __future__ import annotations

import json
import os
import select
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.test_serve import free_port, start, stop, wait_for_port

pytestmark = pytest.mark.slow

ERROR_TYPE = "application/vnd.error+docplanner+json"


@dataclass
class Served:
    data_dir: Path
    port: int
    http_port: int
    process: subprocess.Popen[str]

    @property
    def creds(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return data

    def https(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=self.creds["ca_cert"]))


def _serve(data_dir: Path, *extra: str) -> Served:
    port, http_port = free_port(), free_port()
    args = ["--data-dir", str(data_dir), "--port", str(port), "--http-port", str(http_port)]
    process = start([*args, *extra])
    wait_for_port(port, process)
    wait_for_port(http_port, process)
    return Served(data_dir, port, http_port, process)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = _serve(tmp_path_factory.mktemp("hardening"))
    try:
        yield server
    finally:
        stop(server.process)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def _parse(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split()[1]), headers, body)


def exchange(port: int, request: bytes) -> Reply:
    """Send `request` in one go on a fresh connection and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return _parse(b"".join(chunks))


def assert_envelope(reply: Reply, status: int, message: str) -> None:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == ERROR_TYPE
    assert json.loads(reply.body) == {"errors": [], "message": message}


def get(path: str = "/api/v3/integration/facilities", headers: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n"


class TestRequestHeadLimits:
    """Item 1: the request head is limited in size (16 KiB) and lines (100): 431 / 414."""

    def test_a_large_header_is_refused_with_431(self, served: Served) -> None:
        reply = exchange(served.http_port, get(headers=b"X-Big: " + b"a" * 20_000 + b"\r\n"))
        assert_envelope(reply, 431, "Request header fields are too large")

    def test_too_many_header_lines_are_refused_with_431(self, served: Served) -> None:
        lines = b"".join(b"X-%d: 1\r\n" % n for n in range(150))
        reply = exchange(served.http_port, get(headers=lines))
        assert_envelope(reply, 431, "Too many request header fields")

    def test_a_request_within_the_limits_is_served(self, served: Served) -> None:
        lines = b"".join(b"X-%d: %s\r\n" % (n, b"v" * 100) for n in range(90))
        reply = exchange(served.http_port, get(headers=lines))
        assert reply.status == 308  # the plain-HTTP listener's answer: the head was read

    def test_a_64_mib_header_is_cut_off_early(self, served: Served) -> None:
        """The server stops reading at the limit instead of buffering 64 MiB; meanwhile
        another client is served."""
        sent = 0
        answer = b""
        with socket.create_connection(("127.0.0.1", served.http_port), timeout=30) as sock:
            sock.sendall(get().removesuffix(b"\r\n") + b"X-Huge: ")
            block = b"a" * 65536
            try:
                while sent < 64 * 1024 * 1024:
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        break
                    sock.sendall(block)
                    sent += len(block)
                answer = sock.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
            other = httpx.get(f"http://127.0.0.1:{served.http_port}/x")

        # Kernel buffers hold a few MiB at most; the server read no more than 16 KiB of them.
        assert sent < 16 * 1024 * 1024
        assert answer == b"" or _parse(answer).status == 431
        assert other.status_code == 308

    def test_a_64_kib_query_is_refused_with_414(self, served: Served) -> None:
        reply = exchange(served.http_port, get("/x?q=" + "a" * 65536))
        assert_envelope(reply, 414, "Request URI is too long")

    def test_limits_apply_on_the_tls_port_too(self, served: Served) -> None:
        context = ssl.create_default_context(cafile=served.creds["ca_cert"])
        with (
            socket.create_connection(("127.0.0.1", served.port), timeout=30) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            sock.sendall(get(headers=b"X-Big: " + b"a" * 20_000 + b"\r\n"))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert_envelope(_parse(data), 431, "Request header fields are too large")


class TestParserErrors:
    """Item 9: what the HTTP parser refuses is answered in the envelope too."""

    @pytest.mark.parametrize(
        "request_bytes",
        [
            b"POST /oauth/v2/token HTTP/1.1\r\nHost: a\r\n"
            b"Content-Length: 1000000000000000000000000000000\r\n\r\n",
            b"POST /oauth/v2/token HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"GET /x HTTP/1.1\nHost: a\n\n",
            b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
        ],
        ids=["content-length-overflow", "cl-and-te", "bare-lf", "space-in-name", "tls-on-http"],
    )
    def test_answered_400_in_the_envelope(self, served: Served, request_bytes: bytes) -> None:
        reply = exchange(served.http_port, request_bytes)
        assert_envelope(reply, 400, "Invalid HTTP request")


class TestRedirects:
    """Item 2 on the real listener: the plain-HTTP redirect never names a hostile host."""

    @pytest.mark.parametrize(
        "host", [b"evil.example/x?", b"evil.example", b"127.0.0.1@evil.example", b"a b"]
    )
    def test_hostile_host_falls_back_to_the_configured_one(
        self, served: Served, host: bytes
    ) -> None:
        reply = exchange(served.http_port, b"GET /x HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        assert reply.status == 308
        assert reply.headers["location"] == f"https://127.0.0.1:{served.port}/x"

    def test_a_marketplace_host_is_kept(self, served: Served) -> None:
        reply = exchange(served.http_port, b"GET /x HTTP/1.1\r\nHost: www.jameda.de\r\n\r\n")
        assert reply.headers["location"] == f"https://www.jameda.de:{served.port}/x"

    def test_public_host_is_the_fallback(self, tmp_path: Path) -> None:
        server = _serve(tmp_path, "--public-host", "api.example.org", "--public-https-port", "443")
        try:
            reply = exchange(server.http_port, b"GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n")
            kept = exchange(server.http_port, b"GET /x HTTP/1.1\r\nHost: api.example.org\r\n\r\n")
        finally:
            stop(server.process)
        assert reply.headers["location"] == "https://api.example.org/x"
        assert kept.headers["location"] == "https://api.example.org/x"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestSecretsAndLogs:
    """Items 4 and 5: secrets printed once, never in a log line, whatever a client sends."""

    def test_a_full_session_leaves_no_secret_in_the_output(self, tmp_path: Path) -> None:
        first = _serve(tmp_path)
        try:
            creds = first.creds
            secret, operator = creds["client_secret"], creds["operator_token"]
            tokens = self._session(first)
        finally:
            first_output = stop(first.process)
        second = _serve(tmp_path)
        try:
            tokens += self._session(second)
        finally:
            second_output = stop(second.process)

        # Shown once, on the run that created them...
        assert first_output.count(secret) == 1
        assert first_output.count(operator) == 1
        assert "demo-credentials.json" in second_output
        # ...and nowhere else: not on restart, not in any access-log or warning line.
        lines = first_output.split("\n")
        panel_free = "\n".join(line for line in lines if "│" not in line)
        for value in (secret, operator, *tokens):
            assert value not in panel_free, value
            assert value not in second_output, value
        assert "access_token=***" in second_output
        assert "client_secret=***" in second_output

    def _session(self, server: Served) -> list[str]:
        """Every way a client may send a secret or a token, the refused ones included."""
        creds = server.creds
        cid, secret = creds["client_id"], creds["client_secret"]
        token_url, api = creds["token_url"], creds["api_base_url"]
        form = {"grant_type": "client_credentials"}
        with server.https() as http:
            tokens = [
                http.post(token_url, auth=(cid, secret), data=form).json()["access_token"],
                http.post(
                    token_url, data={**form, "client_id": cid, "client_secret": secret}
                ).json()["access_token"],
            ]
            by_query = http.post(
                f"{token_url}?client_id={cid}&client_secret={secret}&grant_type=client_credentials"
            )
            if by_query.status_code == 200:
                tokens.append(by_query.json()["access_token"])
            token = tokens[0]
            assert http.get(f"{api}/facilities", headers={"Authorization": f"Bearer {token}"})
            refused = http.get(f"{api}/facilities?access_token={token}")
            assert refused.status_code == 401
            http.get(f"{api}/facilities?token={token}&x=1")
            http.get(f"{api}/facilities", headers={"Authorization": f"Bearer {token} {token}"})
            http.get(f"{api}/nowhere?access_token={creds['operator_token']}")
        plain = f"http://127.0.0.1:{server.http_port}"
        httpx.get(f"{plain}/oauth/v2/token?client_secret={secret}&token={token}")
        return tokens


class TestPermissions:
    """Item 6: the data directory is 0700, the database and its companions 0600."""

    def test_a_fresh_data_dir_is_private(self, served: Served) -> None:
        data = served.data_dir
        with served.https() as http:  # a write, so the WAL and SHM files exist
            http.post(
                served.creds["token_url"],
                auth=(served.creds["client_id"], served.creds["client_secret"]),
                data={"grant_type": "client_credentials"},
            )
        assert _mode(data) == 0o700
        for name in ("dpi.sqlite3", "dpi.sqlite3-wal", "dpi.sqlite3-shm", "demo-credentials.json"):
            assert _mode(data / name) == 0o600, name
        assert _mode(data / "tls") == 0o700
        assert _mode(data / "tls" / "key.pem") == 0o600

    def test_an_existing_wide_data_dir_is_restricted_with_a_warning(self, tmp_path: Path) -> None:
        data = tmp_path / "data"
        first = _serve(data)
        stop(first.process)
        data.chmod(0o755)
        for name in ("dpi.sqlite3", "demo-credentials.json"):
            (data / name).chmod(0o644)
        (data / "dpi.sqlite3-wal").touch()
        (data / "dpi.sqlite3-wal").chmod(0o644)

        second = _serve(data)
        try:
            modes = {name: _mode(data / name) for name in ("dpi.sqlite3", "demo-credentials.json")}
            wal = data / "dpi.sqlite3-wal"
            wal_mode = _mode(wal) if wal.exists() else 0o600  # gone if SQLite checkpointed it
        finally:
            output = stop(second.process)

        assert _mode(data) == 0o700
        assert modes == {"dpi.sqlite3": 0o600, "demo-credentials.json": 0o600}
        assert wal_mode == 0o600
        assert "readable by others (mode 0755)" in output
        assert "readable by others (mode 0644)" in output

    def test_client_commands_create_a_private_database(self, tmp_path: Path) -> None:
        data = tmp_path / "fresh"
        subprocess.run(
            [sys.executable, "-m", "dpi_server.cli", "client", "list", "--data-dir", str(data)],
            check=True,
            capture_output=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert _mode(data) == 0o700
        assert _mode(data / "dpi.sqlite3") == 0o600
