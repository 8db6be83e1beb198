"""Issue #12 over the real app: hostile Host values, ambiguous Authorization headers, and the
limits on free text in request bodies (docs/decisions.md "Hardening")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, Cal, at, book_body, invalid, patient, period
from tests.api.support import failure, success
from tests.conftest import Api

FACILITIES = "/api/v3/integration/facilities"
AMBIGUOUS = {
    "errors": [],
    "message": "Send exactly one Authorization header with one Bearer token.",
}
CONTROL = ["This value contains control characters."]

HOSTILE_HOSTS = [
    "evil.example",
    "evil.example/x?",
    "www.znanylekarz.pl.evil.example",
    "www.znanylekarz.pl@evil.example",
    "www.znanylekarz.pl:8443@evil.example",
    "evil.example#www.znanylekarz.pl",
    "[::1]evil",
    "www.znanylekarz.pl:99999",
    "",
]


class TestHostileHosts:
    """Item 2: absolute URLs and redirects never name a host we were not configured for."""

    @pytest.mark.parametrize("host", HOSTILE_HOSTS)
    async def test_plain_http_redirect_falls_back(self, api: Api, host: str) -> None:
        response = await api.http.get("http://testserver/x?a=1", headers={"Host": host})

        assert response.status_code == 308
        assert response.headers["location"] == "https://testserver:8443/x?a=1"

    async def test_known_hosts_are_kept(self, api: Api) -> None:
        spanish = await api.http.get("http://x/x", headers={"Host": "WWW.Doctoralia.ES:8080"})
        loopback = await api.http.get("http://x/x", headers={"Host": "127.0.0.1:8080"})

        assert spanish.headers["location"] == "https://www.doctoralia.es:8443/x"
        assert loopback.headers["location"] == "https://127.0.0.1:8443/x"

    async def test_created_location_names_the_configured_host(
        self, api: Api, estate: TestEstate
    ) -> None:
        """`Location` of a created break is built from Host: a hostile one is replaced."""
        response = await api.http.post(
            f"{estate.address_path(0)}/breaks",
            json={"since": at(TUE, "11:00"), "till": at(TUE, "12:00")},
            headers={**estate.headers, "Host": "evil.example/x?"},
        )

        body = success(response, 201)
        assert response.headers["location"] == (
            f"https://testserver:8443{estate.address_path(0)}/breaks/{body['id']}"
        )

    async def test_an_unknown_host_keeps_the_default_locale(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The locale is still chosen from the Host as sent (unknown: the default, pl)."""
        response = await api.http.get(
            FACILITIES, headers={**estate.headers, "Host": "evil.example"}
        )
        assert response.status_code == 200


class TestAuthorizationHeader:
    """Item 3: exactly one Authorization header with one Bearer credential."""

    async def test_two_headers_are_refused_whatever_their_order(
        self, api: Api, estate: TestEstate
    ) -> None:
        good = f"Bearer {estate.token}"
        for pair in ((good, "Bearer bad"), ("Bearer bad", good), (good, good)):
            response = await api.http.get(
                FACILITIES, headers=[("Authorization", pair[0]), ("Authorization", pair[1])]
            )
            assert failure(response, 401) == AMBIGUOUS
            assert response.headers["www-authenticate"] == 'Bearer error="invalid_request"'

    @pytest.mark.parametrize(
        "value", ["Bearer {t} {t}", "Bearer {t}, Bearer {t}", "Bearer {t},x", "Bearer {t}\tx"]
    )
    async def test_several_credentials_in_one_header_are_refused(
        self, api: Api, estate: TestEstate, value: str
    ) -> None:
        response = await api.http.get(
            FACILITIES, headers={"Authorization": value.format(t=estate.token)}
        )
        assert failure(response, 401) == AMBIGUOUS

    @pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
    async def test_the_scheme_is_case_insensitive(
        self, api: Api, estate: TestEstate, scheme: str
    ) -> None:
        """RFC 7235 §2.1; `1*SP` between scheme and token (RFC 6750 §2.1) too."""
        for gap in (" ", "  "):
            response = await api.http.get(
                FACILITIES, headers={"Authorization": f"{scheme}{gap}{estate.token}"}
            )
            assert response.status_code == 200, (scheme, gap)

    async def test_two_authorization_headers_at_the_token_endpoint(
        self, api: Api, estate: TestEstate
    ) -> None:
        """RFC 6749 §5.2: a credential sent twice is `invalid_request`."""
        response = await api.http.post(
            "/oauth/v2/token",
            data={"grant_type": "client_credentials"},
            headers=[("Authorization", "Basic eDp5"), ("Authorization", "Basic eDp5")],
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"


async def _booking_setup(api: Api, estate: TestEstate) -> Cal:
    cal = Cal(api, estate)
    await cal.publish(period(at(TUE, "09:00"), at(TUE, "12:00"), (cal.sid(), 30)))
    return cal


class TestFieldLimits:
    """Item 8: lengths and control characters (decisions.md "Hardening")."""

    async def test_a_megabyte_comment_is_refused(self, api: Api, estate: TestEstate) -> None:
        cal = await _booking_setup(api, estate)
        response = await cal.book(at(TUE, "09:00"), book_body(cal.sid(), comment="x" * 1_000_000))

        assert failure(response, 400) == invalid(
            {"comment": ["This value is too long. It should have 2000 characters or less."]}
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", "Jan\x00"),
            ("surname", "Kowal\x1b[31mski"),
            ("phone", "+48500100200\n"),
            ("email", "jan@example.com\x7f"),
            ("nin", "123\x85"),
        ],
    )
    async def test_control_characters_in_a_patient_are_refused(
        self, api: Api, estate: TestEstate, field: str, value: str
    ) -> None:
        cal = await _booking_setup(api, estate)
        body = book_body(cal.sid(), patient=patient(**{field: value}))
        response = await cal.http.post(
            f"{cal.path()}/slots/{at(TUE, '09:00').replace('+', '%2B')}/book",
            content=_json_with_raw_escapes(body),
            headers={**cal.h, "Content-Type": "application/json"},
        )

        assert failure(response, 400) == invalid({f"patient.{field}": CONTROL})

    async def test_a_lone_surrogate_is_refused(self, api: Api, estate: TestEstate) -> None:
        """JSON's `\\ud800` decodes to a code point no database can store: 400, never 500."""
        cal = await _booking_setup(api, estate)
        body = book_body(cal.sid(), patient=patient(name="Jan\ud800"))
        response = await cal.http.post(
            f"{cal.path()}/slots/{at(TUE, '09:00').replace('+', '%2B')}/book",
            content=_json_with_raw_escapes(body),
            headers={**cal.h, "Content-Type": "application/json"},
        )

        assert set(failure(response, 400)["errors"]) == {"patient.name"}

    async def test_line_breaks_in_a_comment_are_kept(self, api: Api, estate: TestEstate) -> None:
        cal = await _booking_setup(api, estate)
        booked = success(
            await cal.book(at(TUE, "09:00"), book_body(cal.sid(), comment="line 1\r\n\tline 2"))
        )
        assert booked["comment"] == "line 1\r\n\tline 2"

    @pytest.mark.parametrize(
        ("field", "limit"), [("name", 100), ("surname", 100), ("email", 254), ("phone", 32)]
    )
    async def test_patient_fields_have_lengths(
        self, api: Api, estate: TestEstate, field: str, limit: int
    ) -> None:
        cal = await _booking_setup(api, estate)
        response = await cal.book(
            at(TUE, "09:00"), book_body(cal.sid(), patient=patient(**{field: "1" * (limit + 1)}))
        )
        assert failure(response, 400) == invalid(
            {
                f"patient.{field}": [
                    f"This value is too long. It should have {limit} characters or less."
                ]
            }
        )

    async def test_a_break_from_1900_to_2999_is_refused(self, api: Api, estate: TestEstate) -> None:
        response = await api.http.post(
            f"{estate.address_path(0)}/breaks",
            json={"since": "1900-01-01T00:00:00+01:00", "till": "2999-01-01T00:00:00+01:00"},
            headers=estate.headers,
        )
        assert failure(response, 400) == invalid(
            {"till": ["A break must not last longer than 366 days."]}
        )

    async def test_a_long_break_description_is_refused(self, api: Api, estate: TestEstate) -> None:
        response = await api.http.post(
            f"{estate.address_path(0)}/breaks",
            json={"since": at(TUE, "11:00"), "till": at(TUE, "12:00"), "description": "d" * 256},
            headers=estate.headers,
        )
        assert failure(response, 400) == invalid(
            {"description": ["This value is too long. It should have 255 characters or less."]}
        )

    async def test_a_cancel_reason_has_a_length(self, api: Api, estate: TestEstate) -> None:
        cal = await _booking_setup(api, estate)
        booked = success(await cal.book(at(TUE, "09:00")))
        response = await api.http.request(
            "DELETE",
            f"{cal.path()}/bookings/{booked['id']}",
            json={"reason": "r" * 2001},
            headers=cal.h,
        )
        assert failure(response, 400) == invalid(
            {"reason": ["This value is too long. It should have 2000 characters or less."]}
        )


def _json_with_raw_escapes(body: dict[str, Any]) -> bytes:
    """JSON as a client would write it: control characters and lone surrogates as \\u escapes
    (the only way JSON can carry them)."""
    return json.dumps(body, ensure_ascii=True).encode()
