"""Services offered at an address (behaviour.md §7.2 #10-15), raising the address-service
events of §11.1 on every change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from dpi_server.domain import errors
from dpi_server.domain.calendar import slot_at
from dpi_server.domain.change_events import address_service_event
from dpi_server.domain.directory import (
    AddressService,
    check_allowed_patients,
    check_custom_name,
    check_duration,
    price_to_cents,
)
from dpi_server.domain.events import (
    AddressServiceChanged,
    AddressServiceCreated,
    AddressServiceDeleted,
)
from dpi_server.services.access import AddressScope, AddressServiceScope
from dpi_server.services.availability import load_availability
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.transactions import retrying

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


@dataclass(frozen=True, slots=True)
class NewAddressService:
    """addAddressService's body, parsed; `price` is checked by the domain's price rule so a
    bad one gets the spec's own message."""

    service_id: int
    is_price_from: bool | None = None
    price: object = None
    description: str | None = None
    is_visible: bool | None = None
    default_duration: int | None = None
    allowed_patients: tuple[int | None, int | None] | None = None
    custom_name: str | None = None
    # Set by the operator's side only: the API cannot choose an address's default service.
    is_default: bool = False


class AddressServicesService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def for_address(self, scope: AddressScope) -> list[AddressService]:
        async with self._uow() as uow:
            return await uow.address_services.list(scope.address.id)

    async def at_slot(
        self, scope: AddressScope, start: datetime | None
    ) -> list[tuple[AddressService, int]]:
        """Services bookable in the slot at `start`, with their durations there; 404
        `Slot not found` when no free slot starts then (observed in the sandbox, SEC)."""
        if start is None:
            raise errors.SlotNotFound()
        address = scope.address
        async with self._uow() as uow:
            calendar = await uow.calendar.get(address.id)
            if calendar is None or not calendar.enabled:
                # A disabled calendar offers no slots (decisions.md "Slots and calendars").
                raise errors.SlotNotFound()
            availability = await load_availability(
                uow, address.id, start, start + timedelta(minutes=1)
            )
            live = availability.services
        slot = slot_at(availability.periods, availability.busy, start, self._clock.now())
        if slot is None:
            raise errors.SlotNotFound()
        return [
            (live[s.address_service_id], s.duration)
            for s in slot.services
            if s.address_service_id in live
        ]

    async def add(self, scope: AddressScope, new: NewAddressService) -> AddressService:
        """Attach a dictionary service to the address; 409 while an active copy exists."""
        price_cents = price_to_cents(new.price)
        check_duration("default_duration", new.default_duration)
        if new.allowed_patients is not None:
            check_allowed_patients(*new.allowed_patients)
        custom = check_custom_name(new.custom_name)
        address = scope.address
        scope.require_editable()

        async def attempt() -> AddressService:
            async with self._uow(write=True) as uow:
                # Serialise adders on this address, so the duplicate check below holds on
                # PostgreSQL too (two concurrent POSTs must not both create the service).
                await uow.calendar.lock_address(address.id)
                service = await uow.directory.get_service(new.service_id)
                if (
                    service is None
                    or await uow.directory.service_locale(service.id) != scope.locale
                ):
                    raise errors.FieldErrors(
                        {"service_id": ["Service with given ID does not exist in the dictionary."]}
                    )
                if await uow.address_services.active_for_service(address.id, service.id):
                    raise errors.AddressServiceAlreadyExists()
                now = self._clock.now()
                ages = new.allowed_patients
                created = await uow.address_services.add(
                    address.id,
                    now,
                    service_id=service.id,
                    name=service.name,
                    price_cents=price_cents,
                    is_price_from=bool(new.is_price_from),
                    is_default=new.is_default,
                    description=new.description,
                    default_duration=new.default_duration,
                    is_visible=True if new.is_visible is None else new.is_visible,
                    min_age=ages[0] if ages else None,
                    max_age=ages[1] if ages else None,
                    custom_name=custom,
                    is_public_insurance_flow=False,
                )
                uow.collect(
                    [
                        address_service_event(
                            AddressServiceCreated, created, address, scope.actor, now
                        )
                    ]
                )
                await uow.commit()
            return created

        return await retrying(attempt)

    async def update(
        self, found: AddressServiceScope, changes: AddressServiceChanges
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
        found.at.require_editable()

        async def attempt() -> AddressService:
            async with self._uow(write=True) as uow:
                await uow.address_services.update(found.address_service.id, **values)
                updated = await uow.address_services.get(found.address_service.id)
                assert updated is not None
                if updated != found.address_service:
                    uow.collect(
                        [
                            address_service_event(
                                AddressServiceChanged,
                                updated,
                                found.at.address,
                                found.at.actor,
                                self._clock.now(),
                            )
                        ]
                    )
                await uow.commit()
            return updated

        return await retrying(attempt)

    async def delete(self, found: AddressServiceScope) -> None:
        found.at.require_editable()

        async def attempt() -> None:
            now = self._clock.now()
            async with self._uow(write=True) as uow:
                await uow.address_services.soft_delete(found.address_service.id, now)
                deleted = replace(found.address_service, deleted_at=now)
                uow.collect(
                    [
                        address_service_event(
                            AddressServiceDeleted, deleted, found.at.address, found.at.actor, now
                        )
                    ]
                )
                await uow.commit()

        await retrying(attempt)
