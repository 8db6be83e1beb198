"""Events raised by changes to breaks and address services (behaviour.md §11.1).

Small constructors, so that every use case raises an event the same way: the where-and-who
comes from the address the change happened at and from the actor that made it.
"""

from __future__ import annotations

from datetime import datetime

from dpi_server.domain.actors import Actor, origin_of
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import Address, AddressService
from dpi_server.domain.events import (
    AddressCommercialTypeChanged,
    AddressServiceChanged,
    AddressServiceCreated,
    AddressServiceDeleted,
    BreakCreated,
    BreakMoved,
    BreakRemoved,
    at_address,
)

BreakEvent = type[BreakCreated] | type[BreakMoved] | type[BreakRemoved]
ServiceEvent = (
    type[AddressServiceCreated] | type[AddressServiceChanged] | type[AddressServiceDeleted]
)


def break_event(
    kind: BreakEvent, found: CalendarBreak, address: Address, actor: Actor, now: datetime
) -> BreakCreated | BreakMoved | BreakRemoved:
    assert found.address_id == address.id
    return kind(context=at_address(address, origin_of(actor), now), calendar_break=found)


def address_service_event(
    kind: ServiceEvent, service: AddressService, address: Address, actor: Actor, now: datetime
) -> AddressServiceCreated | AddressServiceChanged | AddressServiceDeleted:
    assert service.address_id == address.id
    return kind(context=at_address(address, origin_of(actor), now), address_service=service)


def commercial_type_changed(
    address: Address, actor: Actor, now: datetime
) -> AddressCommercialTypeChanged:
    return AddressCommercialTypeChanged(
        context=at_address(address, origin_of(actor), now), address=address
    )
