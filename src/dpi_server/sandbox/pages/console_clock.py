"""The console's clock: the sandbox clock every process shares (real, frozen or offset),
and the controls `/_sandbox/clock` offers (services/time_travel.py): freeze, set, advance,
back to real time.

Setting or advancing runs what became due on the way before it answers; the redirect after
it carries that report as plain counts (`?steps=2&attempts=1...`), so reloading the page
shows it again without moving the clock a second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dpi_server.domain.errors import FieldErrors
from dpi_server.sandbox.pages import console_forms as cf
from dpi_server.sandbox.pages.console import CLOCK_URL, render_console
from dpi_server.sandbox.pages.forms import read_form, wall_clock
from dpi_server.sandbox.pages.rendering import act
from dpi_server.sandbox.pages.session import PageServices, operator_page
from dpi_server.services.registry import Services
from dpi_server.services.scheduler import SchedulerReport

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
# What a move reports, in the order the page lists it.
RAN = ("steps", "attempts", "delivered", "purged", "health_checks", "canceled")


async def _page(
    request: Request, services: Services, *, status: int = 200, error: str | None = None
) -> Response:
    reading = await services.time_travel.show()
    ran = None
    if request.query_params.get("done") == "clock-moved":
        ran = cf.counts(dict(request.query_params), RAN)
    return render_console(
        request,
        "console_clock.html",
        "clock",
        {
            "reading": reading,
            "now": reading.now.astimezone(UTC),
            "offset_minutes": reading.offset.total_seconds() / 60,
            "field_now": reading.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            "ran": ran,
        },
        status=status,
        error=error,
    )


@router.get(CLOCK_URL)
async def clock_page(request: Request, services: PageServices) -> Response:
    """Where the sandbox clock stands, and its controls."""
    return await _page(request, services)


async def _act(
    request: Request, services: Services, action: Callable[[], Awaitable[str]]
) -> Response:
    """Run `action()`, which answers where to go next; a refusal (a time before now, a bad
    duration) answers the page with the error, the clock unmoved."""

    async def refused(status: int, error: str) -> Response:
        return await _page(request, services, status=status, error=error)

    return await act(action, refused)


def _moved(ran: SchedulerReport) -> str:
    counts = "&".join(f"{name}={int(getattr(ran, name))}" for name in RAN)
    return f"{CLOCK_URL}?done=clock-moved&{counts}"


@router.post(CLOCK_URL + "/freeze")
async def freeze(request: Request, services: PageServices) -> Response:
    async def action() -> str:
        await services.time_travel.freeze()
        return f"{CLOCK_URL}?done=clock-frozen"

    return await _act(request, services, action)


@router.post(CLOCK_URL + "/real")
async def real(request: Request, services: PageServices) -> Response:
    async def action() -> str:
        await services.time_travel.real()
        return f"{CLOCK_URL}?done=clock-real"

    return await _act(request, services, action)


@router.post(CLOCK_URL + "/set")
async def set_clock(request: Request, services: PageServices) -> Response:
    """To an instant typed in UTC (or with its own offset), not before now."""

    async def action() -> str:
        form = await read_form(request, cf.ClockSetForm)
        instant = wall_clock("at", form.at, UTC).astimezone(UTC)
        if instant - (await services.time_travel.show()).now > cf.MAX_ADVANCE:
            raise FieldErrors({"at": ["At most ten years ahead at a time."]})
        return _moved((await services.time_travel.set(instant)).ran)

    return await _act(request, services, action)


@router.post(CLOCK_URL + "/advance")
async def advance(request: Request, services: PageServices) -> Response:
    async def action() -> str:
        form = await read_form(request, cf.ClockAdvanceForm)
        return _moved((await services.time_travel.advance(form.delta())).ran)

    return await _act(request, services, action)
