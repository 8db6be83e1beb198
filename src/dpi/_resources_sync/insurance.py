"""`client.insurance_providers` (the dictionary) and
`client.address_insurance_providers` (those an address accepts).

Generated from `_resources/insurance.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from dpi._base import Id, address_path, parse_items, parse_none
from dpi._models import InsurancePlan, InsuranceProvider
from dpi._resources_sync.base import Resource


class InsuranceProviders(Resource):
    """`client.insurance_providers`: the dictionary of insurance providers."""

    def list(self) -> builtins.list[InsuranceProvider]:
        """Every dictionary provider (getInsuranceProviders)."""
        return self._send("getInsuranceProviders", parse_items(InsuranceProvider))

    def plans(self, insurance_provider_id: Id) -> builtins.list[InsurancePlan]:
        """The plans of one provider (getInsurancePlans)."""
        return self._send(
            "getInsurancePlans",
            parse_items(InsurancePlan),
            {"insurance_provider_id": insurance_provider_id},
        )


def _provider_body(insurance_provider_id: Id, plan_ids: Iterable[Id] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"insurance_provider_id": str(insurance_provider_id)}
    if plan_ids is not None:
        body["insurance_plans"] = [{"insurance_plan_id": str(p)} for p in plan_ids]
    return body


class AddressInsuranceProviders(Resource):
    """`client.address_insurance_providers`: the providers accepted at an address."""

    def list(
        self, facility_id: Id, doctor_id: Id, address_id: Id
    ) -> builtins.list[InsuranceProvider]:
        """The providers accepted at the address, with their plans
        (getAddressInsuranceProviders)."""
        return self._send(
            "getAddressInsuranceProviders",
            parse_items(InsuranceProvider),
            address_path(facility_id, doctor_id, address_id),
        )

    def add(
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
        self._send(
            "addAddressInsuranceProvider",
            parse_none,
            address_path(facility_id, doctor_id, address_id),
            json=_provider_body(insurance_provider_id, plan_ids),
        )

    def update_or_create(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        insurance_provider_id: Id,
        *,
        plan_ids: Iterable[Id] | None = None,
    ) -> None:
        """Accept a provider with exactly these plans (updateOrCreateAddressInsuranceProvider)."""
        self._send(
            "updateOrCreateAddressInsuranceProvider",
            parse_none,
            address_path(facility_id, doctor_id, address_id),
            json=_provider_body(insurance_provider_id, plan_ids),
        )

    def delete(
        self, facility_id: Id, doctor_id: Id, address_id: Id, insurance_provider_id: Id
    ) -> None:
        """Stop accepting a provider at the address (deleteAddressInsuranceProvider)."""
        self._send(
            "deleteAddressInsuranceProvider",
            parse_none,
            address_path(
                facility_id, doctor_id, address_id, insurance_provider_id=insurance_provider_id
            ),
        )
