"""What the marketplace routes share: the path's ids (which services/access.py resolves to
scopes for the acting patient or doctor), the refusals each route documents, and the answer
to a real-time gate's denial.

Path ids are read as the public API reads them (api/inputs.py `path_id`): anything but
digits names no object, 404 in the envelope.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from dpi_server.api.body import json_body
from dpi_server.api.inputs import path_id
from dpi_server.api.media import ERROR_MEDIA_TYPE
from dpi_server.domain.notifications import BookingDeniedByVendor
from dpi_server.sandbox.api.auth import operator
from dpi_server.sandbox.api.marketplace_models import MarketplaceVendorRefusal
from dpi_server.services.access import AddressRef, DoctorRef

D = "/facilities/{facility_id}/doctors/{doctor_id}"
A = D + "/addresses/{address_id}"


async def _address_path(facility_id: str, doctor_id: str, address_id: str) -> AddressRef:
    return AddressRef(path_id(facility_id), path_id(doctor_id), path_id(address_id))


async def _doctor_path(facility_id: str, doctor_id: str) -> DoctorRef:
    return DoctorRef(path_id(facility_id), path_id(doctor_id))


# The path's ids, read after the operator's token (dependencies run in the order declared).
AddressPath = Annotated[AddressRef, Depends(_address_path)]
DoctorPath = Annotated[DoctorRef, Depends(_doctor_path)]


def body_of(model: type[BaseModel], *, optional: bool = False) -> Any:
    """The JSON body (whatever the Content-Type, as on the public API), read once the
    operator's token has been checked; a malformed one is 400 with an `errors` map."""
    return json_body(model, operator, optional=optional)


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
