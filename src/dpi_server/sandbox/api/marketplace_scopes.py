"""What the marketplace routes share: the path ids resolved to scopes for the acting patient
or doctor (services/access.py), the refusals each route documents, and the answer to a
real-time gate's denial.

Path ids are read as the public API reads them (api/inputs.py `path_id`): anything but
digits names no object, 404 in the envelope.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from dpi_server.api.inputs import path_id
from dpi_server.api.media import ERROR_MEDIA_TYPE
from dpi_server.domain.actors import Actor
from dpi_server.domain.notifications import BookingDeniedByVendor
from dpi_server.sandbox.api.marketplace_models import MarketplaceVendorRefusal
from dpi_server.services.access import (
    AddressRef,
    AddressScope,
    AddressServiceScope,
    BookingScope,
    BreakScope,
    DoctorRef,
    DoctorScope,
)
from dpi_server.services.registry import Services

D = "/facilities/{facility_id}/doctors/{doctor_id}"
A = D + "/addresses/{address_id}"


def _address_ref(facility_id: str, doctor_id: str, address_id: str) -> AddressRef:
    return AddressRef(path_id(facility_id), path_id(doctor_id), path_id(address_id))


async def doctor_scope(
    services: Services, actor: Actor, facility_id: str, doctor_id: str
) -> DoctorScope:
    return await services.access.doctor(actor, DoctorRef(path_id(facility_id), path_id(doctor_id)))


async def address_scope(
    services: Services, actor: Actor, facility_id: str, doctor_id: str, address_id: str
) -> AddressScope:
    return await services.access.address(actor, _address_ref(facility_id, doctor_id, address_id))


async def booking_scope(
    services: Services,
    actor: Actor,
    facility_id: str,
    doctor_id: str,
    address_id: str,
    booking_id: str,
) -> BookingScope:
    ref = _address_ref(facility_id, doctor_id, address_id)
    return await services.access.booking(actor, ref, path_id(booking_id), include_deleted=False)


async def doctors_booking_scope(
    services: Services,
    actor: Actor,
    facility_id: str,
    doctor_id: str,
    address_id: str,
    booking_id: str,
) -> BookingScope:
    """Presence's lookup: another doctor's visit is 404 before another address's 403."""
    ref = _address_ref(facility_id, doctor_id, address_id)
    return await services.access.doctors_booking(actor, ref, path_id(booking_id))


async def break_scope(
    services: Services,
    actor: Actor,
    facility_id: str,
    doctor_id: str,
    address_id: str,
    break_id: str,
) -> BreakScope:
    ref = _address_ref(facility_id, doctor_id, address_id)
    return await services.access.calendar_break(actor, ref, path_id(break_id))


async def address_service_scope(
    services: Services,
    actor: Actor,
    facility_id: str,
    doctor_id: str,
    address_id: str,
    address_service_id: str,
) -> AddressServiceScope:
    ref = _address_ref(facility_id, doctor_id, address_id)
    return await services.access.address_service(actor, ref, path_id(address_service_id))


def refusals(*statuses: int, gated: bool = False) -> dict[int | str, dict[str, Any]]:
    """The error answers a route adds to the sandbox's usual ones (400, 401, 403, 404, 409):
    422 where the calendar's rules refuse, and on gated routes the vendor's 409."""
    error = {"$ref": "#/components/schemas/Error"}
    found: dict[int | str, dict[str, Any]] = {
        status: {
            "description": "Refused by the calendar's rules.",
            "content": {ERROR_MEDIA_TYPE: {"schema": error}},
        }
        for status in statuses
    }
    if gated:
        found[409] = {
            "description": (
                "The visit is not bookable as asked, or a real-time client of the facility "
                "denied it (`error_code`: the vendor's code); the slot stays free."
            ),
            "content": {
                ERROR_MEDIA_TYPE: {
                    "schema": {"anyOf": [error, MarketplaceVendorRefusal.model_json_schema()]}
                }
            },
        }
    return found


async def vendor_refused(_request: Request, exc: Exception) -> Response:
    """409 in the envelope, with the vendor's `error_code` and why the gate said no."""
    assert isinstance(exc, BookingDeniedByVendor)
    body = MarketplaceVendorRefusal(
        errors=[], message=exc.message, error_code=exc.error_code, reason=exc.reason
    )
    return Response(
        orjson.dumps(body.model_dump()), status_code=exc.status, media_type=ERROR_MEDIA_TYPE
    )
