"""Calendar breaks (behaviour.md §7.2 #24-28, §8.4)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.deps import AddressPathDep, PrincipalDep, ServicesDep
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import AddCalendarBreakRequest, MoveCalendarBreakRequest

router = APIRouter(tags=["Calendar Breaks"])
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


@router.get(A + "/breaks", operation_id="getCalendarBreaks")
async def get_breaks(
    ids: AddressPathDep,
    principal: PrincipalDep,
    services: ServicesDep,
    since: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    till: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
) -> Response:
    """Breaks that intersect the window."""
    found = await services.calendar.list_breaks(principal, ids, since, till)
    zone = principal.locale.zone
    return ok(items([wire_calendar.calendar_break(b, zone) for b in found]))


@router.post(A + "/breaks", operation_id="addCalendarBreak", status_code=201)
async def add_break(
    ids: AddressPathDep,
    body: AddCalendarBreakRequest,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Add a break: 201, `Location` and the break."""
    created = await services.calendar.add_break(
        principal,
        ids,
        body.since,
        body.till,
        body.description,
        body.apply_on_coupled_addresses,
    )
    location = str(request.url).split("?", 1)[0].rstrip("/") + f"/{created.id}"
    return ok(
        wire_calendar.calendar_break(created, principal.locale.zone),
        status=201,
        headers={"Location": location},
    )


@router.get(A + "/breaks/{break_id}", operation_id="getCalendarBreak")
async def get_break(
    ids: AddressPathDep,
    break_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """One break, or 404 `Invalid break ID`."""
    found = await services.calendar.get_break(principal, ids, break_id)
    return ok(wire_calendar.calendar_break(found, principal.locale.zone))


@router.patch(A + "/breaks/{break_id}", operation_id="moveCalendarBreak", status_code=204)
async def move_break(
    ids: AddressPathDep,
    break_id: str,
    body: MoveCalendarBreakRequest,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Move a break (and the breaks linked to it): 204."""
    await services.calendar.move_break(principal, ids, break_id, body.since, body.till)
    return empty(204)


@router.delete(A + "/breaks/{break_id}", operation_id="deleteCalendarBreak", status_code=204)
async def delete_break(
    ids: AddressPathDep,
    break_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Delete a break (and the breaks linked to it): 204."""
    await services.calendar.delete_break(principal, ids, break_id)
    return empty(204)
