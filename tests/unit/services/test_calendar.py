"""Calendar use cases on the in-memory unit of work: enabling, availability, slots and breaks
(behaviour.md §8.1-§8.4, §11.1)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from dpi_server.domain import errors
from dpi_server.domain.actors import Origin
from dpi_server.domain.calendar import IncomingPeriod, PeriodService, WorkPeriod
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.events import BreakCreated, BreakMoved, BreakRemoved, EventContext
from dpi_server.services.calendar import NewBreak
from tests.unit.services.support import NINE, TOMORROW, World, at_warsaw, period

WEDNESDAY = date(2026, 1, 7)


def incoming(
    index: int, start: datetime, end: datetime, *services: tuple[int, int]
) -> IncomingPeriod:
    return IncomingPeriod(index, start, end, tuple(PeriodService(a, d) for a, d in services))


async def stored_periods(world: World, address_id: int, *days: date) -> list[WorkPeriod]:
    async with world.uow() as uow:
        return await uow.calendar.periods_on_days(address_id, list(days))


async def stored_calendar(world: World, address_id: int) -> Calendar | None:
    async with world.uow() as uow:
        return await uow.calendar.get(address_id)


class TestEnableAndDisable:
    async def test_enabling_creates_the_calendar(self, world: World) -> None:
        """An address without a calendar gets an enabled, unpublished one; no event."""
        scope = await world.scope()

        await world.calendar.enable(scope)

        assert await world.calendar.get(scope) == Calendar(world.ids.office, "enabled", False)
        assert world.take_events() == []

    async def test_enable_and_disable_answer_409_when_nothing_changes(self, world: World) -> None:
        """Enabling an enabled calendar and disabling a disabled one are 409s."""
        scope = await world.scope()
        await world.calendar.enable(scope)

        with pytest.raises(errors.CalendarAlreadyEnabled):
            await world.calendar.enable(scope)
        await world.calendar.disable(scope)
        with pytest.raises(errors.CalendarAlreadyDisabled):
            await world.calendar.disable(scope)

        assert await stored_calendar(world, world.ids.office) == Calendar(
            world.ids.office, "disabled", False
        )

    async def test_disabling_without_a_calendar_is_409(self, world: World) -> None:
        """There is nothing enabled to disable at an address that never had a calendar."""
        with pytest.raises(errors.CalendarAlreadyDisabled):
            await world.calendar.disable(await world.scope())

    async def test_a_basic_address_runs_no_calendar(self, world: World) -> None:
        """422 `not commercial` for a basic address."""
        with pytest.raises(errors.NotCommercial):
            await world.calendar.enable(await world.scope(address_id=world.ids.basic))

        assert await stored_calendar(world, world.ids.basic) is None

    async def test_a_disabled_address_cannot_enable(self, world: World) -> None:
        """400 for an address switched off on Docplanner's side."""
        async with world.uow(write=True) as uow:
            await uow.directory.update_address(world.ids.office, is_enabled=False)
            await uow.commit()

        with pytest.raises(errors.AddressDisabled):
            await world.calendar.enable(await world.scope())

    async def test_a_read_only_client_cannot_enable(self, world: World) -> None:
        """403 `not authorized to make changes on this calendar`."""
        with pytest.raises(errors.CalendarEditionNotAuthorized):
            await world.calendar.enable(await world.scope(world.viewer))

    async def test_an_address_without_a_calendar_has_none_to_show(self, world: World) -> None:
        """getCalendar is 404 until a calendar exists."""
        with pytest.raises(errors.CalendarNotFound):
            await world.calendar.get(await world.scope())


class TestReplaceSlots:
    async def test_periods_are_stored_and_the_calendar_published(self, world: World) -> None:
        """The payload's periods are stored on their days; the calendar is created enabled and
        marked as published."""
        a = world.ids.consult_at_office
        first = incoming(0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 12), (a, 30))
        second = incoming(1, at_warsaw(WEDNESDAY, 9), at_warsaw(WEDNESDAY, 10), (a, 15))

        await world.calendar.replace_slots(await world.scope(), [second, first], "f1")

        assert await stored_periods(world, world.ids.office, TOMORROW, WEDNESDAY) == [
            period(first.start, first.end, (a, 30)),
            period(second.start, second.end, (a, 15)),
        ]
        assert await stored_calendar(world, world.ids.office) == Calendar(
            world.ids.office, "enabled", True
        )
        assert world.take_events() == []

    async def test_only_the_days_in_the_payload_are_replaced(self, world: World) -> None:
        """A day in the payload loses its old periods; other days keep theirs; a period
        without services only clears its day."""
        a = world.ids.consult_at_office
        scope = await world.scope()
        await world.calendar.replace_slots(
            scope,
            [
                incoming(0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 12), (a, 30)),
                incoming(1, at_warsaw(WEDNESDAY, 9), at_warsaw(WEDNESDAY, 12), (a, 30)),
            ],
            "f1",
        )
        afternoon = incoming(0, at_warsaw(TOMORROW, 14), at_warsaw(TOMORROW, 15), (a, 20))
        clearing = IncomingPeriod(1, at_warsaw(WEDNESDAY, 9), at_warsaw(WEDNESDAY, 10), None)

        await world.calendar.replace_slots(scope, [afternoon], "f2")
        tuesday = await stored_periods(world, world.ids.office, TOMORROW)
        await world.calendar.replace_slots(scope, [clearing], "f3")

        assert tuesday == [period(afternoon.start, afternoon.end, (a, 20))]
        assert await stored_periods(world, world.ids.office, WEDNESDAY) == []
        assert await stored_periods(world, world.ids.office, TOMORROW) == tuesday

    async def test_the_same_payload_within_three_minutes_is_ignored(self, world: World) -> None:
        """A payload applied less than 3 minutes ago is accepted but not applied again; later
        it is applied (behaviour.md §8.2)."""
        a = world.ids.consult_at_office
        scope = await world.scope()
        morning = [incoming(0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 10), (a, 30))]
        evening = [incoming(0, at_warsaw(TOMORROW, 17), at_warsaw(TOMORROW, 18), (a, 30))]
        await world.calendar.replace_slots(scope, morning, "morning")
        await world.calendar.replace_slots(scope, evening, "evening")

        world.clock.advance(minutes=2)
        await world.calendar.replace_slots(scope, morning, "morning")
        within = await stored_periods(world, world.ids.office, TOMORROW)
        world.clock.advance(minutes=2)
        await world.calendar.replace_slots(scope, morning, "morning")
        after = await stored_periods(world, world.ids.office, TOMORROW)

        assert [p.start for p in within] == [evening[0].start]
        assert [p.start for p in after] == [morning[0].start]

    async def test_a_payload_in_flight_in_this_process_is_429(self, world: World) -> None:
        """While a payload is being applied, the same payload for the address is 429 with
        `Retry-After: 1`; the first one still completes."""
        a = world.ids.consult_at_office
        scope = await world.scope()
        payload = [incoming(0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 10), (a, 30))]
        await world.store.write_lock.acquire()  # the first request waits for the writer lock
        first = asyncio.create_task(world.calendar.replace_slots(scope, payload, "p"))
        await asyncio.sleep(0)  # let it start: it stops at the lock, marked in flight
        assert world.calendar.applying == {(world.ids.office, "p")}

        with pytest.raises(errors.TooManyRequests) as caught:
            await world.calendar.replace_slots(scope, payload, "p")
        world.store.write_lock.release()
        await first

        assert caught.value.retry_after == 1
        assert len(await stored_periods(world, world.ids.office, TOMORROW)) == 1
        assert world.calendar.applying == frozenset()

    async def test_a_payload_held_by_another_transaction_is_429(self, world: World) -> None:
        """The cross-process guard: a payload another transaction holds answers 429."""
        a = world.ids.consult_at_office
        scope = await world.scope()
        payload = [incoming(0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 10), (a, 30))]

        async with world.uow() as other:
            assert await other.calendar.hold_replace_request(world.ids.office, "p")
            with pytest.raises(errors.TooManyRequests):
                await world.calendar.replace_slots(scope, payload, "p")

        assert await stored_periods(world, world.ids.office, TOMORROW) == []

    async def test_an_invalid_payload_stores_nothing(self, world: World) -> None:
        """A service of another address is the documented error and no calendar appears."""
        payload = [
            incoming(
                0, at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 10), (world.ids.consult_online, 30)
            )
        ]

        with pytest.raises(errors.AddressServiceDoesNotExist):
            await world.calendar.replace_slots(await world.scope(), payload, "bad")

        assert await stored_calendar(world, world.ids.office) is None
        assert await stored_periods(world, world.ids.office, TOMORROW) == []

    async def test_a_read_only_client_cannot_replace_slots(self, world: World) -> None:
        """403 before anything is read or written."""
        with pytest.raises(errors.CalendarEditionNotAuthorized):
            await world.calendar.replace_slots(await world.scope(world.viewer), [], "x")


class TestGetSlots:
    async def test_free_slots_leave_out_visits_and_breaks(self, world: World) -> None:
        """Slots of the stored periods, minus booked time and breaks, with their services."""
        a = world.ids.consult_at_office
        await world.publish(
            world.ids.office, period(at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 11), (a, 30))
        )
        await world.book(NINE)
        scope = await world.scope()
        await world.calendar.add_break(
            scope, NewBreak(at_warsaw(TOMORROW, 10), at_warsaw(TOMORROW, 10, 30))
        )

        slots = await world.calendar.get_slots(
            scope, at_warsaw(TOMORROW, 0), at_warsaw(WEDNESDAY, 0), with_services=True
        )

        assert [s.start for s in slots] == [
            at_warsaw(TOMORROW, 9, 30),
            at_warsaw(TOMORROW, 10, 30),
        ]
        assert [(svc.id, minutes) for svc, minutes in slots[0].services] == [(a, 30)]

    async def test_slots_need_published_availability(self, world: World) -> None:
        """404 until availability was published; a disabled calendar shows none."""
        scope = await world.scope()
        window = (at_warsaw(TOMORROW, 0), at_warsaw(WEDNESDAY, 0))
        await world.calendar.enable(scope)

        with pytest.raises(errors.NoSlotsOnAddress):
            await world.calendar.get_slots(scope, *window)
        await world.open_office_tomorrow()
        await world.calendar.disable(scope)

        assert await world.calendar.get_slots(scope, *window) == []

    async def test_windows_are_checked(self, world: World) -> None:
        """An empty window is a field error; more than 180 days is the documented 400."""
        scope = await world.scope()

        with pytest.raises(errors.FieldErrors):
            await world.calendar.get_slots(scope, NINE, NINE)
        with pytest.raises(errors.DateRangeExceedsMaximum):
            await world.calendar.get_slots(scope, NINE, NINE + timedelta(days=181))


class TestDeleteSlots:
    async def test_deleting_a_day_keeps_other_days_and_visits(self, world: World) -> None:
        """deleteSlots drops the day's periods; other days and the bookings stay."""
        a = world.ids.consult_at_office
        await world.publish(
            world.ids.office,
            period(at_warsaw(TOMORROW, 9), at_warsaw(TOMORROW, 12), (a, 30)),
            period(at_warsaw(WEDNESDAY, 9), at_warsaw(WEDNESDAY, 12), (a, 30)),
        )
        booked = (await world.book(NINE)).booking

        await world.calendar.delete_slots(await world.scope(), TOMORROW)

        assert await stored_periods(world, world.ids.office, TOMORROW) == []
        assert len(await stored_periods(world, world.ids.office, WEDNESDAY)) == 1
        assert (await world.stored_booking(booked.id)).status == "booked"


class TestBreaks:
    async def test_a_break_is_stored_and_announced(self, world: World) -> None:
        """A new break is returned and stored, creates the calendar when missing and raises
        `break-created` at its address."""
        scope = await world.scope(world.doctor)
        new = NewBreak(at_warsaw(TOMORROW, 13), at_warsaw(TOMORROW, 14), "Lunch")

        created = await world.calendar.add_break(scope, new)

        assert created == CalendarBreak(
            created.id, world.ids.office, new.since, new.till, "Lunch", None
        )
        assert await world.calendar.list_breaks(scope, new.since, new.till) == [created]
        assert await stored_calendar(world, world.ids.office) == Calendar(
            world.ids.office, "enabled", False
        )
        assert world.take_events() == [
            BreakCreated(
                context=EventContext(
                    world.clock.now(),
                    world.ids.facility,
                    world.ids.doctor,
                    world.ids.office,
                    Origin("doctor"),
                ),
                calendar_break=created,
            )
        ]

    async def test_an_identical_break_is_409(self, world: World) -> None:
        """Same range and description again: 409, nothing stored, no event."""
        scope = await world.scope()
        new = NewBreak(at_warsaw(TOMORROW, 13), at_warsaw(TOMORROW, 14), "Lunch")
        await world.calendar.add_break(scope, new)
        world.take_events()

        with pytest.raises(errors.CalendarBreakAlreadyExists):
            await world.calendar.add_break(scope, new)

        assert len(world.store.tables.breaks) == 1
        assert world.take_events() == []

    async def test_an_empty_range_is_422(self, world: World) -> None:
        """`till` must come after `since`."""
        with pytest.raises(errors.InvalidDateRange):
            await world.calendar.add_break(await world.scope(), NewBreak(NINE, NINE))

    async def test_breaks_need_a_calendar_to_be_listed(self, world: World) -> None:
        """Listing breaks of an address without a calendar is 404."""
        with pytest.raises(errors.CalendarNotFoundForAddress):
            await world.calendar.list_breaks(await world.scope(), NINE, NINE + timedelta(days=1))

    async def test_coupled_addresses_share_the_break(self, world: World) -> None:
        """With `apply_on_coupled_addresses` an offline address's break is copied to the
        doctor's online-only address in one group, with one event per address."""
        scope = await world.scope()
        new = NewBreak(at_warsaw(TOMORROW, 13), at_warsaw(TOMORROW, 14), None, True)

        created = await world.calendar.add_break(scope, new)

        twin = next(b for b in world.store.tables.breaks.values() if b.id != created.id)
        assert created.group_id == created.id
        assert twin == CalendarBreak(
            twin.id, world.ids.online, new.since, new.till, None, created.id
        )
        origin = Origin("integration", world.ids.integrator_pk)
        assert world.take_events() == [
            BreakCreated(context=_at(world, world.ids.office, origin), calendar_break=created),
            BreakCreated(context=_at(world, world.ids.online, origin), calendar_break=twin),
        ]

    async def test_coupled_breaks_move_and_go_together(self, world: World) -> None:
        """Moving or deleting one break of a group does it to all, each announced at its own
        address."""
        scope = await world.scope()
        new = NewBreak(at_warsaw(TOMORROW, 13), at_warsaw(TOMORROW, 14), None, True)
        created = await world.calendar.add_break(scope, new)
        world.take_events()
        since, till = at_warsaw(TOMORROW, 15), at_warsaw(TOMORROW, 16)
        found = await world.access.calendar_break(world.doctor, world.ref(), created.id)

        await world.calendar.move_break(found, since, till)
        moved = sorted(world.store.tables.breaks.values(), key=lambda b: b.id)
        moved_events = world.take_events()
        await world.calendar.delete_break(found)

        assert [(b.since, b.till) for b in moved] == [(since, till), (since, till)]
        origin = Origin("doctor")
        assert moved_events == [
            BreakMoved(context=_at(world, b.address_id, origin), calendar_break=b) for b in moved
        ]
        assert world.store.tables.breaks == {}
        assert world.take_events() == [
            BreakRemoved(context=_at(world, b.address_id, origin), calendar_break=b) for b in moved
        ]

    async def test_moving_to_the_same_range_is_422(self, world: World) -> None:
        """`Same Date Range` when the break would not move."""
        new = NewBreak(at_warsaw(TOMORROW, 13), at_warsaw(TOMORROW, 14))
        created = await world.calendar.add_break(await world.scope(), new)
        found = await world.access.calendar_break(world.integrator, world.ref(), created.id)

        with pytest.raises(errors.SameDateRange):
            await world.calendar.move_break(found, new.since, new.till)


def _at(world: World, address_id: int, origin: Origin) -> EventContext:
    return EventContext(world.clock.now(), world.ids.facility, world.ids.doctor, address_id, origin)
