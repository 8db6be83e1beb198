"""Facilities and doctors (behaviour.md §7.2 #1-4)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire
from dpi_server.api.deps import WITH_DESCRIPTION, ActorDep, DoctorDep, FacilityDep, ServicesDep
from dpi_server.api.extensions import request_with
from dpi_server.api.media import items, ok

router = APIRouter(tags=["Facilities", "Doctors"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)


@router.get("/facilities", operation_id="getFacilities")
async def get_facilities(actor: ActorDep, services: ServicesDep) -> Response:
    """List the facilities assigned to the API client."""
    found = await services.directory.list_facilities(actor)
    return ok(items([wire.facility(f) for f in found]))


@router.get("/facilities/{facility_id}", operation_id="getFacility")
async def get_facility(
    scope: FacilityDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """One facility; `with=facility.doctors` embeds its doctors."""
    with_doctors = "facility.doctors" in request_with(request)
    facility, doctors = await services.directory.get_facility(scope, with_doctors=with_doctors)
    return ok(wire.facility(facility, doctors if with_doctors else None))


@router.get("/facilities/{facility_id}/doctors", operation_id="getDoctors")
async def get_doctors(
    scope: FacilityDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """Commercial doctors connected to the facility."""
    extensions = request_with(request)
    views = await services.directory.list_doctors(
        scope,
        details=bool(extensions & {"doctor.specializations", "doctor.license_numbers"}),
    )
    return ok(items([wire.doctor_in_list(v, extensions) for v in views]))


@router.get("/facilities/{facility_id}/doctors/{doctor_id}", operation_id="getDoctor")
async def get_doctor(
    scope: DoctorDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """One doctor; `with` adds profile URL, license numbers and addresses."""
    view = await services.directory.get_doctor(scope)
    return ok(wire.doctor_single(view, request_with(request)))
