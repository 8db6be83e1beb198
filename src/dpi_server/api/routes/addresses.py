"""Addresses (behaviour.md §7.2 #5-8)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire
from dpi_server.api.deps import WITH_DESCRIPTION, AddressPathDep, PrincipalDep, ServicesDep
from dpi_server.api.extensions import request_with
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import UpdateAddressRequest

router = APIRouter(tags=["Addresses"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
D = "/facilities/{facility_id}/doctors/{doctor_id}"
A = D + "/addresses/{address_id}"


@router.get(D + "/addresses", operation_id="getAddresses")
async def get_addresses(
    facility_id: str,
    doctor_id: str,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """The doctor's addresses in the facility."""
    found = await services.directory.list_addresses(principal, facility_id, doctor_id)
    extensions = request_with(request)
    return ok(items([wire.address(a, extensions) for a in found]))


@router.get(A, operation_id="getAddress")
async def get_address(
    ids: AddressPathDep,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """One address of a doctor."""
    found = await services.directory.get_address(principal, *ids)
    return ok(wire.address(found, request_with(request)))


@router.patch(A, operation_id="updateAddress")
async def update_address(
    ids: AddressPathDep,
    body: UpdateAddressRequest,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Change the address's `insurance_support`."""
    updated = await services.directory.update_address(
        principal, *ids, insurance_support=body.insurance_support
    )
    return ok(wire.address(updated, request_with(request) | {"address.insurance_support"}))


@router.delete(A + "/integration", operation_id="removeAddressIntegration", status_code=202)
async def remove_address_integration(
    ids: AddressPathDep,
    principal: PrincipalDep,
    services: ServicesDep,
) -> Response:
    """Detach the address from this integration (DocplannerPMS clients only)."""
    await services.directory.remove_address_integration(principal, *ids)
    return empty(202)
