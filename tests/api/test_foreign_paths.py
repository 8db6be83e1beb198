"""Every operation of our OpenAPI, aimed at another client's objects with a bad body or bad
query, answers 403 and changes nothing: the path is checked before any input is read
(docs/decisions.md "Access and paths")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dpi_server.api.openapi import openapi_document
from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, Cal, at, book_body, period
from tests.conftest import Api

NOT_AUTHORIZED = {"errors": [], "message": "You are not authorized to see this facility"}
BAD_QUERY = "?start=garbage&end=nope&since=x&till=y&page=zero&limit=-1&with=nothing"
# Bodies a careless or hostile client might send: unreadable, of the wrong type, wrong fields.
BAD_BODIES: tuple[tuple[str, bytes], ...] = (
    ("not json", b"{not json"),
    ("a list", b"[]"),
    ("wrong types", b'{"duration": "thirty", "patient": 7, "slots": "x", "since": []}'),
    ("too deep", b"[" * 5000 + b"]" * 5000),
)


def _operations() -> list[tuple[str, str, str, bool]]:
    """(operationId, method, path, has a body) of every API operation under a facility path
    (the sandbox's marketplace routes take the operator's token, not a client's)."""
    found = []
    for path, methods in openapi_document()["paths"].items():
        if "{facility_id}" not in path or path.startswith("/_sandbox/"):
            continue
        for method, operation in methods.items():
            found.append(
                (operation["operationId"], method.upper(), path, "requestBody" in operation)
            )
    return sorted(found)


OPERATIONS = _operations()


async def _foreign_objects(api: Api) -> tuple[TestEstate, dict[str, str]]:
    """Another client's estate with a booking and a break, and the path values naming them."""
    other = await api.estate()
    cal = Cal(api, other)
    await cal.enable()
    await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
    booking = await cal.booked(at(TUE, "10:00"), book_body(cal.sid()))
    added = await cal.add_break({"since": at(TUE, "11:00"), "till": at(TUE, "11:30")})
    assert added.status_code == 201, added.text
    facility, doctor, address = other.extra["address_paths"][0]
    return other, {
        "facility_id": str(facility),
        "doctor_id": str(doctor),
        "address_id": str(address),
        "booking_id": str(booking["id"]),
        "break_id": str(added.json()["id"]),
        "address_service_id": str(other.address_service_ids[0]),
        "insurance_provider_id": str(other.provider_ids[0]),
        "start": at(TUE, "10:30"),
        "date": TUE,
    }


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


class TestForeignPathWhateverTheInput:
    def test_every_facility_operation_is_covered(self) -> None:
        """The list below is our OpenAPI's: a new operation is checked without editing this."""
        assert len(OPERATIONS) >= 35
        assert {op for op, *_ in OPERATIONS} >= {"bookSlot", "replaceSlots", "moveBooking"}

    async def test_bad_input_on_another_clients_objects_is_403(
        self, api: Api, estate: TestEstate
    ) -> None:
        """For each operation and each bad body (or a bad query where there is no body):
        403 `You are not authorized to see this facility`, and nothing changes."""
        other, values = await _foreign_objects(api)
        before = await Cal(api, other).state()
        answers: dict[tuple[str, str], tuple[int, Any]] = {}

        for operation_id, method, path, has_body in OPERATIONS:
            url = _fill(path, values) + BAD_QUERY
            bodies = BAD_BODIES if has_body else (("none", b""),)
            for label, body in bodies:
                response = await api.http.request(
                    method,
                    url,
                    content=body,
                    headers={**estate.headers, "Content-Type": "application/json"},
                )
                answers[(operation_id, label)] = (response.status_code, response.json())

        wrong = {k: v for k, v in answers.items() if v != (403, NOT_AUTHORIZED)}
        assert wrong == {}
        assert await Cal(api, other).state() == before


@pytest.mark.parametrize("operation", [op for op, *_ in OPERATIONS])
def test_operation_ids_are_unique(operation: str) -> None:
    """Each operation appears once (a duplicated id would hide an operation from the check)."""
    assert [op for op, *_ in OPERATIONS].count(operation) == 1
