"""No input breaks a marketplace route: every `/_sandbox/` operation of the document, on a
real address and on ids that name nothing, gets bodies of the wrong shape, out-of-range
values and extreme dates; each answer is below 500 and matches the OpenAPI document (the
`api` fixture checks every response against it)."""

from __future__ import annotations

from typing import Any

from dpi_server.api.openapi import openapi_document
from tests.conftest import Api
from tests.sandbox.marketplace_support import Sandbox

EXTREMES = (
    b'{"start":"9999-12-31T23:59:59+14:00","address_service_id":"999999999999999999",'
    b'"duration":1440,"patient":{"name":"a","phone":"1"},"since":"0001-01-01T00:00:00Z",'
    b'"till":"9999-12-31T00:00:00Z","status":"paid","presence":"present",'
    b'"commercial_type":"basic","service_id":"1","price":-1,"name":"x"}'
)
BODIES = [
    b"",
    b"[]",
    b'"x"',
    b"null",
    b"{}",
    EXTREMES,
    b'{"start":"2026-01-06T09:00:00+01:00","address_service_id":"1",'
    b'"duration":99999999999999999999,"patient":{"name":"a","phone":"1"}}',
    b'{"start":"2026-01-06T09:00:00+01:00","address_id":"123456789012345678"}',
    b'{"since":"2026-01-06T09:00:00+01:00","till":"2026-01-06T09:00:00+01:00"}',
]


def _sandbox_operations() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, ops in openapi_document()["paths"].items()
        if path.startswith(("/_sandbox/patient/", "/_sandbox/doctor/"))
        for method in ops
    ]


async def test_no_junk_breaks_a_marketplace_route(api: Api) -> None:
    sb = await Sandbox.of(api, await api.estate())
    await sb.open_tuesday()
    f, d, a = sb.ids()
    real: dict[str, str] = {
        "facility_id": f,
        "doctor_id": d,
        "address_id": a,
        "booking_id": "1",
        "break_id": "1",
        "address_service_id": sb.sid(),
    }
    variants: list[dict[str, Any]] = [
        real,
        {**real, "facility_id": "0"},
        {**real, "booking_id": "99999999999999999999"},
    ]
    window = {"start": "2026-01-06T09:00:00+01:00", "end": "2027-01-06T09:00:00+01:00"}
    operations = _sandbox_operations()

    answered: set[int] = set()
    for (method, template), ids, body in (
        (op, ids, body) for op in operations for ids in variants for body in BODIES
    ):
        path = template.format(**ids)
        response = await api.http.request(
            method, path, content=body, headers=sb.headers, params=window
        )
        answered.add(response.status_code)
        assert response.status_code < 500, (method, path, body, response.text)

    assert len(operations) >= 20
    assert {400, 404} <= answered
