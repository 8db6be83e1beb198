"""`client.insurance_providers` (the dictionary) and
`client.address_insurance_providers` (those an address accepts)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from dpi._base import Id, address_path, parse_items, parse_none
from dpi._models import InsurancePlan, InsuranceProvider
from dpi._resources.base import AsyncResource


class AsyncInsuranceProviders(AsyncResource):
    """`client.insurance_providers`: the dictionary of insurance providers."""

    async def list(self) -> builtins.list[InsuranceProvider]:
        """Every dictionary provider (getInsuranceProviders)."""
        return await self._send("getInsuranceProviders", parse_items(InsuranceProvider))

    async def plans(self, insurance_provider_id: Id) -> builtins.list[InsurancePlan]:
        """The plans of one provider (getInsurancePlans)."""
        return await self._send(
            "getInsurancePlans",
            parse_items(InsurancePlan),
            {"insurance_provider_id": insurance_provider_id},
        )


def _provider_body(insurance_provider_id: Id, plan_ids: Iterable[Id] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"insurance_provider_id": str(insurance_provider_id)}
    if plan_ids is not None:
        body["insurance_plans"] = [{"insurance_plan_id": str(p)} for p in plan_ids]
    return body


class AsyncAddressInsuranceProviders(AsyncResource):
    """`client.address_insurance_providers`: the providers accepted at an address."""

    async def list(
        self, facility_id: Id, doctor_id: Id, address_id: Id
    ) -> builtins.list[InsuranceProvider]:
        """The providers accepted at the address, with their plans
        (getAddressInsuranceProviders)."""
        return await self._send(
            "getAddressInsuranceProviders",
            parse_items(InsuranceProvider),
            address_path(facility_id, doctor_id, address_id),
        )

    async def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        insurance_provider_id: Id,
        *,
        plan_ids: Iterable[Id] | None = None,
    ) -> None:
        """Accept a provider (and some of its plans) at the address
        (addAddressInsuranceProvider); 400 when it is already accepted."""
        await self._send(
            "addAddressInsuranceProvider",
            parse_none,
            address_path(facility_id, doctor_id, address_id),
            json=_provider_body(insurance_provider_id, plan_ids),
        )

    async def update_or_create(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        insurance_provider_id: Id,
        *,
        plan_ids: Iterable[Id] | None = None,
    ) -> None:
        """Accept a provider with exactly these plans (updateOrCreateAddressInsuranceProvider)."""
        await self._send(
            "updateOrCreateAddressInsuranceProvider",
            parse_none,
            address_path(facility_id, doctor_id, address_id),
            json=_provider_body(insurance_provider_id, plan_ids),
        )

    async def delete(
        self, facility_id: Id, doctor_id: Id, address_id: Id, insurance_provider_id: Id
    ) -> None:
        """Stop accepting a provider at the address (deleteAddressInsuranceProvider)."""
        await self._send(
            "deleteAddressInsuranceProvider",
            parse_none,
            address_path(
                facility_id, doctor_id, address_id, insurance_provider_id=insurance_provider_id
            ),
        )
