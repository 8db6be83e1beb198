"""Calendar breaks (behaviour.md §7.2 #24-28, §8.4)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire_calendar
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import AddressDep, BreakDep, ServicesDep, address_scope, break_scope
from dpi_server.api.inputs import break_range, break_window
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import AddCalendarBreakRequest, MoveCalendarBreakRequest
from dpi_server.services.calendar import NewBreak

router = APIRouter(tags=["Calendar Breaks"])
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


@router.get(A + "/breaks", operation_id="getCalendarBreaks")
async def get_breaks(
    scope: AddressDep,
    services: ServicesDep,
    since: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    till: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
) -> Response:
    """Breaks that intersect the window."""
    found = await services.calendar.list_breaks(scope, *break_window(since, till))
    return ok(items([wire_calendar.calendar_break(b, scope.zone) for b in found]))


@router.post(
    A + "/breaks",
    operation_id="addCalendarBreak",
    status_code=201,
    openapi_extra=documented(AddCalendarBreakRequest),
)
async def add_break(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    body: AddCalendarBreakRequest = json_body(AddCalendarBreakRequest, address_scope),
) -> Response:
    """Add a break: 201, `Location` and the break."""
    since, till = break_range(body.since, body.till)
    created = await services.calendar.add_break(
        scope, NewBreak(since, till, body.description, body.apply_on_coupled_addresses)
    )
    location = str(request.url).split("?", 1)[0].rstrip("/") + f"/{created.id}"
    return ok(
        wire_calendar.calendar_break(created, scope.zone),
        status=201,
        headers={"Location": location},
    )


@router.get(A + "/breaks/{break_id}", operation_id="getCalendarBreak")
async def get_break(found: BreakDep) -> Response:
    """One break, or 404 `Invalid break ID`."""
    return ok(wire_calendar.calendar_break(found.calendar_break, found.at.zone))


@router.patch(
    A + "/breaks/{break_id}",
    operation_id="moveCalendarBreak",
    status_code=204,
    openapi_extra=documented(MoveCalendarBreakRequest),
)
async def move_break(
    found: BreakDep,
    services: ServicesDep,
    body: MoveCalendarBreakRequest = json_body(MoveCalendarBreakRequest, break_scope),
) -> Response:
    """Move a break (and the breaks linked to it): 204."""
    await services.calendar.move_break(found, *break_range(body.since, body.till))
    return empty(204)


@router.delete(A + "/breaks/{break_id}", operation_id="deleteCalendarBreak", status_code=204)
async def delete_break(found: BreakDep, services: ServicesDep) -> Response:
    """Delete a break (and the breaks linked to it): 204."""
    await services.calendar.delete_break(found)
    return empty(204)
