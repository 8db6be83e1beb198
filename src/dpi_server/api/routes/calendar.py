"""Calendars, slots and bookSlot (behaviour.md §7.2 #21-23, #29-32; §8.1-§8.3, §8.5)."""

from __future__ import annotations

import hashlib
import json
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import WITH_DESCRIPTION, AddressDep, ServicesDep, address_scope
from dpi_server.api.extensions import request_with
from dpi_server.api.inputs import (
    birth_date_of,
    body_id,
    day_of,
    optional_body_id,
    parse_id,
    required_datetime,
    slot_start,
)
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import BookSlotRequest, ReplaceSlotsRequest
from dpi_server.domain import errors
from dpi_server.domain.booking_rules import VisitDetails
from dpi_server.domain.bookings import Patient, normalise_label
from dpi_server.domain.calendar import IncomingPeriod, PeriodService
from dpi_server.domain.timefmt import parse_datetime
from dpi_server.services.bookings import BookSlot
from dpi_server.services.calendar import HEAVY_PAYLOAD
from dpi_server.services.offload import off_loop

router = APIRouter(tags=["Calendars", "Slots"])
# Answers with more slots than this are rendered in a worker thread (services/offload.py).
HEAVY_RENDER = 2000
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


@router.get(A + "/calendar", operation_id="getCalendar")
async def get_calendar(scope: AddressDep, services: ServicesDep) -> Response:
    """The calendar's status, or 404 `Calendar does not exist`."""
    return ok(wire_calendar.calendar(await services.calendar.get(scope)))


@router.post(A + "/calendar/enable", operation_id="enableCalendar", status_code=200)
async def enable_calendar(scope: AddressDep, services: ServicesDep) -> Response:
    """Enable the calendar: 200 with no body."""
    await services.calendar.enable(scope)
    return empty(200)


@router.post(A + "/calendar/disable", operation_id="disableCalendar", status_code=200)
async def disable_calendar(scope: AddressDep, services: ServicesDep) -> Response:
    """Disable the calendar: 200 with no body; its availability is kept."""
    await services.calendar.disable(scope)
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


@router.put(
    A + "/slots",
    operation_id="replaceSlots",
    status_code=201,
    openapi_extra=documented(ReplaceSlotsRequest),
)
async def replace_slots(
    scope: AddressDep,
    services: ServicesDep,
    body: ReplaceSlotsRequest = json_body(ReplaceSlotsRequest, address_scope),
) -> Response:
    """Replace the availability of every day the payload touches: 201 with no body."""
    heavy = len(body.slots) > HEAVY_PAYLOAD
    periods, fingerprint = await off_loop(heavy, _read_payload, body)
    await services.calendar.replace_slots(scope, periods, fingerprint)
    return empty(201)


def _read_payload(body: ReplaceSlotsRequest) -> tuple[list[IncomingPeriod], str]:
    return _incoming(body), hashlib.sha256(canonical_payload(body)).hexdigest()


@router.get(A + "/slots", operation_id="getSlots")
async def get_slots(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    start: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    end: str | None = Query(default=None, description="Required; at most 180 days after start"),
    with_: str | None = With,
) -> Response:
    """Free slots between start and end."""
    with_services = "slot.services" in request_with(request)
    found = await services.calendar.get_slots(
        scope,
        required_datetime("start", start),
        required_datetime("end", end),
        with_services=with_services,
    )
    zone = scope.zone
    body = await off_loop(
        len(found) > HEAVY_RENDER,
        lambda: items([wire_calendar.slot(s, zone, with_services) for s in found]),
    )
    return ok(body)


@router.delete(A + "/slots/{date}", operation_id="deleteSlots", status_code=204)
async def delete_slots(scope: AddressDep, date: str, services: ServicesDep) -> Response:
    """Remove the availability of one day (`YYYY-MM-DD` or a date-time); bookings stay."""
    await services.calendar.delete_slots(scope, day_of(date, scope.zone))
    return empty(204)


def book_request(body: BookSlotRequest, zone: ZoneInfo) -> BookSlot:
    """bookSlot's body as the use case's input (the sandbox's bookings read it too)."""
    p = body.patient
    patient = Patient(
        name=p.name,
        phone=p.phone,
        surname=p.surname,
        email=p.email,
        birth_date=birth_date_of(p.birth_date, zone),
        nin=p.nin,
        gender=p.gender,
        insurance_number=p.insurance_number,
        marketing_consent=p.marketing_consent,
        data_privacy_consent=p.data_privacy_consent,
    )
    return BookSlot(
        address_service_id=body_id(body.address_service_id),
        duration=body.duration,
        details=VisitDetails(
            patient=patient,
            is_returning=body.is_returning,
            is_recurring=body.is_recurring,
            comment=body.comment,
            label=normalise_label(body.label),
            insurance_provider_id=optional_body_id(body.insurance_provider_id),
            insurance_plan_id=optional_body_id(body.insurance_plan_id),
        ),
    )


@router.post(
    A + "/slots/{start}/book", operation_id="bookSlot", openapi_extra=documented(BookSlotRequest)
)
async def book_slot(
    scope: AddressDep,
    start: str,
    request: Request,
    services: ServicesDep,
    body: BookSlotRequest = json_body(BookSlotRequest, address_scope),
) -> Response:
    """Book the free slot starting at `start`: 200 with the booking."""
    view = await services.bookings.book(scope, slot_start(start), book_request(body, scope.zone))
    return ok(wire_calendar.booked_slot(view, scope.zone, request_with(request)))
