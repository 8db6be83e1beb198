"""Insurance providers and plans, and those an address accepts (behaviour.md §7.2 #15-20)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from dpi_server.api import wire
from dpi_server.api.body import documented, json_body
from dpi_server.api.deps import ActorDep, AddressDep, ProviderDep, ServicesDep, address_scope
from dpi_server.api.inputs import body_id, parse_id
from dpi_server.api.media import empty, items, ok
from dpi_server.api.schemas import AddressInsuranceProviderRequest

router = APIRouter(tags=["Insurances"])
A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"
_Body = json_body(AddressInsuranceProviderRequest, address_scope)


@router.get("/insurance-providers", operation_id="getInsuranceProviders")
async def get_insurance_providers(actor: ActorDep, services: ServicesDep) -> Response:
    """The dictionary of insurance providers of the locale."""
    found = await services.insurance.providers(actor.locale)
    return ok(items([wire.insurance_provider(p) for p in found]))


@router.get("/insurance-providers/{insurance_provider_id}/plans", operation_id="getInsurancePlans")
async def get_insurance_plans(
    insurance_provider_id: str, actor: ActorDep, services: ServicesDep
) -> Response:
    """The plans of one dictionary provider."""
    found = await services.insurance.plans(actor.locale, parse_id(insurance_provider_id) or 0)
    return ok(items([wire.insurance_plan(p) for p in found]))


@router.get(A + "/insurance-providers", operation_id="getAddressInsuranceProviders")
async def get_address_insurance_providers(scope: AddressDep, services: ServicesDep) -> Response:
    """Providers accepted at the address, each with its plans."""
    found = await services.insurance.address_providers(scope)
    return ok(items([wire.address_insurance_provider(p) for p in found]))


def _plan_ids(body: AddressInsuranceProviderRequest) -> list[int] | None:
    return (
        None
        if body.insurance_plans is None
        else [body_id(p.insurance_plan_id) for p in body.insurance_plans]
    )


@router.post(
    A + "/insurance-providers",
    operation_id="addAddressInsuranceProvider",
    status_code=204,
    openapi_extra=documented(AddressInsuranceProviderRequest),
)
async def add_address_insurance_provider(
    scope: AddressDep,
    services: ServicesDep,
    body: AddressInsuranceProviderRequest = _Body,
) -> Response:
    """Accept a dictionary provider (and optionally some of its plans) at the address."""
    await services.insurance.add_to_address(
        scope, body_id(body.insurance_provider_id), _plan_ids(body)
    )
    return empty(204)


@router.put(
    A + "/insurance-providers",
    operation_id="updateOrCreateAddressInsuranceProvider",
    status_code=204,
    openapi_extra=documented(AddressInsuranceProviderRequest),
)
async def put_address_insurance_provider(
    scope: AddressDep,
    services: ServicesDep,
    body: AddressInsuranceProviderRequest = _Body,
) -> Response:
    """Accept a provider if needed and set its plan list to exactly the plans given."""
    await services.insurance.put_on_address(
        scope, body_id(body.insurance_provider_id), _plan_ids(body)
    )
    return empty(204)


@router.delete(
    A + "/insurance-providers/{insurance_provider_id}",
    operation_id="deleteAddressInsuranceProvider",
    status_code=204,
)
async def delete_address_insurance_provider(found: ProviderDep, services: ServicesDep) -> Response:
    """Stop accepting a provider at the address."""
    await services.insurance.remove_from_address(found.at, found.provider)
    return empty(204)
