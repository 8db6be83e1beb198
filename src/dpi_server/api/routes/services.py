"""The services dictionary and the services of an address (behaviour.md §7.2 #9-14)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dpi_server.api import wire
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import (
    WITH_DESCRIPTION,
    ActorDep,
    AddressDep,
    AddressServiceDep,
    ServicesDep,
    address_scope,
    address_service_scope,
)
from dpi_server.api.extensions import request_with
from dpi_server.api.inputs import body_id, parse_id
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import AddAddressServiceRequest, UpdateAddressServiceRequest
from dpi_server.domain import errors
from dpi_server.domain.timefmt import parse_datetime
from dpi_server.services.address_services import UNSET, AddressServiceChanges, NewAddressService

router = APIRouter(tags=["Services"])
With = Query(default=None, alias="with", description=WITH_DESCRIPTION)
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


def new_address_service(body: AddAddressServiceRequest) -> NewAddressService:
    """addAddressService's body as the use case's input (the sandbox's doctor reads it too)."""
    ages = body.allowed_patients
    return NewAddressService(
        service_id=body_id(body.service_id),
        is_price_from=body.is_price_from,
        price=body.price,
        description=body.description,
        is_visible=body.is_visible,
        default_duration=body.default_duration,
        allowed_patients=None if ages is None else (ages.minimum_age, ages.maximum_age),
        custom_name=body.custom_name,
    )


def address_service_changes(body: UpdateAddressServiceRequest) -> AddressServiceChanges:
    """A PATCH body: keys left out are `UNSET`."""
    given = body.model_fields_set
    ages = body.allowed_patients
    return AddressServiceChanges(
        is_price_from=body.is_price_from if "is_price_from" in given else UNSET,
        price=body.price if "price" in given else UNSET,
        description=body.description if "description" in given else UNSET,
        default_duration=body.default_duration if "default_duration" in given else UNSET,
        is_visible=body.is_visible if "is_visible" in given else UNSET,
        allowed_patients=(
            (None if ages is None else (ages.minimum_age, ages.maximum_age))
            if "allowed_patients" in given
            else UNSET
        ),
        custom_name=body.custom_name if "custom_name" in given else UNSET,
    )


@router.get("/services", operation_id="getServices")
async def get_services(
    request: Request,
    actor: ActorDep,
    services: ServicesDep,
    with_: str | None = With,
    specialization_id: str | None = Query(default=None),
) -> Response:
    """The dictionary of services of the locale."""
    spec: int | None = None
    if specialization_id:
        spec = parse_id(specialization_id)
        if spec is None:
            raise errors.FieldErrors(
                {"specialization_id": ["This value should be a positive integer."]}
            )
    found = await services.directory.list_services(
        actor.locale,
        only_diagnostics="services.only_diagnostics" in request_with(request),
        specialization_id=spec,
    )
    return ok(items([wire.service(s) for s in found]))


@router.get(A + "/services", operation_id="getAddressServices")
async def get_address_services(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    with_: str | None = With,
    start: str | None = Query(default=None, description="only services of the slot at start"),
) -> Response:
    """Services configured on the address."""
    extensions = request_with(request)
    if start:
        found = await services.address_services.at_slot(scope, parse_datetime(start))
        return ok(items([wire.address_service(s, extensions, duration=d) for s, d in found]))
    listed = await services.address_services.for_address(scope)
    return ok(items([wire.address_service(s, extensions) for s in listed]))


@router.post(
    A + "/services",
    operation_id="addAddressService",
    status_code=201,
    openapi_extra=documented(AddAddressServiceRequest),
)
async def add_address_service(
    scope: AddressDep,
    request: Request,
    services: ServicesDep,
    body: AddAddressServiceRequest = json_body(AddAddressServiceRequest, address_scope),
) -> Response:
    """Add a dictionary service to the address: 201, `Location` and the new service."""
    created = await services.address_services.add(scope, new_address_service(body))
    location = str(request.url).split("?", 1)[0].rstrip("/") + f"/{created.id}"
    return ok(
        wire.address_service(created, request_with(request)),
        status=201,
        headers={"Location": location},
    )


@router.get(A + "/services/{address_service_id}", operation_id="getAddressService")
async def get_address_service(
    found: AddressServiceDep,
    request: Request,
    with_: str | None = With,
) -> Response:
    """One service of the address."""
    return ok(wire.address_service(found.address_service, request_with(request)))


@router.patch(
    A + "/services/{address_service_id}",
    operation_id="updateAddressService",
    openapi_extra=documented(UpdateAddressServiceRequest),
)
async def update_address_service(
    found: AddressServiceDep,
    request: Request,
    services: ServicesDep,
    body: UpdateAddressServiceRequest = json_body(
        UpdateAddressServiceRequest, address_service_scope
    ),
) -> Response:
    """Partly update an address service; keys left out stay as they are."""
    updated = await services.address_services.update(found, address_service_changes(body))
    return ok(wire.address_service(updated, request_with(request)))


@router.delete(
    A + "/services/{address_service_id}", operation_id="deleteAddressService", status_code=204
)
async def delete_address_service(found: AddressServiceDep, services: ServicesDep) -> Response:
    """Remove the service from the address; its id never comes back."""
    await services.address_services.delete(found)
    return empty(204)
