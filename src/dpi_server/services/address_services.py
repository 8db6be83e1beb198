"""Services offered at an address, and the address's insurance (behaviour.md §7.2 #10-20)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dpi_server.domain import errors
from dpi_server.domain.calendar import slot_at
from dpi_server.domain.directory import (
    AddressService,
    InsurancePlan,
    InsuranceProvider,
    check_allowed_patients,
    check_custom_name,
    check_duration,
    price_to_cents,
)
from dpi_server.domain.timefmt import parse_datetime
from dpi_server.services.availability import load_availability
from dpi_server.services.directory import ResolvedPath, parse_id, resolve_path
from dpi_server.services.ports import Clock
from dpi_server.services.principal import Principal
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class AddressServiceChanges:
    """A PATCH: fields left at `UNSET` are not touched; `None` means "set to null"."""

    is_price_from: bool | None = _UNSET
    price: Any = _UNSET
    description: str | None = _UNSET
    default_duration: int | None = _UNSET
    is_visible: bool | None = _UNSET
    allowed_patients: tuple[int | None, int | None] | None = _UNSET
    custom_name: str | None = _UNSET


UNSET = _UNSET


class AddressServicesService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _load(
        self, uow: UnitOfWork, principal: Principal, ids: tuple[str, str, str], asid: str
    ) -> tuple[ResolvedPath, AddressService]:
        """Existence first (404), then the path's estate rules, then belonging (403)."""
        key = parse_id(asid)
        found = await uow.address_services.get(key) if key is not None else None
        if found is None or found.deleted_at is not None:
            raise errors.ObjectNotFound()
        path = await resolve_path(uow, principal, *ids)
        if found.address_id != path.require_address().id:
            raise errors.AddressServiceMismatch()
        return path, found

    async def for_address(
        self, principal: Principal, f: str, d: str, a: str
    ) -> list[AddressService]:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, f, d, a)
            return await uow.address_services.list(path.require_address().id)

    async def at_slot(
        self, principal: Principal, f: str, d: str, a: str, start: str
    ) -> list[tuple[AddressService, int]]:
        """Services bookable in the slot at `start`, with their durations there; 404
        `Slot not found` when no free slot starts then (observed in the sandbox, SEC)."""
        moment = parse_datetime(start)
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, f, d, a)
            address = path.require_address()
            if moment is None:
                raise errors.SlotNotFound()
            calendar = await uow.calendar.get(address.id)
            if calendar is None or not calendar.enabled:
                # A disabled calendar offers no slots (decisions.md "Slots and calendars").
                raise errors.SlotNotFound()
            availability = await load_availability(
                uow, address.id, moment, moment + timedelta(minutes=1)
            )
            live = {s.id: s for s in await uow.address_services.list(address.id)}
        slot = slot_at(availability.periods, availability.busy, moment, self._clock.now())
        if slot is None:
            raise errors.SlotNotFound()
        return [
            (live[s.address_service_id], s.duration)
            for s in slot.services
            if s.address_service_id in live
        ]

    async def get(self, principal: Principal, f: str, d: str, a: str, asid: str) -> AddressService:
        async with self._uow() as uow:
            _, found = await self._load(uow, principal, (f, d, a), asid)
        return found

    async def add(
        self,
        principal: Principal,
        f: str,
        d: str,
        a: str,
        *,
        service_id: str,
        is_price_from: bool | None,
        price: Any,
        description: str | None,
        is_visible: bool | None,
        default_duration: int | None,
        allowed_patients: tuple[int | None, int | None] | None,
        custom_name: str | None,
    ) -> AddressService:
        """Attach a dictionary service to the address; 409 while an active copy exists."""
        price_cents = price_to_cents(price)
        check_duration("default_duration", default_duration)
        if allowed_patients is not None:
            check_allowed_patients(*allowed_patients)
        custom = check_custom_name(custom_name)
        async with self._uow(write=True) as uow:
            path = await resolve_path(uow, principal, f, d, a)
            address = path.require_address()
            path.require_editable()
            # Serialise adders on this address, so the duplicate check below holds on
            # PostgreSQL too (two concurrent POSTs must not both create the service).
            await uow.calendar.lock_address(address.id)
            sid = parse_id(service_id)
            service = await uow.directory.get_service(sid) if sid is not None else None
            if service is None or await uow.directory.service_locale(service.id) != (
                principal.locale.code
            ):
                raise errors.FieldErrors(
                    {"service_id": ["Service with given ID does not exist in the dictionary."]}
                )
            if await uow.address_services.active_for_service(address.id, service.id):
                raise errors.AddressServiceAlreadyExists()
            created = await uow.address_services.add(
                address.id,
                self._clock.now(),
                service_id=service.id,
                name=service.name,
                price_cents=price_cents,
                is_price_from=bool(is_price_from),
                is_default=False,
                description=description,
                default_duration=default_duration,
                is_visible=True if is_visible is None else is_visible,
                min_age=allowed_patients[0] if allowed_patients else None,
                max_age=allowed_patients[1] if allowed_patients else None,
                custom_name=custom,
                is_public_insurance_flow=False,
            )
            await uow.commit()
        return created

    async def update(
        self,
        principal: Principal,
        f: str,
        d: str,
        a: str,
        asid: str,
        changes: AddressServiceChanges,
    ) -> AddressService:
        values: dict[str, Any] = {}
        if changes.price is not UNSET:
            values["price_cents"] = price_to_cents(changes.price)
        if changes.is_price_from is not UNSET:
            values["is_price_from"] = bool(changes.is_price_from)
        if changes.description is not UNSET:
            values["description"] = changes.description
        if changes.default_duration is not UNSET:
            check_duration("default_duration", changes.default_duration)
            values["default_duration"] = changes.default_duration
        if changes.is_visible is not UNSET and changes.is_visible is not None:
            values["is_visible"] = changes.is_visible
        if changes.allowed_patients is not UNSET:
            ages = changes.allowed_patients or (None, None)
            check_allowed_patients(*ages)
            values["min_age"], values["max_age"] = ages
        if changes.custom_name is not UNSET:
            values["custom_name"] = check_custom_name(changes.custom_name)
        async with self._uow(write=True) as uow:
            path, found = await self._load(uow, principal, (f, d, a), asid)
            path.require_editable()
            await uow.address_services.update(found.id, **values)
            updated = await uow.address_services.get(found.id)
            await uow.commit()
        assert updated is not None
        return updated

    async def delete(self, principal: Principal, f: str, d: str, a: str, asid: str) -> None:
        async with self._uow(write=True) as uow:
            path, found = await self._load(uow, principal, (f, d, a), asid)
            path.require_editable()
            await uow.address_services.soft_delete(found.id, self._clock.now())
            await uow.commit()


class InsuranceService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def providers(self, principal: Principal) -> list[InsuranceProvider]:
        async with self._uow() as uow:
            return await uow.insurance.providers(principal.locale.code)

    async def _provider(
        self, uow: UnitOfWork, principal: Principal, provider_id: str | int
    ) -> InsuranceProvider:
        key = parse_id(provider_id)
        found = await uow.insurance.get_provider(key) if key is not None else None
        if found is None or found[1] != principal.locale.code:
            raise errors.InsuranceProviderNotFromDictionary()
        return found[0]

    async def plans(self, principal: Principal, provider_id: str) -> list[InsurancePlan]:
        async with self._uow() as uow:
            provider = await self._provider(uow, principal, provider_id)
            return await uow.insurance.plans(provider.id)

    async def address_providers(
        self, principal: Principal, f: str, d: str, a: str
    ) -> list[InsuranceProvider]:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, f, d, a)
            return await uow.insurance.address_providers(path.require_address().id)

    async def _plan_ids(
        self, uow: UnitOfWork, provider: InsuranceProvider, plan_ids: list[str] | None
    ) -> list[int]:
        known = {p.id for p in await uow.insurance.plans(provider.id)}
        result: list[int] = []
        problems: dict[str, list[str]] = {}
        for index, raw in enumerate(plan_ids or []):
            key = parse_id(raw)
            if key is None or key not in known:
                problems[f"insurance_plans[{index}].insurance_plan_id"] = [
                    "Insurance plan with given ID does not belong to this insurance provider."
                ]
            else:
                result.append(key)
        if problems:
            raise errors.FieldErrors(problems)
        return result

    async def add_to_address(
        self,
        principal: Principal,
        f: str,
        d: str,
        a: str,
        provider_id: str,
        plan_ids: list[str] | None,
    ) -> None:
        """POST: link a dictionary provider; 400 when it is already linked."""
        await self._attach(principal, (f, d, a), provider_id, plan_ids, upsert=False)

    async def put_on_address(
        self,
        principal: Principal,
        f: str,
        d: str,
        a: str,
        provider_id: str,
        plan_ids: list[str] | None,
    ) -> None:
        """PUT: link if needed and make the provider's plan list exactly `plan_ids`."""
        await self._attach(principal, (f, d, a), provider_id, plan_ids, upsert=True)

    async def _attach(
        self,
        principal: Principal,
        ids: tuple[str, str, str],
        provider_id: str,
        plan_ids: list[str] | None,
        *,
        upsert: bool,
    ) -> None:
        async with self._uow(write=True) as uow:
            path = await resolve_path(uow, principal, *ids)
            path.require_editable()
            provider = await self._provider(uow, principal, provider_id)
            plans = await self._plan_ids(uow, provider, plan_ids)
            address_id = path.require_address().id
            # Concurrent calls on one address: one links, POSTs after it get the 400.
            await uow.calendar.lock_address(address_id)
            if await uow.insurance.is_linked(address_id, provider.id):
                if not upsert:
                    raise errors.AddInsuranceValidationError()
            else:
                await uow.insurance.link(address_id, provider.id)
            await uow.insurance.set_plans(address_id, provider.id, plans)
            await uow.commit()

    async def remove_from_address(
        self, principal: Principal, f: str, d: str, a: str, provider_id: str
    ) -> None:
        async with self._uow(write=True) as uow:
            provider = await self._provider(uow, principal, provider_id)
            path = await resolve_path(uow, principal, f, d, a)
            path.require_editable()
            address_id = path.require_address().id
            if not await uow.insurance.is_linked(address_id, provider.id):
                raise errors.DeleteInsuranceValidationError()
            await uow.insurance.unlink(address_id, provider.id)
            await uow.commit()
