"""The pure pieces of issue #12: log masking, the backoff curve, source-address units, Host
and Authorization parsing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from dpi_server.api.middleware import HostGuardMiddleware, MalformedAuthorization, bearer_credential
from dpi_server.cli.logs import RedactSecrets, redact
from dpi_server.domain.ratelimit import Backoff
from dpi_server.services.ratelimit import source_key

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class TestRedact:
    @pytest.mark.parametrize(
        ("line", "masked"),
        [
            ("GET /x?access_token=abc123 HTTP/1.1", "GET /x?access_token=*** HTTP/1.1"),
            ("/t?client_id=a&client_secret=s3cr3t&x=1", "/t?client_id=a&client_secret=***&x=1"),
            ("/t?a=1&token=deadbeef", "/t?a=1&token=***"),
            ("Authorization: Bearer abc.def", "Authorization: ***"),
            ("headers {'authorization': 'Basic eDp5'}", "headers {'authorization': '***'}"),
            ("got bearer 0123456789abcdef", "got bearer ***"),
            ("/x?not_a_token=1&tokens=2", "/x?not_a_token=1&tokens=2"),
        ],
    )
    def test_masks_credentials_only(self, line: str, masked: str) -> None:
        assert redact(line) == masked

    def test_access_log_records_keep_their_shape(self) -> None:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5", "GET", "/x?access_token=abc", "1.1", 401),
            None,
        )
        assert RedactSecrets().filter(record)
        assert record.getMessage() == '127.0.0.1:5 - "GET /x?access_token=*** HTTP/1.1" 401'


class TestBackoff:
    backoff = Backoff(free=5, base_seconds=1, max_seconds=300, forget_after_seconds=3600)

    def test_the_curve_doubles_after_the_free_failures_up_to_the_cap(self) -> None:
        curve = [self.backoff.lock_seconds(n) for n in range(1, 17)]
        assert curve == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
        assert self.backoff.lock_seconds(10**9) == 300

    def test_locked_until_ends_and_stale_counts_are_forgotten(self) -> None:
        assert self.backoff.locked_until(8, T0, T0) == T0 + timedelta(seconds=4)
        assert self.backoff.locked_until(8, T0, T0 + timedelta(seconds=4)) is None
        assert self.backoff.locked_until(3, T0, T0) is None
        assert self.backoff.locked_until(100, T0, T0 + timedelta(hours=1)) is None


class TestSourceKey:
    @pytest.mark.parametrize(
        ("address", "key"),
        [
            ("203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("unknown", "unknown"),
        ],
    )
    def test_units(self, address: str, key: str) -> None:
        assert source_key(address) == key


class TestHostCheck:
    guard = HostGuardMiddleware(
        app=None,  # type: ignore[arg-type]
        fallback="api.example.org",
        fallback_port=443,
        extra_hosts=("10.1.2.3", "::1"),
    )

    @pytest.mark.parametrize(
        ("values", "kept"),
        [
            ([b"www.znanylekarz.pl"], b"www.znanylekarz.pl"),
            ([b"ZnanyLekarz.PL:8443"], b"znanylekarz.pl:8443"),
            ([b"www.jameda.de."], b"www.jameda.de"),
            ([b"10.1.2.3:80"], b"10.1.2.3:80"),
            ([b"[::1]:8443"], b"[::1]:8443"),
            ([b"api.example.org"], b"api.example.org"),
            ([b"evil.example"], None),
            ([b"www.znanylekarz.pl/x?"], None),
            ([b"www.znanylekarz.pl:0"], None),
            ([b"www.znanylekarz.pl:x@evil"], None),
            ([b"www.znanylekarz.pl", b"www.jameda.de"], None),
            ([], None),
            ([b"\xff"], None),
        ],
    )
    def test_only_known_hosts_are_kept(self, values: list[bytes], kept: bytes | None) -> None:
        assert self.guard.checked(values) == kept

    def test_the_fallback_omits_the_default_port(self) -> None:
        assert self.guard.fallback == b"api.example.org"


class TestBearerCredential:
    @pytest.mark.parametrize(
        ("values", "token"),
        [
            ([], None),
            (["Basic eDp5"], None),
            (["Bearer"], None),
            (["Bearer   "], None),
            (["Bearertoken"], None),
            (["Bearer abc"], "abc"),
            (["bearer  abc"], "abc"),
            (["BEARER abc=="], "abc=="),
        ],
    )
    def test_readable_values(self, values: list[str], token: str | None) -> None:
        assert bearer_credential(values) == token

    @pytest.mark.parametrize(
        "values", [["Bearer a", "Bearer a"], ["Bearer a b"], ["Bearer a,Bearer b"], ["Bearer a\tb"]]
    )
    def test_ambiguous_values(self, values: list[str]) -> None:
        assert isinstance(bearer_credential(values), MalformedAuthorization)
