"""`/_sandbox/doctor/...`: the doctor working in the Docplanner calendar books for a patient,
cancels, moves, confirms, marks presence, manages breaks and address services, changes an
address's commercial type and is assigned to or unassigned from addresses. `booked_by` /
`canceled_by` read `doctor` (decisions.md "Bookings"); no real-time gate is asked."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from dpi_server.api.body import documented
from dpi_server.api.inputs import break_range, path_id
from dpi_server.api.routes.services import address_service_changes, new_address_service
from dpi_server.api.schemas import (
    AddAddressServiceRequest,
    AddCalendarBreakRequest,
    MoveCalendarBreakRequest,
    UpdateAddressServiceRequest,
)
from dpi_server.domain.actors import DoctorActor
from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.sandbox.api.marketplace_models import (
    MarketplaceAddress,
    MarketplaceAddressService,
    MarketplaceBooking,
    MarketplaceBreak,
    MarketplaceCommercialTypeRequest,
    MarketplaceNewAddressRequest,
    MarketplacePresenceRequest,
    address_out,
    address_service_out,
    break_out,
)
from dpi_server.sandbox.api.marketplace_scopes import (
    A,
    AddressPath,
    D,
    DoctorPath,
    body_of,
    refusals,
)
from dpi_server.sandbox.api.marketplace_visits import add_visit_routes, answer
from dpi_server.services.calendar import NewBreak
from dpi_server.services.estate_admin import NewAddress

router = APIRouter(tags=[SANDBOX_TAG])
DOCTOR = DoctorActor()
P = "/doctor" + A

add_visit_routes(router, P, DOCTOR, "Doctor")


@router.post(
    P + "/bookings/{booking_id}/presence",
    operation_id="sandboxDoctorPresence",
    response_model=MarketplaceBooking,
    openapi_extra=documented(MarketplacePresenceRequest),
)
async def doctor_presence(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    booking_id: str,
    body: MarketplacePresenceRequest = body_of(MarketplacePresenceRequest),
) -> MarketplaceBooking:
    """The doctor marks the patient present or absent (a started, booked visit):
    `presence-marked` follows (behaviour.md §10)."""
    found = await services.access.doctors_booking(DOCTOR, ref, path_id(booking_id))
    marked = await services.bookings.mark_presence(found, body.presence == "present")
    return await answer(services, replace(found, booking=marked))


# --- breaks -----------------------------------------------------------------------------------
@router.post(
    P + "/breaks",
    operation_id="sandboxDoctorAddBreak",
    response_model=MarketplaceBreak,
    status_code=201,
    responses=refusals(422),
    openapi_extra=documented(AddCalendarBreakRequest),
)
async def doctor_add_break(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    body: AddCalendarBreakRequest = body_of(AddCalendarBreakRequest),
) -> MarketplaceBreak:
    """The doctor adds a break: 201 with it, `break-created` follows (one per coupled
    address with `apply_on_coupled_addresses`)."""
    scope = await services.access.address(DOCTOR, ref)
    since, till = break_range(body.since, body.till)
    created = await services.calendar.add_break(
        scope, NewBreak(since, till, body.description, body.apply_on_coupled_addresses)
    )
    return break_out(created, scope.zone)


@router.post(
    P + "/breaks/{break_id}/move",
    operation_id="sandboxDoctorMoveBreak",
    response_model=MarketplaceBreak,
    responses=refusals(422),
    openapi_extra=documented(MoveCalendarBreakRequest),
)
async def doctor_move_break(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    break_id: str,
    body: MoveCalendarBreakRequest = body_of(MoveCalendarBreakRequest),
) -> MarketplaceBreak:
    """The doctor moves a break: 200 with it, `break-moved` follows."""
    found = await services.access.calendar_break(DOCTOR, ref, path_id(break_id))
    moved = await services.calendar.move_break(found, *break_range(body.since, body.till))
    return break_out(moved, found.at.zone)


@router.delete(
    P + "/breaks/{break_id}",
    operation_id="sandboxDoctorRemoveBreak",
    response_model=MarketplaceBreak,
)
async def doctor_remove_break(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    break_id: str,
) -> MarketplaceBreak:
    """The doctor removes a break: 200 with what it was, `break-removed` follows."""
    found = await services.access.calendar_break(DOCTOR, ref, path_id(break_id))
    await services.calendar.delete_break(found)
    return break_out(found.calendar_break, found.at.zone)


# --- address services ---------------------------------------------------------------------
@router.post(
    P + "/services",
    operation_id="sandboxDoctorAddService",
    response_model=MarketplaceAddressService,
    status_code=201,
    openapi_extra=documented(AddAddressServiceRequest),
)
async def doctor_add_service(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    body: AddAddressServiceRequest = body_of(AddAddressServiceRequest),
) -> MarketplaceAddressService:
    """The doctor offers a dictionary service at the address: 201, `address-service-created`
    follows."""
    scope = await services.access.address(DOCTOR, ref)
    created = await services.address_services.add(scope, new_address_service(body))
    return address_service_out(created)


@router.patch(
    P + "/services/{address_service_id}",
    operation_id="sandboxDoctorChangeService",
    response_model=MarketplaceAddressService,
    openapi_extra=documented(UpdateAddressServiceRequest),
)
async def doctor_change_service(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    address_service_id: str,
    body: UpdateAddressServiceRequest = body_of(UpdateAddressServiceRequest),
) -> MarketplaceAddressService:
    """The doctor changes an address service (keys left out stay): `address-service-changed`
    follows when something changed."""
    found = await services.access.address_service(DOCTOR, ref, path_id(address_service_id))
    updated = await services.address_services.update(found, address_service_changes(body))
    return address_service_out(updated)


@router.delete(
    P + "/services/{address_service_id}",
    operation_id="sandboxDoctorDeleteService",
    response_model=MarketplaceAddressService,
)
async def doctor_delete_service(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    address_service_id: str,
) -> MarketplaceAddressService:
    """The doctor stops offering an address service: `address-service-deleted` follows."""
    found = await services.access.address_service(DOCTOR, ref, path_id(address_service_id))
    await services.address_services.delete(found)
    return address_service_out(found.address_service, deleted=True)


# --- addresses ----------------------------------------------------------------------------
@router.put(
    P + "/commercial-type",
    operation_id="sandboxDoctorCommercialType",
    response_model=MarketplaceAddress,
    openapi_extra=documented(MarketplaceCommercialTypeRequest),
)
async def doctor_commercial_type(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
    body: MarketplaceCommercialTypeRequest = body_of(MarketplaceCommercialTypeRequest),
) -> MarketplaceAddress:
    """The address's commercial type changes: `address-commercial-type-changed` follows when
    it is a new one."""
    scope = await services.access.address(DOCTOR, ref)
    return address_out(
        await services.marketplace.change_commercial_type(scope, body.commercial_type)
    )


@router.post(
    "/doctor" + D + "/addresses",
    operation_id="sandboxDoctorAssignNewAddress",
    response_model=MarketplaceAddress,
    status_code=201,
    openapi_extra=documented(MarketplaceNewAddressRequest),
)
async def doctor_assign_new_address(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: DoctorPath,
    body: MarketplaceNewAddressRequest = body_of(MarketplaceNewAddressRequest),
) -> MarketplaceAddress:
    """A new address of the doctor at the facility: 201, `address-assigned` follows."""
    scope = await services.access.doctor(DOCTOR, ref)
    created = await services.marketplace.assign_address(scope, NewAddress(**body.model_dump()))
    return address_out(created)


@router.put(
    P + "/assignment", operation_id="sandboxDoctorAssignAddress", response_model=MarketplaceAddress
)
async def doctor_assign_address(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
) -> MarketplaceAddress:
    """The doctor works at an unassigned address again: `address-assigned` follows; 409 when
    it is assigned already."""
    scope = await services.access.address(DOCTOR, ref)
    return address_out(await services.marketplace.reassign_address(scope))


@router.delete(
    P + "/assignment",
    operation_id="sandboxDoctorUnassignAddress",
    response_model=MarketplaceAddress,
)
async def doctor_unassign_address(
    _operator: OperatorDep,
    services: ServicesDep,
    ref: AddressPath,
) -> MarketplaceAddress:
    """The doctor leaves the address (it is disabled, its history kept):
    `address-unassigned` follows; 409 when it is unassigned already."""
    scope = await services.access.address(DOCTOR, ref)
    return address_out(await services.marketplace.unassign_address(scope))
