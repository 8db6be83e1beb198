"""The visit routes both sides of the marketplace have: book, cancel, move and confirm, for
the patient under `/_sandbox/patient/...` and for the doctor's calendar under
`/_sandbox/doctor/...`. The acting side decides what a change records (`booked_by` /
`canceled_by` `user` or `doctor`, decisions.md "Bookings") and whether the real-time gate is
asked (patients only, behaviour.md §12)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from dpi_server.api.body import documented
from dpi_server.api.inputs import optional_body_id, path_id, required_datetime
from dpi_server.api.routes.calendar import book_request
from dpi_server.api.schemas import CancelBookingRequest
from dpi_server.domain.actors import DoctorActor, PatientActor
from dpi_server.sandbox.api.auth import OperatorDep, ServicesDep
from dpi_server.sandbox.api.marketplace_models import (
    MarketplaceBooking,
    MarketplaceBookingRequest,
    MarketplaceMoveRequest,
    booking_out,
)
from dpi_server.sandbox.api.marketplace_scopes import AddressPath, body_of, refusals
from dpi_server.services.access import BookingScope
from dpi_server.services.bookings import MoveBooking
from dpi_server.services.registry import Services


async def answer(services: Services, found: BookingScope) -> MarketplaceBooking:
    """The visit as it is now, with its service's name."""
    return booking_out(await services.bookings.get(found), found.at.zone)


def add_visit_routes(
    router: APIRouter, prefix: str, actor: PatientActor | DoctorActor, side: str
) -> None:
    """Book, cancel, move and confirm under `prefix` (an address path), acting as `actor`;
    `side` names the operations (`sandboxPatientBook`, `sandboxDoctorBook`...)."""
    who = "The patient" if isinstance(actor, PatientActor) else "The doctor's calendar"
    booking = prefix + "/bookings/{booking_id}"

    async def book(
        _operator: OperatorDep,
        services: ServicesDep,
        ref: AddressPath,
        body: MarketplaceBookingRequest = body_of(MarketplaceBookingRequest),
    ) -> MarketplaceBooking:
        scope = await services.access.address(actor, ref)
        start = required_datetime("start", body.start)
        request = book_request(body, scope.zone)
        if "duration" not in body.model_fields_set:
            duration = await services.marketplace.offered_duration(
                scope, start, request.address_service_id
            )
            request = replace(request, duration=duration)
        view = await services.marketplace.book(scope, start, request)
        return booking_out(view, scope.zone)

    async def cancel(
        _operator: OperatorDep,
        services: ServicesDep,
        ref: AddressPath,
        booking_id: str,
        body: CancelBookingRequest = body_of(CancelBookingRequest, optional=True),
    ) -> MarketplaceBooking:
        found = await services.access.booking(actor, ref, path_id(booking_id))
        canceled = await services.bookings.cancel(found, body.reason)
        return await answer(services, replace(found, booking=canceled))

    async def move(
        _operator: OperatorDep,
        services: ServicesDep,
        ref: AddressPath,
        booking_id: str,
        body: MarketplaceMoveRequest = body_of(MarketplaceMoveRequest),
    ) -> MarketplaceBooking:
        found = await services.access.booking(actor, ref, path_id(booking_id))
        service_id = optional_body_id(body.address_service_id)
        request = MoveBooking(
            start=required_datetime("start", body.start),
            address_service_id=(
                service_id if service_id is not None else found.booking.address_service_id or 0
            ),
            duration=body.duration,
            address_id=optional_body_id(body.address_id),
        )
        view = await services.marketplace.move(found, request)
        return booking_out(view, found.at.zone)

    async def confirm(
        _operator: OperatorDep,
        services: ServicesDep,
        ref: AddressPath,
        booking_id: str,
    ) -> MarketplaceBooking:
        found = await services.access.booking(actor, ref, path_id(booking_id))
        confirmed = await services.bookings.confirm(found, None)
        return await answer(services, replace(found, booking=confirmed))

    gate = " A real-time client's denial is 409 with its `error_code`; the slot stays free."
    gated = isinstance(actor, PatientActor)
    router.add_api_route(
        prefix + "/slots",
        book,
        methods=["POST"],
        operation_id=f"sandbox{side}Book",
        openapi_extra=documented(MarketplaceBookingRequest),
        response_model=MarketplaceBooking,
        status_code=201,
        responses=refusals(422, gated=gated),
        description=f"{who} books the slot at `start`: 201 with the visit."
        + (gate if gated else ""),
    )
    router.add_api_route(
        booking,
        cancel,
        methods=["DELETE"],
        operation_id=f"sandbox{side}Cancel",
        openapi_extra=documented(CancelBookingRequest, required=False),
        response_model=MarketplaceBooking,
        description=f"{who} cancels the visit: 200 with it, `booking-canceled` follows.",
    )
    router.add_api_route(
        booking + "/move",
        move,
        methods=["POST"],
        operation_id=f"sandbox{side}Move",
        openapi_extra=documented(MarketplaceMoveRequest),
        response_model=MarketplaceBooking,
        status_code=201,
        responses=refusals(422, gated=gated),
        description=f"{who} moves the visit: 201 with the new visit (a new id)."
        + (gate if gated else ""),
    )
    router.add_api_route(
        booking + "/confirm",
        confirm,
        methods=["POST"],
        operation_id=f"sandbox{side}Confirm",
        response_model=MarketplaceBooking,
        description=f"{who} confirms the visit: 200 with it, `booking-confirmed` follows.",
    )
