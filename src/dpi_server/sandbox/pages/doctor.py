"""The doctor's side of one address: breaks, presence of past visits, the address's services.

Everything here acts as the doctor (`DoctorActor`): the changes raise the notifications a
doctor's own calendar work raises on Docplanner (break-*, presence-marked, address-service-*).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dpi_server.domain.actors import DoctorActor
from dpi_server.domain.errors import DomainError
from dpi_server.sandbox.pages import forms
from dpi_server.sandbox.pages.calendar_view import requested_week
from dpi_server.sandbox.pages.rendering import act, error_page, error_text, local, render
from dpi_server.sandbox.pages.session import AddressPath, PageServices, operator_page
from dpi_server.services.access import AddressRef
from dpi_server.services.address_services import (
    UNSET,
    AddressServiceChanges,
    NewAddressService,
)
from dpi_server.services.bookings import BookingWindow
from dpi_server.services.calendar import NewBreak
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
PATH = "/doctor/{facility_id}/{doctor_id}/{address_id}"
DOCTOR = DoctorActor()


def page_url(ref: AddressRef) -> str:
    return f"/doctor/{ref.facility_id}/{ref.doctor_id}/{ref.address_id}"


async def _page(
    request: Request,
    services: Services,
    ref: AddressRef,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    try:
        scope = await services.access.address(DOCTOR, ref)
    except DomainError as exc:
        return error_page(request, exc)
    zone = scope.zone
    now = services.clock.now()
    week, week_error = requested_week(request, now, zone)
    breaks, notice = [], None
    try:
        breaks = await services.calendar.list_breaks(scope, week.start, week.end)
    except DomainError as exc:
        notice = error_text(exc)
    views = (await services.bookings.list(scope, BookingWindow(week.start, week.end))).views
    offered = await services.address_services.for_address(scope)
    taken = {s.service_id for s in offered}
    dictionary = await services.directory.list_services(
        scope.locale, only_diagnostics=False, specialization_id=None
    )
    return render(
        request,
        "doctor.html",
        {
            "title": f"{scope.doctor.name} {scope.doctor.surname}: calendar",
            "scope": scope,
            "url": page_url(ref),
            "marketplace_url": page_url(ref).replace("/doctor/", "/marketplace/", 1),
            "week": week,
            "now": now,
            "breaks": breaks,
            "notice": notice,
            "visits": views,
            "offered": offered,
            "dictionary": [s for s in dictionary if s.id not in taken],
            "local": lambda moment, fmt="%a %d %b %H:%M": local(moment, zone, fmt),
            "field": lambda moment: local(moment, zone, "%Y-%m-%dT%H:%M"),
        },
        status=status if week_error is None else 400,
        error=error or week_error,
    )


def _done(request: Request, ref: AddressRef, key: str) -> str:
    week = request.query_params.get("week", "")
    suffix = f"week={week}&" if week and len(week) <= 10 else ""
    return f"{page_url(ref)}?{suffix}done={key}"


@router.get(PATH)
async def doctor_page(request: Request, ref: AddressPath, services: PageServices) -> Response:
    """The week's breaks and visits, and the services the address offers."""
    return await _page(request, services, ref)


async def _act(
    request: Request,
    services: Services,
    ref: AddressRef,
    action: Callable[[], Awaitable[None]],
    done: str,
) -> Response:
    """Run `action()`; a refusal answers the page again with the error, changing nothing."""

    async def run() -> str:
        await action()
        return _done(request, ref, done)

    async def refused(status: int, error: str) -> Response:
        return await _page(request, services, ref, status=status, error=error)

    return await act(run, refused)


@router.post(PATH + "/breaks")
async def add_break(request: Request, ref: AddressPath, services: PageServices) -> Response:
    async def action() -> None:
        form = await forms.read_form(request, forms.BreakForm)
        scope = await services.access.address(DOCTOR, ref)
        since = forms.wall_clock("since", form.since, scope.zone)
        till = forms.wall_clock("till", form.till, scope.zone)
        await services.calendar.add_break(scope, NewBreak(since, till, form.description))

    return await _act(request, services, ref, action, "break-added")


@router.post(PATH + "/breaks/{break_id}/move")
async def move_break(
    request: Request, ref: AddressPath, break_id: int, services: PageServices
) -> Response:
    async def action() -> None:
        form = await forms.read_form(request, forms.BreakForm)
        found = await services.access.calendar_break(DOCTOR, ref, break_id)
        since = forms.wall_clock("since", form.since, found.at.zone)
        till = forms.wall_clock("till", form.till, found.at.zone)
        await services.calendar.move_break(found, since, till)

    return await _act(request, services, ref, action, "break-moved")


@router.post(PATH + "/breaks/{break_id}/delete")
async def delete_break(
    request: Request, ref: AddressPath, break_id: int, services: PageServices
) -> Response:
    async def action() -> None:
        found = await services.access.calendar_break(DOCTOR, ref, break_id)
        await services.calendar.delete_break(found)

    return await _act(request, services, ref, action, "break-removed")


@router.post(PATH + "/bookings/{booking_id}/presence")
async def presence(
    request: Request, ref: AddressPath, booking_id: int, services: PageServices
) -> Response:
    async def action() -> None:
        form = await forms.read_form(request, forms.PresenceForm)
        found = await services.access.doctors_booking(DOCTOR, ref, booking_id)
        await services.bookings.mark_presence(found, form.presence == "present")

    return await _act(request, services, ref, action, "presence")


@router.post(PATH + "/services")
async def add_service(request: Request, ref: AddressPath, services: PageServices) -> Response:
    async def action() -> None:
        form = await forms.read_form(request, forms.NewServiceForm)
        scope = await services.access.address(DOCTOR, ref)
        new = NewAddressService(
            service_id=form.service_id,
            price=form.price,
            default_duration=form.default_duration,
            description=form.description,
        )
        await services.address_services.add(scope, new)

    return await _act(request, services, ref, action, "service-added")


@router.post(PATH + "/services/{address_service_id}")
async def change_service(
    request: Request, ref: AddressPath, address_service_id: int, services: PageServices
) -> Response:
    async def action() -> None:
        form = await forms.read_form(request, forms.ServiceChangeForm)
        found = await services.access.address_service(DOCTOR, ref, address_service_id)
        changes = AddressServiceChanges(
            price=form.price,
            default_duration=form.default_duration,
            description=form.description,
            is_visible=form.is_visible,
            custom_name=form.custom_name if form.custom_name is not None else UNSET,
        )
        await services.address_services.update(found, changes)

    return await _act(request, services, ref, action, "service-changed")


@router.post(PATH + "/services/{address_service_id}/delete")
async def delete_service(
    request: Request, ref: AddressPath, address_service_id: int, services: PageServices
) -> Response:
    async def action() -> None:
        found = await services.access.address_service(DOCTOR, ref, address_service_id)
        await services.address_services.delete(found)

    return await _act(request, services, ref, action, "service-removed")
