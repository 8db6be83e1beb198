"""`/_sandbox/patient/...`: a patient on the marketplace finds free slots, books (through the
real-time gate when a client holding the facility has one), cancels, moves (gated too),
confirms and pays. `booked_by` / `canceled_by` read `user` (decisions.md "Bookings")."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Query

from dpi_server.api.body import documented
from dpi_server.api.inputs import path_id, required_datetime
from dpi_server.domain.actors import PatientActor
from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.sandbox.api.marketplace_models import (
    MarketplaceBooking,
    MarketplacePaymentRequest,
    MarketplaceSlots,
    slots_out,
)
from dpi_server.sandbox.api.marketplace_scopes import A, AddressPath, body_of
from dpi_server.sandbox.api.marketplace_visits import add_visit_routes, answer

router = APIRouter(tags=[SANDBOX_TAG])
PATIENT = PatientActor()
P = "/patient" + A


@router.get(P + "/slots", operation_id="sandboxPatientSlots", response_model=MarketplaceSlots)
async def patient_slots(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    start: str | None = Query(default=None, description="Required; ISO 8601 with offset"),
    end: str | None = Query(default=None, description="Required; at most 180 days after start"),
) -> MarketplaceSlots:
    """Free slots in [start, end), each with the services it offers and their durations."""
    scope = await services.access.address(PATIENT, ref)
    found = await services.calendar.get_slots(
        scope,
        required_datetime("start", start),
        required_datetime("end", end),
        with_services=True,
    )
    return slots_out(found, scope.zone)


add_visit_routes(router, P, PATIENT, "Patient")


@router.post(
    P + "/bookings/{booking_id}/payment",
    operation_id="sandboxPatientPayment",
    response_model=MarketplaceBooking,
    openapi_extra=documented(MarketplacePaymentRequest),
)
async def patient_payment(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    booking_id: str,
    body: MarketplacePaymentRequest = body_of(MarketplacePaymentRequest),
) -> MarketplaceBooking:
    """The payment provider reports a new status of the visit's online payment (`paid` when
    the patient pays, `not-paid` when the payment fails...): `booking-payment-status-changed`
    follows when the status changed. 400 for a visit not paid online."""
    found = await services.access.booking(PATIENT, ref, path_id(booking_id))
    changed = await services.bookings.change_payment_status(found, body.status)
    return await answer(services, replace(found, booking=changed))
