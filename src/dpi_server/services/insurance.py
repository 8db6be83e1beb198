"""The insurance dictionary and the providers an address accepts (behaviour.md §7.2 #16-20)."""

from __future__ import annotations

from collections.abc import Sequence

from dpi_server.domain import errors
from dpi_server.domain.directory import InsurancePlan, InsuranceProvider
from dpi_server.services.access import AddressScope
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory
from dpi_server.services.transactions import retrying


class InsuranceService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def providers(self, locale: str) -> list[InsuranceProvider]:
        async with self._uow() as uow:
            return await uow.insurance.providers(locale)

    async def plans(self, locale: str, provider_id: int) -> list[InsurancePlan]:
        async with self._uow() as uow:
            provider = await dictionary_provider(uow, locale, provider_id)
            return await uow.insurance.plans(provider.id)

    async def address_providers(self, scope: AddressScope) -> list[InsuranceProvider]:
        async with self._uow() as uow:
            return await uow.insurance.address_providers(scope.address.id)

    async def add_to_address(
        self, scope: AddressScope, provider_id: int, plan_ids: Sequence[int] | None
    ) -> None:
        """POST: link a dictionary provider; 400 when it is already linked."""
        await self._attach(scope, provider_id, plan_ids, upsert=False)

    async def put_on_address(
        self, scope: AddressScope, provider_id: int, plan_ids: Sequence[int] | None
    ) -> None:
        """PUT: link if needed and make the provider's plan list exactly `plan_ids`."""
        await self._attach(scope, provider_id, plan_ids, upsert=True)

    async def _attach(
        self,
        scope: AddressScope,
        provider_id: int,
        plan_ids: Sequence[int] | None,
        *,
        upsert: bool,
    ) -> None:
        scope.require_editable()
        address_id = scope.address.id

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                provider = await dictionary_provider(uow, scope.locale, provider_id)
                plans = await _plan_ids(uow, provider, plan_ids)
                # Concurrent calls on one address: one links, POSTs after it get the 400.
                await uow.calendar.lock_address(address_id)
                if await uow.insurance.is_linked(address_id, provider.id):
                    if not upsert:
                        raise errors.AddInsuranceValidationError()
                else:
                    await uow.insurance.link(address_id, provider.id)
                await uow.insurance.set_plans(address_id, provider.id, plans)
                await uow.commit()

        await retrying(attempt)

    async def remove_from_address(self, scope: AddressScope, provider: InsuranceProvider) -> None:
        """`provider` was found in the dictionary before the path was checked (its 404
        comes first, docs/decisions.md "Access and paths")."""
        scope.require_editable()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                if not await uow.insurance.is_linked(scope.address.id, provider.id):
                    raise errors.DeleteInsuranceValidationError()
                await uow.insurance.unlink(scope.address.id, provider.id)
                await uow.commit()

        await retrying(attempt)


async def dictionary_provider(uow: UnitOfWork, locale: str, provider_id: int) -> InsuranceProvider:
    """A provider of the locale's dictionary, or 404 `not from dictionary`."""
    found = await uow.insurance.get_provider(provider_id)
    if found is None or found[1] != locale:
        raise errors.InsuranceProviderNotFromDictionary()
    return found[0]


async def _plan_ids(
    uow: UnitOfWork, provider: InsuranceProvider, plan_ids: Sequence[int] | None
) -> list[int]:
    known = {p.id for p in await uow.insurance.plans(provider.id)}
    problems = {
        f"insurance_plans[{index}].insurance_plan_id": [
            "Insurance plan with given ID does not belong to this insurance provider."
        ]
        for index, key in enumerate(plan_ids or [])
        if key not in known
    }
    if problems:
        raise errors.FieldErrors(problems)
    return list(plan_ids or [])
