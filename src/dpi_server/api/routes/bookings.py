"""Bookings, presence and opinion requests (behaviour.md §7.2 #33-40, §8.6, §10)."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.deps import WITH_DESCRIPTION, AddressPathDep, PrincipalDep, ServicesDep
from dpi_server.api.extensions import request_with
from dpi_server.api.media import empty, ok
from dpi_server.api.schemas import (
    CancelBookingRequest,
    ConfirmBookingRequest,
    MoveBookingRequest,
    OpinionRequestBody,
)
from dpi_server.services.bookings import BookingPage

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
    ids: AddressPathDep,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    start: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    end: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    page: str | None = Query(default=None, description="Turns pagination on"),
    limit: str | None = Query(default=None, description="1..100, default 100 with page"),
    with_: str | None = With,
) -> Response:
    """Bookings starting between start and end; paginated only when `page` is given."""
    found = await services.bookings.list(principal, ids, start, end, page, limit)
    extensions = request_with(request)
    zone = principal.locale.zone
    body: dict[str, object] = {
        "_items": [wire_calendar.booking(v, zone, extensions) for v in found.views]
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
    ids: AddressPathDep,
    booking_id: str,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """One booking, always with its patient and address service."""
    view = await services.bookings.get(principal, ids, booking_id)
    return ok(
        wire_calendar.booking(
            view, principal.locale.zone, request_with(request), always_patient_and_service=True
        )
    )


@router.delete(A + "/bookings/{booking_id}", operation_id="cancelBooking", status_code=204)
async def cancel_booking(
    ids: AddressPathDep,
    booking_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    body: CancelBookingRequest | None = Body(default=None),
) -> Response:
    """Cancel a booking (optional JSON body with `reason`): 204."""
    await services.bookings.cancel(
        principal,
        ids,
        booking_id,
        None if body is None else body.reason,
    )
    return empty(204)


@router.post(A + "/bookings/{booking_id}/move", operation_id="moveBooking", status_code=201)
async def move_booking(
    ids: AddressPathDep,
    booking_id: str,
    body: MoveBookingRequest,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """Move a booking: 201, `Location` of the new booking and its body."""
    view = await services.bookings.move(
        principal,
        ids,
        booking_id,
        address_service_id=body.address_service_id,
        start=body.start,
        duration=body.duration,
        address_id=body.address_id,
    )
    new = view.booking
    base = str(request.base_url).rstrip("/")
    location = (
        f"{base}/api/v3/integration/facilities/{new.facility_id}/doctors/{new.doctor_id}"
        f"/addresses/{new.address_id}/bookings/{new.id}"
    )
    return ok(
        wire_calendar.booking(
            view, principal.locale.zone, request_with(request), always_patient_and_service=True
        ),
        status=201,
        headers={"Location": location},
    )


@router.put(A + "/bookings/{booking_id}/confirm", operation_id="confirmBooking", status_code=204)
async def confirm_booking(
    ids: AddressPathDep,
    booking_id: str,
    body: ConfirmBookingRequest,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Confirm a visit on behalf of the patient (`user`) or the clinic (`admin`): 204."""
    await services.bookings.confirm(principal, ids, booking_id, body.confirmed_by)
    return empty(204)


@router.post(
    A + "/bookings/{booking_id}/presence/patient",
    operation_id="markPatientPresence",
    status_code=204,
)
async def mark_presence(
    ids: AddressPathDep,
    booking_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """The patient came: 204."""
    await services.bookings.mark_presence(principal, ids, booking_id, present=True)
    return empty(204)


@router.delete(
    A + "/bookings/{booking_id}/presence/patient",
    operation_id="markPatientAbsence",
    status_code=204,
)
async def mark_absence(
    ids: AddressPathDep,
    booking_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """The patient did not come: 204."""
    await services.bookings.mark_presence(principal, ids, booking_id, present=False)
    return empty(204)


@router.put(D + "/opinion-request", operation_id="requestOpinion", status_code=200)
async def request_opinion(
    facility_id: str,
    doctor_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    body: OpinionRequestBody | None = Body(default=None),
) -> Response:
    """Ask the patient of a past visit for a review by SMS: 200."""
    await services.bookings.request_opinion(
        principal, facility_id, doctor_id, None if body is None else body.phone
    )
    return empty(200)
