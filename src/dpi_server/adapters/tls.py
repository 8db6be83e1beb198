"""A local self-signed TLS certificate for `dpi serve`, generated once and reused.

The certificate is its own trust anchor (basicConstraints CA:TRUE, keyCertSign), so a client
can trust it directly: `curl --cacert <data_dir>/tls/cert.pem https://localhost:PORT/`. It names
localhost, 127.0.0.1, ::1 and every hostname the caller passes, and lives 825 days (the longest
lifetime Apple platforms accept for a server certificate). Time is passed in: callers hand over
their clock's `now()`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if sys.platform != "win32":
    import fcntl

__all__ = [
    "CERT_FILENAME",
    "KEY_FILENAME",
    "LIFETIME",
    "RENEW_BEFORE",
    "TLS_DIRNAME",
    "ensure_self_signed",
    "validate_pair",
]

TLS_DIRNAME = "tls"
CERT_FILENAME = "cert.pem"
KEY_FILENAME = "key.pem"
LIFETIME = timedelta(days=825)
RENEW_BEFORE = timedelta(days=30)
# Backdate notBefore a little so a client whose clock lags ours still accepts the certificate.
_BACKDATE = timedelta(hours=1)
_DEFAULT_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
_SUBJECT_CN = "dpi local self-signed certificate"

_SanName = x509.DNSName | x509.IPAddress


def ensure_self_signed(
    data_dir: Path, hostnames: Sequence[str], now: datetime
) -> tuple[Path, Path]:
    """Return `(cert_path, key_path)` under `data_dir/tls/`, generating the pair when needed.

    An existing pair is reused as is (same bytes) when it is a matching, readable pair, already
    valid at `now`, not expiring within 30 days of `now`, and names every requested host.
    Otherwise a new EC P-256 key and certificate replace it. `now` must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    wanted = _san_names([*_DEFAULT_NAMES, *hostnames])

    tls_dir = Path(data_dir) / TLS_DIRNAME
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path = tls_dir / CERT_FILENAME
    key_path = tls_dir / KEY_FILENAME

    with _locked(tls_dir / ".lock"):
        if _reusable(cert_path, key_path, wanted, now):
            _restrict_key_mode(key_path)
            return cert_path, key_path
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _build_certificate(key, wanted, now)
        key_pem = key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        # Key first: a crash in between leaves a mismatched pair, which the next run replaces.
        _atomic_write(key_path, key_pem, 0o600)
        _atomic_write(cert_path, cert_pem, 0o644)
    return cert_path, key_path


def validate_pair(cert: Path, key: Path) -> None:
    """Raise ValueError unless `cert` and `key` are readable PEM files that belong together."""
    certificate = _load_certificate(Path(cert))
    private_key = _load_private_key(Path(key))
    cert_spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_spki = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if cert_spki != key_spki:
        raise ValueError(
            f"TLS certificate {cert} and private key {key} do not match: "
            "the key is not the one the certificate was issued for"
        )


def _read(path: Path, what: str) -> bytes:
    if not path.exists():
        raise ValueError(f"TLS {what} file not found: {path}")
    if not path.is_file():
        raise ValueError(f"TLS {what} path is not a regular file: {path}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"TLS {what} file is not readable: {path} ({exc.strerror})") from exc


def _load_certificate(path: Path) -> x509.Certificate:
    data = _read(path, "certificate")
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"TLS certificate file is not a PEM X.509 certificate: {path}") from exc


def _load_private_key(path: Path) -> PrivateKeyTypes:
    data = _read(path, "private key")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # the key is encrypted
        raise ValueError(
            f"TLS private key file is encrypted; an unencrypted key is required: {path}"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"TLS private key file is not a PEM private key: {path}") from exc


def _san_names(names: Sequence[str]) -> list[_SanName]:
    """Turn host names and IP literals into subjectAltName entries, deduplicated, in order."""
    result: list[_SanName] = []
    for raw in names:
        name = raw.strip().rstrip(".").lower()
        if not name:
            raise ValueError(f"invalid TLS hostname: {raw!r}")
        entry: _SanName
        try:
            entry = x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
        except ValueError:
            entry = x509.DNSName(_ascii_hostname(name, raw))
        if entry not in result:
            result.append(entry)
    return result


def _ascii_hostname(name: str, raw: str) -> str:
    if name.isascii():
        return name
    labels = name.split(".")
    try:
        return ".".join(label.encode("idna").decode("ascii") for label in labels)
    except UnicodeError as exc:
        raise ValueError(f"invalid TLS hostname: {raw!r}") from exc


def _reusable(cert_path: Path, key_path: Path, wanted: Sequence[_SanName], now: datetime) -> bool:
    if not cert_path.exists() and not key_path.exists():
        return False
    try:
        validate_pair(cert_path, key_path)
        cert = _load_certificate(cert_path)
    except ValueError:
        return False
    if now < cert.not_valid_before_utc or now + RENEW_BEFORE >= cert.not_valid_after_utc:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = set(san)
    return all(name in present for name in wanted)


def _build_certificate(
    key: ec.EllipticCurvePrivateKey, names: Sequence[_SanName], now: datetime
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _SUBJECT_CN)])
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` via a temporary file in the same directory and a rename."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:  # mkstemp creates the file 0600, so the key is never readable by others
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _restrict_key_mode(key_path: Path) -> None:
    with contextlib.suppress(OSError):
        if key_path.stat().st_mode & 0o077:
            key_path.chmod(0o600)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialize generation between processes sharing a data directory (POSIX only)."""
    if sys.platform == "win32":
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
