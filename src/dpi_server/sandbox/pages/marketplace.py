"""The marketplace as a patient sees it: a week of free slots of one doctor's address, where a
person books, cancels and moves a visit, through the real-time gate like on Docplanner."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dpi_server.domain import errors
from dpi_server.domain.actors import PatientActor
from dpi_server.domain.booking_rules import VisitDetails
from dpi_server.domain.bookings import Patient
from dpi_server.domain.errors import DomainError
from dpi_server.sandbox.pages import forms
from dpi_server.sandbox.pages.calendar_view import requested_week, status_of, week_of
from dpi_server.sandbox.pages.rendering import error_page, error_text, local, render, see_other
from dpi_server.sandbox.pages.session import AddressPath, PageServices, operator_page
from dpi_server.services.access import AddressRef
from dpi_server.services.bookings import BookingWindow, BookSlot, MoveBooking
from dpi_server.services.calendar import SlotView
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
PATH = "/marketplace/{facility_id}/{doctor_id}/{address_id}"
PATIENT = PatientActor()
NOTHING_PUBLISHED = (
    "No availability was ever published here: the integration publishes it with "
    "PUT .../slots (replaceSlots), then the free slots show up on this page."
)


def page_url(ref: AddressRef) -> str:
    return f"/marketplace/{ref.facility_id}/{ref.doctor_id}/{ref.address_id}"


async def _page(
    request: Request,
    services: Services,
    ref: AddressRef,
    *,
    status: int = 200,
    error: str | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    try:
        scope = await services.access.address(PATIENT, ref)
    except DomainError as exc:
        return error_page(request, exc)
    zone = scope.zone
    week, week_error = requested_week(request, services.clock.now(), zone)
    notice = None
    slots: list[SlotView] = []
    try:
        slots = await services.calendar.get_slots(scope, week.start, week.end, with_services=True)
    except errors.NoSlotsOnAddress:
        notice = NOTHING_PUBLISHED
    except DomainError as exc:
        notice = error_text(exc)
    views = (await services.bookings.list(scope, BookingWindow(week.start, week.end))).views
    by_day = {
        day: [s for s in slots if s.start.astimezone(zone).date() == day] for day in week.days
    }
    wanted = _instant((posted or {}).get("start") or request.query_params.get("slot"))
    chosen = next((s for s in slots if s.start == wanted), None)
    return render(
        request,
        "marketplace.html",
        {
            "title": f"{scope.doctor.name} {scope.doctor.surname}",
            "scope": scope,
            "url": page_url(ref),
            "doctor_url": page_url(ref).replace("/marketplace/", "/doctor/", 1),
            "week": week,
            "by_day": by_day,
            "slots": slots,
            "chosen": chosen,
            "visits": [v for v in views if v.booking.is_booked],
            "notice": notice,
            "posted": posted or {},
            "local": lambda moment, fmt="%a %d %b %H:%M": local(moment, zone, fmt),
            "iso": lambda moment: moment.astimezone(zone).isoformat(),
        },
        status=status if week_error is None else 400,
        error=error or week_error,
    )


def _instant(text: str | None) -> datetime | None:
    try:
        return forms.aware("slot", text) if text else None
    except DomainError:
        return None


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=forms.MAX_FORM_FIELDS, max_files=0)
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get(PATH)
async def marketplace_page(request: Request, ref: AddressPath, services: PageServices) -> Response:
    """The week's free slots; `?slot=<start>` opens the booking form of one of them."""
    return await _page(request, services, ref)


@router.post(PATH + "/book")
async def book(request: Request, ref: AddressPath, services: PageServices) -> Response:
    posted = await _posted(request)
    try:
        form = await forms.read_form(request, forms.BookForm)
        start = forms.aware("start", form.start)
        address_service_id, duration = forms.service_choice(form.service)
        scope = await services.access.address(PATIENT, ref)
        patient = Patient(name=form.name, surname=form.surname, phone=form.phone, email=form.email)
        await services.marketplace.book(
            scope, start, BookSlot(address_service_id, duration, VisitDetails(patient=patient))
        )
    except DomainError as exc:
        return await _page(
            request, services, ref, status=status_of(exc), error=error_text(exc), posted=posted
        )
    week = week_of(start.astimezone(scope.zone).date(), scope.zone)
    return see_other(f"{page_url(ref)}?week={week.monday.isoformat()}&done=booked")


@router.post(PATH + "/bookings/{booking_id}/cancel")
async def cancel(
    request: Request, ref: AddressPath, booking_id: int, services: PageServices
) -> Response:
    try:
        form = await forms.read_form(request, forms.CancelForm)
        found = await services.access.booking(PATIENT, ref, booking_id)
        await services.bookings.cancel(found, form.reason)
    except DomainError as exc:
        return await _page(request, services, ref, status=status_of(exc), error=error_text(exc))
    week = week_of(found.booking.start.astimezone(found.at.zone).date(), found.at.zone)
    return see_other(f"{page_url(ref)}?week={week.monday.isoformat()}&done=canceled")


@router.post(PATH + "/bookings/{booking_id}/move")
async def move(
    request: Request, ref: AddressPath, booking_id: int, services: PageServices
) -> Response:
    try:
        form = await forms.read_form(request, forms.MoveForm)
        start = forms.aware("start", form.start)
        found = await services.access.booking(PATIENT, ref, booking_id)
        service_id = found.booking.address_service_id
        if service_id is None:
            raise errors.FieldErrors({"start": ["This visit has no service to move with."]})
        await services.marketplace.move(
            found, MoveBooking(start=start, address_service_id=service_id)
        )
    except DomainError as exc:
        return await _page(request, services, ref, status=status_of(exc), error=error_text(exc))
    week = week_of(start.astimezone(found.at.zone).date(), found.at.zone)
    return see_other(f"{page_url(ref)}?week={week.monday.isoformat()}&done=moved")
