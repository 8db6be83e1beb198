"""The self-signed TLS pair: generation, reuse, renewal, validation and a real handshake."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dpi_server.adapters.clock import SystemClock
from dpi_server.adapters.tls import ensure_self_signed, validate_pair

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _sans(path: Path) -> tuple[set[str], set[str]]:
    san = _cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(san.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return dns, ips


class TestEnsureSelfSigned:
    """ensure_self_signed generates a pair once and keeps it until it must change."""

    def test_writes_pair_under_data_dir_tls(self, tmp_path: Path) -> None:
        """The pair lands in data_dir/tls as cert.pem and key.pem."""
        cert, key = ensure_self_signed(tmp_path / "data", ["dpi.example.test"], T0)
        assert cert == tmp_path / "data" / "tls" / "cert.pem"
        assert key == tmp_path / "data" / "tls" / "key.pem"
        validate_pair(cert, key)

    def test_key_is_private_ec_p256_and_mode_0600(self, tmp_path: Path) -> None:
        """The key is EC P-256, unencrypted PEM, readable by its owner only."""
        _, key = ensure_self_signed(tmp_path, [], T0)
        assert key.stat().st_mode & 0o777 == 0o600
        loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        assert loaded.curve.name == "secp256r1"

    def test_sans_cover_loopback_and_given_hostnames(self, tmp_path: Path) -> None:
        """SANs name localhost, 127.0.0.1, ::1 and every hostname passed in."""
        cert, _ = ensure_self_signed(tmp_path, ["dpi.example.test", "API.Example.Test."], T0)
        dns, ips = _sans(cert)
        assert dns == {"localhost", "dpi.example.test", "api.example.test"}
        assert ips == {"127.0.0.1", "::1"}

    def test_ip_literal_hostname_becomes_ip_san(self, tmp_path: Path) -> None:
        """An IP literal among the hostnames becomes an IP SAN, not a DNS name."""
        cert, _ = ensure_self_signed(tmp_path, ["10.1.2.3"], T0)
        dns, ips = _sans(cert)
        assert "10.1.2.3" in ips
        assert "10.1.2.3" not in dns

    def test_self_signed_ca_valid_825_days(self, tmp_path: Path) -> None:
        """The certificate is its own issuer, a CA, and expires 825 days after now."""
        cert_path, _ = ensure_self_signed(tmp_path, [], T0)
        cert = _cert(cert_path)
        assert cert.issuer == cert.subject
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert cert.not_valid_after_utc == T0 + timedelta(days=825)
        assert cert.not_valid_before_utc <= T0
        cert.verify_directly_issued_by(cert)

    def test_second_call_reuses_same_bytes(self, tmp_path: Path) -> None:
        """A later call with the same names returns the same files, byte for byte."""
        cert, key = ensure_self_signed(tmp_path, ["dpi.example.test"], T0)
        before = (cert.read_bytes(), key.read_bytes())
        again = ensure_self_signed(tmp_path, ["dpi.example.test"], T0 + timedelta(days=400))
        assert again == (cert, key)
        assert (cert.read_bytes(), key.read_bytes()) == before

    def test_reuse_with_subset_of_hostnames(self, tmp_path: Path) -> None:
        """Asking for fewer names than the certificate holds keeps it."""
        cert, _ = ensure_self_signed(tmp_path, ["a.example.test", "b.example.test"], T0)
        before = cert.read_bytes()
        ensure_self_signed(tmp_path, ["b.example.test"], T0)
        assert cert.read_bytes() == before

    def test_kept_with_more_than_30_days_left(self, tmp_path: Path) -> None:
        """31 days before expiry the pair is still reused."""
        cert, _ = ensure_self_signed(tmp_path, [], T0)
        before = cert.read_bytes()
        ensure_self_signed(tmp_path, [], T0 + timedelta(days=825 - 31))
        assert cert.read_bytes() == before

    def test_regenerated_within_30_days_of_expiry(self, tmp_path: Path) -> None:
        """Within 30 days of expiry a fresh pair replaces the old one."""
        cert, key = ensure_self_signed(tmp_path, [], T0)
        old_cert, old_key = cert.read_bytes(), key.read_bytes()
        later = T0 + timedelta(days=825 - 29)
        ensure_self_signed(tmp_path, [], later)
        assert cert.read_bytes() != old_cert
        assert key.read_bytes() != old_key
        assert _cert(cert).not_valid_after_utc == later + timedelta(days=825)
        assert key.stat().st_mode & 0o777 == 0o600
        validate_pair(cert, key)

    def test_regenerated_after_expiry(self, tmp_path: Path) -> None:
        """An expired pair is replaced."""
        cert, _ = ensure_self_signed(tmp_path, [], T0)
        before = cert.read_bytes()
        ensure_self_signed(tmp_path, [], T0 + timedelta(days=1000))
        assert cert.read_bytes() != before

    def test_regenerated_when_a_new_hostname_is_asked(self, tmp_path: Path) -> None:
        """A hostname the certificate does not name triggers a new pair."""
        cert, _ = ensure_self_signed(tmp_path, ["a.example.test"], T0)
        ensure_self_signed(tmp_path, ["a.example.test", "b.example.test"], T0)
        dns, _ = _sans(cert)
        assert {"a.example.test", "b.example.test"} <= dns

    def test_regenerated_when_files_are_mismatched_or_broken(self, tmp_path: Path) -> None:
        """A broken or mismatched pair on disk is replaced by a valid one."""
        cert, key = ensure_self_signed(tmp_path / "one", [], T0)
        other_cert, _ = ensure_self_signed(tmp_path / "two", [], T0)
        cert.write_bytes(other_cert.read_bytes())
        ensure_self_signed(tmp_path / "one", [], T0)
        validate_pair(cert, key)
        key.write_text("garbage")
        ensure_self_signed(tmp_path / "one", [], T0)
        validate_pair(cert, key)
        cert.unlink()
        ensure_self_signed(tmp_path / "one", [], T0)
        validate_pair(cert, key)

    def test_rejects_naive_now(self, tmp_path: Path) -> None:
        """A naive datetime is refused."""
        with pytest.raises(ValueError, match="timezone-aware"):
            ensure_self_signed(tmp_path, [], T0.replace(tzinfo=None))

    def test_rejects_empty_hostname(self, tmp_path: Path) -> None:
        """An empty hostname is refused with a clear error."""
        with pytest.raises(ValueError, match="invalid TLS hostname"):
            ensure_self_signed(tmp_path, [" "], T0)


class TestValidatePair:
    """validate_pair raises a clear ValueError for every way a pair can be wrong."""

    @pytest.fixture
    def pair(self, tmp_path: Path) -> tuple[Path, Path]:
        return ensure_self_signed(tmp_path / "data", [], T0)

    def test_accepts_matching_pair(self, pair: tuple[Path, Path]) -> None:
        """A freshly generated pair passes."""
        validate_pair(*pair)

    def test_missing_certificate(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A missing certificate file is named in the error."""
        with pytest.raises(ValueError, match="certificate file not found"):
            validate_pair(tmp_path / "nope.pem", pair[1])

    def test_missing_key(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A missing key file is named in the error."""
        with pytest.raises(ValueError, match="private key file not found"):
            validate_pair(pair[0], tmp_path / "nope.pem")

    def test_directory_instead_of_file(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A directory where a file should be is refused."""
        with pytest.raises(ValueError, match="not a regular file"):
            validate_pair(tmp_path, pair[1])

    def test_certificate_not_pem(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A certificate file that is not PEM is refused."""
        bad = tmp_path / "bad-cert.pem"
        bad.write_text("not a certificate\n")
        with pytest.raises(ValueError, match=r"not a PEM X\.509 certificate"):
            validate_pair(bad, pair[1])

    def test_key_not_pem(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A key file that is not PEM is refused."""
        bad = tmp_path / "bad-key.pem"
        bad.write_text("not a key\n")
        with pytest.raises(ValueError, match="not a PEM private key"):
            validate_pair(pair[0], bad)

    def test_certificate_given_as_key(self, pair: tuple[Path, Path]) -> None:
        """Swapping the two files is refused."""
        with pytest.raises(ValueError, match="not a PEM"):
            validate_pair(pair[1], pair[0])

    def test_encrypted_key(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A passphrase-protected key is refused with a hint."""
        key = serialization.load_pem_private_key(pair[1].read_bytes(), password=None)
        encrypted = tmp_path / "enc-key.pem"
        encrypted.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            )
        )
        with pytest.raises(ValueError, match="encrypted"):
            validate_pair(pair[0], encrypted)

    def test_mismatched_pair(self, pair: tuple[Path, Path], tmp_path: Path) -> None:
        """A key from another pair is refused as not matching."""
        _, other_key = ensure_self_signed(tmp_path / "other", [], T0)
        with pytest.raises(ValueError, match="do not match"):
            validate_pair(pair[0], other_key)


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[Path, int]]:
    """An echo server on 127.0.0.1 speaking TLS with a freshly generated pair."""
    cert, key = ensure_self_signed(tmp_path, ["dpi.example.test"], SystemClock().now())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            writer.write(await reader.readline())
            await writer.drain()
        writer.close()
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            await writer.wait_closed()

    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield cert, port
    finally:
        server.close()
        await server.wait_closed()


class TestHandshake:
    """A client trusting cert.pem completes a verified TLS handshake with the pair."""

    @pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1", "dpi.example.test"])
    async def test_verified_handshake(
        self, tls_server: tuple[Path, int], server_hostname: str
    ) -> None:
        """Hostname checking passes for DNS and IP SANs alike."""
        cert, port = tls_server
        client = ssl.create_default_context(cafile=str(cert))
        assert client.check_hostname
        assert client.verify_mode == ssl.CERT_REQUIRED
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client, server_hostname=server_hostname
        )
        try:
            peer = writer.get_extra_info("peercert")
            assert peer is not None
            writer.write(b"ping\n")
            await writer.drain()
            assert await asyncio.wait_for(reader.readline(), 5) == b"ping\n"
            if server_hostname == "127.0.0.1":
                ips = [v for k, v in peer["subjectAltName"] if k == "IP Address"]
                assert ipaddress.ip_address(server_hostname) in map(ipaddress.ip_address, ips)
        finally:
            writer.close()
            await writer.wait_closed()

    async def test_unknown_hostname_is_rejected(self, tls_server: tuple[Path, int]) -> None:
        """A name missing from the SANs fails verification."""
        cert, port = tls_server
        client = ssl.create_default_context(cafile=str(cert))
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                "127.0.0.1", port, ssl=client, server_hostname="other.example.test"
            )

    async def test_untrusted_without_cafile(
        self, tls_server: tuple[Path, int], tmp_path: Path
    ) -> None:
        """A client that trusts a different certificate rejects the server."""
        _, port = tls_server
        stranger, _ = ensure_self_signed(tmp_path / "stranger", [], SystemClock().now())
        client = ssl.create_default_context(cafile=str(stranger))
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                "127.0.0.1", port, ssl=client, server_hostname="localhost"
            )
