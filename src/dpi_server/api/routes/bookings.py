"""Bookings, presence and opinion requests (behaviour.md §7.2 #33-40, §8.6, §10)."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import (
    WITH_DESCRIPTION,
    AddressDep,
    BookingDep,
    ConfirmableBookingDep,
    DoctorDep,
    DoctorsBookingDep,
    ServicesDep,
    booking_scope,
    confirmable_booking_scope,
    doctor_scope,
)
from dpi_server.api.extensions import request_with
from dpi_server.api.inputs import body_id, optional_body_id, positive_int, required_datetime
from dpi_server.api.media import empty, ok
from dpi_server.api.schemas import (
    CancelBookingRequest,
    ConfirmBookingRequest,
    MoveBookingRequest,
    OpinionRequestBody,
)
from dpi_server.services.bookings import BookingPage, BookingWindow, MoveBooking

router = APIRouter(tags=["Bookings", "Patient Presence"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
D = "/facilities/{facility_id}/doctors/{doctor_id}"
A = D + "/addresses/{address_id}"


def _page_links(request: Request, page: BookingPage, pages: int) -> dict[str, dict[str, str]]:
    """Relative `_links` of a paginated list (behaviour.md §3 "Pagination")."""
    assert page.page is not None
    assert page.limit is not None
    kept = [(k, v) for k, v in parse_qsl(request.url.query) if k not in ("page", "limit")]

    def href(number: int) -> dict[str, str]:
        query = urlencode([*kept, ("page", str(number)), ("limit", str(page.limit))])
        return {"href": f"{request.url.path}?{query}"}

    links = {"self": href(page.page), "first": href(1), "last": href(max(pages, 1))}
    if page.page < pages:
        links["next"] = href(page.page + 1)
    if 1 < page.page <= pages + 1:
        links["previous"] = href(page.page - 1)
    return links


@router.get(A + "/bookings", operation_id="getBookings")
async def get_bookings(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    start: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    end: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    page: str | None = Query(default=None, description="Turns pagination on"),
    limit: str | None = Query(default=None, description="1..100, default 100 with page"),
    with_: str | None = With,
) -> Response:
    """Bookings starting between start and end; paginated only when `page` is given."""
    window = BookingWindow(
        required_datetime("start", start),
        required_datetime("end", end),
        positive_int("page", page),
        positive_int("limit", limit),
    )
    found = await services.bookings.list(scope, window)
    extensions = request_with(request)
    body: dict[str, object] = {
        "_items": [wire_calendar.booking(v, scope.zone, extensions) for v in found.views]
    }
    if found.page is not None and found.limit is not None:
        pages = math.ceil(found.total / found.limit)
        body.update(
            page=found.page,
            limit=found.limit,
            pages=pages,
            total=found.total,
            _links=_page_links(request, found, pages),
        )
    return ok(body)


@router.get(A + "/bookings/{booking_id}", operation_id="getBooking")
async def get_booking(
    found: BookingDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """One booking, always with its patient and address service."""
    view = await services.bookings.get(found)
    return ok(
        wire_calendar.booking(
            view, found.at.zone, request_with(request), always_patient_and_service=True
        )
    )


@router.delete(
    A + "/bookings/{booking_id}",
    operation_id="cancelBooking",
    status_code=204,
    openapi_extra=documented(CancelBookingRequest, required=False),
)
async def cancel_booking(
    found: BookingDep,
    services: ServicesDep,
    body: CancelBookingRequest = json_body(CancelBookingRequest, booking_scope, optional=True),
) -> Response:
    """Cancel a booking (optional JSON body with `reason`): 204."""
    await services.bookings.cancel(found, body.reason)
    return empty(204)


@router.post(
    A + "/bookings/{booking_id}/move",
    operation_id="moveBooking",
    status_code=201,
    openapi_extra=documented(MoveBookingRequest),
)
async def move_booking(
    found: BookingDep,
    request: Request,
    services: ServicesDep,
    body: MoveBookingRequest = json_body(MoveBookingRequest, booking_scope),
    with_: str | None = With,
) -> Response:
    """Move a booking: 201, `Location` of the new booking and its body."""
    move = MoveBooking(
        start=required_datetime("start", body.start),
        address_service_id=body_id(body.address_service_id),
        duration=body.duration,
        address_id=optional_body_id(body.address_id),
    )
    view = await services.bookings.move(found, move)
    new = view.booking
    base = str(request.base_url).rstrip("/")
    location = (
        f"{base}/api/v3/integration/facilities/{new.facility_id}/doctors/{new.doctor_id}"
        f"/addresses/{new.address_id}/bookings/{new.id}"
    )
    return ok(
        wire_calendar.booking(
            view, found.at.zone, request_with(request), always_patient_and_service=True
        ),
        status=201,
        headers={"Location": location},
    )


@router.put(
    A + "/bookings/{booking_id}/confirm",
    operation_id="confirmBooking",
    status_code=204,
    openapi_extra=documented(ConfirmBookingRequest),
)
async def confirm_booking(
    found: ConfirmableBookingDep,
    services: ServicesDep,
    body: ConfirmBookingRequest = json_body(ConfirmBookingRequest, confirmable_booking_scope),
) -> Response:
    """Confirm a visit on behalf of the patient (`user`) or the clinic (`admin`): 204."""
    await services.bookings.confirm(found, body.confirmed_by)
    return empty(204)


@router.post(
    A + "/bookings/{booking_id}/presence/patient",
    operation_id="markPatientPresence",
    status_code=204,
)
async def mark_presence(found: DoctorsBookingDep, services: ServicesDep) -> Response:
    """The patient came: 204."""
    await services.bookings.mark_presence(found, present=True)
    return empty(204)


@router.delete(
    A + "/bookings/{booking_id}/presence/patient",
    operation_id="markPatientAbsence",
    status_code=204,
)
async def mark_absence(found: DoctorsBookingDep, services: ServicesDep) -> Response:
    """The patient did not come: 204."""
    await services.bookings.mark_presence(found, present=False)
    return empty(204)


@router.put(
    D + "/opinion-request",
    operation_id="requestOpinion",
    status_code=200,
    openapi_extra=documented(OpinionRequestBody, required=False),
)
async def request_opinion(
    scope: DoctorDep,
    services: ServicesDep,
    body: OpinionRequestBody = json_body(OpinionRequestBody, doctor_scope, optional=True),
) -> Response:
    """Ask the patient of a past visit for a review by SMS: 200."""
    await services.bookings.request_opinion(scope, body.phone)
    return empty(200)
