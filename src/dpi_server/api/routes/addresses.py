"""Addresses (behaviour.md §7.2 #5-8)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import WITH_DESCRIPTION, AddressDep, DoctorDep, ServicesDep, address_scope
from dpi_server.api.extensions import request_with
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import UpdateAddressRequest

router = APIRouter(tags=["Addresses"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
D = "/facilities/{facility_id}/doctors/{doctor_id}"
A = D + "/addresses/{address_id}"


@router.get(D + "/addresses", operation_id="getAddresses")
async def get_addresses(
    scope: DoctorDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
) -> Response:
    """The doctor's addresses in the facility."""
    found = await services.directory.list_addresses(scope)
    extensions = request_with(request)
    return ok(items([wire.address(a, extensions) for a in found]))


@router.get(A, operation_id="getAddress")
async def get_address(
    scope: AddressDep,
    request: Request,
    with_: str | None = With,
) -> Response:
    """One address of a doctor."""
    return ok(wire.address(scope.address, request_with(request)))


@router.patch(A, operation_id="updateAddress", openapi_extra=documented(UpdateAddressRequest))
async def update_address(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    body: UpdateAddressRequest = json_body(UpdateAddressRequest, address_scope),
) -> Response:
    """Change the address's `insurance_support`."""
    updated = await services.directory.update_address(
        scope, insurance_support=body.insurance_support
    )
    return ok(wire.address(updated, request_with(request) | {"address.insurance_support"}))


@router.delete(A + "/integration", operation_id="removeAddressIntegration", status_code=202)
async def remove_address_integration(scope: AddressDep, services: ServicesDep) -> Response:
    """Detach the address from this integration (DocplannerPMS clients only)."""
    await services.directory.remove_address_integration(scope)
    return empty(202)
