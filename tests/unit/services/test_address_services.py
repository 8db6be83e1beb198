"""Address-service use cases on the in-memory unit of work (behaviour.md §7.2 #10-15, §11.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dpi_server.domain import errors
from dpi_server.domain.actors import Actor, Origin
from dpi_server.domain.directory import AddressService
from dpi_server.domain.events import (
    AddressServiceChanged,
    AddressServiceCreated,
    AddressServiceDeleted,
    EventContext,
)
from dpi_server.services.address_services import AddressServiceChanges, NewAddressService
from dpi_server.services.calendar import NewBreak
from tests.unit.services.support import NINE, World


def _at(world: World, origin: Origin) -> EventContext:
    return EventContext(
        world.clock.now(), world.ids.facility, world.ids.doctor, world.ids.office, origin
    )


async def _follow_up(world: World, actor: Actor | None = None) -> AddressService:
    """Follow-up added to the office, its creation event already taken."""
    created = await world.address_services.add(
        await world.scope(actor), NewAddressService(world.ids.follow_up, price="99.999")
    )
    world.take_events()
    return created


class TestAdd:
    async def test_a_dictionary_service_is_added_with_its_name(self, world: World) -> None:
        """The new service takes the dictionary's name and the given fields, is listed at the
        address and raises `address-service-created` with its snapshot."""
        scope = await world.scope()

        created = await world.address_services.add(
            scope,
            NewAddressService(
                world.ids.follow_up,
                is_price_from=True,
                price="120.459",
                description="After the first visit",
                default_duration=15,
                allowed_patients=(18, None),
                custom_name="Control",
            ),
        )

        assert created == AddressService(
            id=created.id,
            address_id=world.ids.office,
            service_id=world.ids.follow_up,
            name="Follow-up",
            price_cents=12045,
            is_price_from=True,
            is_default=False,
            description="After the first visit",
            default_duration=15,
            is_visible=True,
            min_age=18,
            max_age=None,
            custom_name="Control",
            is_public_insurance_flow=False,
        )
        assert created.price == 120
        assert created in await world.address_services.for_address(scope)
        assert world.take_events() == [
            AddressServiceCreated(
                context=_at(world, Origin("integration", world.ids.integrator_pk)),
                address_service=created,
            )
        ]

    async def test_one_active_copy_per_dictionary_service(self, world: World) -> None:
        """Adding a service the address already offers is 409, with nothing stored."""
        with pytest.raises(errors.AddressServiceAlreadyExists):
            await world.address_services.add(
                await world.scope(), NewAddressService(world.ids.consultation)
            )

        assert len(world.store.tables.address_services) == 3
        assert world.take_events() == []

    async def test_a_deleted_service_can_be_added_again(self, world: World) -> None:
        """After a soft delete the same dictionary service gets a new id."""
        scope = await world.scope()
        found = await world.access.address_service(
            world.integrator, world.ref(), world.ids.consult_at_office
        )
        await world.address_services.delete(found)

        again = await world.address_services.add(scope, NewAddressService(world.ids.consultation))

        assert again.id != world.ids.consult_at_office
        assert [s.id for s in await world.address_services.for_address(scope)] == [
            world.ids.ecg_at_office,
            again.id,
        ]

    async def test_the_service_must_be_in_the_locale_dictionary(self, world: World) -> None:
        """An unknown id and a service of another locale are both a `service_id` field error."""
        scope = await world.scope()
        expected = {"service_id": ["Service with given ID does not exist in the dictionary."]}

        with pytest.raises(errors.FieldErrors) as unknown:
            await world.address_services.add(scope, NewAddressService(10**6))
        with pytest.raises(errors.FieldErrors) as foreign:
            await world.address_services.add(scope, NewAddressService(world.ids.czech_service))

        assert unknown.value.field_errors == foreign.value.field_errors == expected

    async def test_inputs_are_checked_before_the_estate(self, world: World) -> None:
        """A negative price is the documented 400 even for a read-only client; a valid body
        from it is then 403."""
        scope = await world.scope(world.viewer)

        with pytest.raises(errors.AddressServiceValidationError):
            await world.address_services.add(
                scope, NewAddressService(world.ids.follow_up, price=-1)
            )
        with pytest.raises(errors.CalendarEditionNotAuthorized):
            await world.address_services.add(scope, NewAddressService(world.ids.follow_up))

        assert world.take_events() == []


class TestUpdate:
    async def test_named_fields_change_and_the_change_is_announced(self, world: World) -> None:
        """Only the fields given change (None clears); `address-service-changed` carries the
        new state, made by the doctor here."""
        created = await _follow_up(world)
        found = await world.access.address_service(world.doctor, world.ref(), created.id)

        updated = await world.address_services.update(
            found,
            AddressServiceChanges(price=None, description="New", allowed_patients=(2, 10)),
        )

        expected = replace(created, price_cents=None, description="New", min_age=2, max_age=10)
        assert updated == expected
        assert world.store.tables.address_services[created.id] == expected
        assert world.take_events() == [
            AddressServiceChanged(context=_at(world, Origin("doctor")), address_service=expected)
        ]

    async def test_an_update_that_changes_nothing_raises_no_event(self, world: World) -> None:
        """Sending the current values, or `is_visible: null`, changes and announces nothing."""
        created = await _follow_up(world)
        found = await world.access.address_service(world.integrator, world.ref(), created.id)

        updated = await world.address_services.update(
            found, AddressServiceChanges(description=None, is_visible=None)
        )

        assert updated == created
        assert world.take_events() == []

    async def test_bad_ages_are_field_errors(self, world: World) -> None:
        """A minimum above the maximum is a field error and nothing changes."""
        created = await _follow_up(world)
        found = await world.access.address_service(world.integrator, world.ref(), created.id)

        with pytest.raises(errors.FieldErrors) as caught:
            await world.address_services.update(
                found, AddressServiceChanges(allowed_patients=(9, 3))
            )

        assert list(caught.value.field_errors) == ["allowed_patients.minimum_age"]
        assert world.store.tables.address_services[created.id] == created


class TestDelete:
    async def test_a_deleted_service_is_kept_out_of_sight(self, world: World) -> None:
        """A soft delete hides the service from the address and raises
        `address-service-deleted` with its state at deletion."""
        created = await _follow_up(world)
        found = await world.access.address_service(world.patient, world.ref(), created.id)
        world.clock.advance(minutes=3)

        await world.address_services.delete(found)

        deleted = replace(created, deleted_at=world.clock.now())
        assert world.store.tables.address_services[created.id] == deleted
        assert created.id not in {
            s.id for s in await world.address_services.for_address(await world.scope())
        }
        assert world.take_events() == [
            AddressServiceDeleted(context=_at(world, Origin("patient")), address_service=deleted)
        ]
        with pytest.raises(errors.ObjectNotFound):
            await world.access.address_service(world.integrator, world.ref(), created.id)

    async def test_a_read_only_client_cannot_delete(self, world: World) -> None:
        """403 and the service stays."""
        found = await world.access.address_service(
            world.viewer, world.ref(), world.ids.consult_at_office
        )

        with pytest.raises(errors.CalendarEditionNotAuthorized):
            await world.address_services.delete(found)

        assert world.store.tables.address_services[world.ids.consult_at_office].deleted_at is None


class TestAtSlot:
    async def test_services_bookable_in_a_slot(self, world: World) -> None:
        """The services that fit the free slot starting then, with their durations there."""
        await world.open_office_tomorrow()
        scope = await world.scope()
        await world.calendar.add_break(
            scope, NewBreak(NINE.replace(minute=20), NINE.replace(hour=9))
        )

        offered = await world.address_services.at_slot(scope, NINE)

        assert [(s.id, minutes) for s, minutes in offered] == [(world.ids.ecg_at_office, 20)]
        with pytest.raises(errors.SlotNotFound):
            await world.address_services.at_slot(scope, NINE.replace(minute=30))
