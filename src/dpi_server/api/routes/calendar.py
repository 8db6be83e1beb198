"""Calendars, slots and bookSlot (behaviour.md §7.2 #21-23, #29-32; §8.1-§8.3, §8.5)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.deps import WITH_DESCRIPTION, AddressPathDep, PrincipalDep, ServicesDep
from dpi_server.api.extensions import request_with
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import BookSlotRequest, ReplaceSlotsRequest
from dpi_server.domain import errors
from dpi_server.domain.bookings import Patient
from dpi_server.domain.calendar import IncomingPeriod, PeriodService
from dpi_server.domain.timefmt import parse_datetime
from dpi_server.services.bookings import BookRequest, birth_date_of
from dpi_server.services.directory import parse_id
from dpi_server.services.principal import Principal

router = APIRouter(tags=["Calendars", "Slots"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


@router.get(A + "/calendar", operation_id="getCalendar")
async def get_calendar(
    ids: AddressPathDep,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """The calendar's status, or 404 `Calendar does not exist`."""
    found = await services.calendar.get(principal, ids)
    return ok(wire_calendar.calendar(found))


@router.post(A + "/calendar/enable", operation_id="enableCalendar", status_code=200)
async def enable_calendar(
    ids: AddressPathDep,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Enable the calendar: 200 with no body."""
    await services.calendar.enable(principal, ids)
    return empty(200)


@router.post(A + "/calendar/disable", operation_id="disableCalendar", status_code=200)
async def disable_calendar(
    ids: AddressPathDep,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Disable the calendar: 200 with no body; its availability is kept."""
    await services.calendar.disable(principal, ids)
    return empty(200)


def _incoming(body: ReplaceSlotsRequest) -> list[IncomingPeriod]:
    """Parse the periods' date-times and ids, collecting a field map of what is unreadable."""
    problems: dict[str, list[str]] = {}
    periods: list[IncomingPeriod] = []
    for index, item in enumerate(body.slots):
        start, end = parse_datetime(item.start), parse_datetime(item.end)
        for name, value in (("start", start), ("end", end)):
            if value is None:
                problems[f"slots[{index}].{name}"] = ["This value is not a valid datetime."]
        if start is None or end is None:
            continue
        services = None
        if item.address_services is not None:
            # An id that is not a number names no address service: -1 fails that check.
            services = tuple(
                PeriodService(parse_id(s.address_service_id) or -1, s.duration)
                for s in item.address_services
            )
        periods.append(
            IncomingPeriod(
                index=index,
                start=start,
                end=end,
                services=services,
                insurance_accepted=item.insurance_accepted,
                insurance_providers=(
                    None if item.insurance_providers is None else tuple(item.insurance_providers)
                ),
            )
        )
    if problems:
        raise errors.FieldErrors(problems)
    return periods


def canonical_payload(body: ReplaceSlotsRequest) -> bytes:
    """What "identical payload" compares (§8.2): the parsed body, keys sorted. The stdlib
    encoder, not orjson, as it takes integers of any size (ids are not bounded)."""
    return json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()


@router.put(A + "/slots", operation_id="replaceSlots", status_code=201)
async def replace_slots(
    ids: AddressPathDep,
    body: ReplaceSlotsRequest,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Replace the availability of every day the payload touches: 201 with no body."""
    canonical = canonical_payload(body)
    await services.calendar.replace_slots(principal, ids, lambda: _incoming(body), canonical)
    return empty(201)


@router.get(A + "/slots", operation_id="getSlots")
async def get_slots(
    ids: AddressPathDep,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    start: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    end: str | None = Query(default=None, description="Required; at most 180 days after start"),
    with_: str | None = With,
) -> Response:
    """Free slots between start and end."""
    with_services = "slot.services" in request_with(request)
    found = await services.calendar.get_slots(
        principal, ids, start, end, with_services=with_services
    )
    zone = principal.locale.zone
    return ok(items([wire_calendar.slot(s, zone, with_services) for s in found]))


@router.delete(A + "/slots/{date}", operation_id="deleteSlots", status_code=204)
async def delete_slots(
    ids: AddressPathDep,
    date: str,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Remove the availability of one day (`YYYY-MM-DD` or a date-time); bookings stay."""
    await services.calendar.delete_slots(principal, ids, date)
    return empty(204)


def _book_request(body: BookSlotRequest, principal: Principal) -> BookRequest:
    p = body.patient
    return BookRequest(
        address_service_id=body.address_service_id,
        duration=body.duration,
        patient=Patient(
            name=p.name,
            phone=p.phone,
            surname=p.surname,
            email=p.email,
            birth_date=birth_date_of(p.birth_date, principal.locale.zone),
            nin=p.nin,
            gender=p.gender,
            insurance_number=p.insurance_number,
            marketing_consent=p.marketing_consent,
            data_privacy_consent=p.data_privacy_consent,
        ),
        is_returning=body.is_returning,
        is_recurring=body.is_recurring,
        comment=body.comment,
        label=body.label,
        insurance_provider_id=body.insurance_provider_id,
        insurance_plan_id=body.insurance_plan_id,
    )


@router.post(A + "/slots/{start}/book", operation_id="bookSlot")
async def book_slot(
    ids: AddressPathDep,
    start: str,
    body: BookSlotRequest,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Book the free slot starting at `start`: 200 with the booking."""
    view = await services.bookings.book(principal, ids, start, _book_request(body, principal))
    return ok(wire_calendar.booked_slot(view, principal.locale.zone, request_with(request)))
