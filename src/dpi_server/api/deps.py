"""What routes need from a request: the services, the caller as an actor, and the scope its
path names, checked before anything else of the request is read.

FastAPI solves a route's dependencies before it reads the body (`api/body.py` reads bodies
as a dependency of the scope), so every foreign or unknown path answers its 404/403 whatever
the query or body holds (docs/decisions.md "Access and paths").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dpi_server.api.inputs import parse_id, path_id
from dpi_server.domain.actors import IntegrationActor
from dpi_server.services.access import (
    AddressRef,
    AddressScope,
    AddressServiceScope,
    BookingScope,
    BreakScope,
    DoctorRef,
    DoctorScope,
    FacilityRef,
    FacilityScope,
    ProviderScope,
)
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services

# Every dependency is `async def` on purpose: FastAPI runs a plain `def` dependency in a
# worker thread, two thread hand-offs per dependency per request for what is a dict lookup.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_principal(request: Request) -> Principal:
    principal: Principal = request.scope["state"][PRINCIPAL_STATE_KEY]
    return principal


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_actor(principal: PrincipalDep) -> IntegrationActor:
    return principal.actor


ActorDep = Annotated[IntegrationActor, Depends(get_actor)]


async def address_ref(facility_id: str, doctor_id: str, address_id: str) -> AddressRef:
    return AddressRef(path_id(facility_id), path_id(doctor_id), path_id(address_id))


AddressRefDep = Annotated[AddressRef, Depends(address_ref)]


async def facility_scope(facility_id: str, actor: ActorDep, services: ServicesDep) -> FacilityScope:
    return await services.access.facility(actor, FacilityRef(path_id(facility_id)))


async def doctor_scope(
    facility_id: str, doctor_id: str, actor: ActorDep, services: ServicesDep
) -> DoctorScope:
    ref = DoctorRef(path_id(facility_id), path_id(doctor_id))
    return await services.access.doctor(actor, ref)


async def address_scope(ref: AddressRefDep, actor: ActorDep, services: ServicesDep) -> AddressScope:
    return await services.access.address(actor, ref)


async def booking_scope(
    ref: AddressRefDep, booking_id: str, actor: ActorDep, services: ServicesDep
) -> BookingScope:
    return await services.access.booking(actor, ref, path_id(booking_id))


async def confirmable_booking_scope(
    ref: AddressRefDep, booking_id: str, actor: ActorDep, services: ServicesDep
) -> BookingScope:
    """confirmBooking answers a booking deleted on Docplanner's side with its own 409."""
    return await services.access.booking(actor, ref, path_id(booking_id), include_deleted=True)


async def doctors_booking_scope(
    ref: AddressRefDep, booking_id: str, actor: ActorDep, services: ServicesDep
) -> BookingScope:
    return await services.access.doctors_booking(actor, ref, path_id(booking_id))


async def break_scope(
    ref: AddressRefDep, break_id: str, actor: ActorDep, services: ServicesDep
) -> BreakScope:
    # An unreadable break id is the documented `Invalid break ID`, not `Object not found`.
    return await services.access.calendar_break(actor, ref, parse_id(break_id))


async def address_service_scope(
    ref: AddressRefDep, address_service_id: str, actor: ActorDep, services: ServicesDep
) -> AddressServiceScope:
    return await services.access.address_service(actor, ref, path_id(address_service_id))


async def provider_scope(
    ref: AddressRefDep, insurance_provider_id: str, actor: ActorDep, services: ServicesDep
) -> ProviderScope:
    return await services.access.insurance_provider(actor, ref, parse_id(insurance_provider_id))


FacilityDep = Annotated[FacilityScope, Depends(facility_scope)]
DoctorDep = Annotated[DoctorScope, Depends(doctor_scope)]
AddressDep = Annotated[AddressScope, Depends(address_scope)]
BookingDep = Annotated[BookingScope, Depends(booking_scope)]
ConfirmableBookingDep = Annotated[BookingScope, Depends(confirmable_booking_scope)]
DoctorsBookingDep = Annotated[BookingScope, Depends(doctors_booking_scope)]
BreakDep = Annotated[BreakScope, Depends(break_scope)]
AddressServiceDep = Annotated[AddressServiceScope, Depends(address_service_scope)]
ProviderDep = Annotated[ProviderScope, Depends(provider_scope)]
WITH_DESCRIPTION = (
    "Extensions: comma-separated (`with=a,b`), repeated (`with=a&with=b`) or `with[]=a`."
)
