"""Booking use cases on the in-memory unit of work (behaviour.md §8.5-§8.6, §10, §11.1)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from dpi_server.domain import errors
from dpi_server.domain.actors import Origin
from dpi_server.domain.booking_rules import VisitDetails
from dpi_server.domain.events import (
    BookingCanceled,
    BookingConfirmed,
    BookingMoved,
    BookingPaymentStatusChanged,
    EventContext,
    PresenceMarked,
    SlotBooked,
)
from dpi_server.services.bookings import BookingView, BookingWindow, MoveBooking
from tests.unit.services.support import NINE, PATIENT, TOMORROW, World, at_warsaw, period


def _context(world: World, address_id: int, origin: Origin) -> EventContext:
    return EventContext(world.clock.now(), world.ids.facility, world.ids.doctor, address_id, origin)


class TestBook:
    async def test_an_integration_books_a_free_slot(self, world: World) -> None:
        """The visit is stored booked by the integration, is its own move-chain origin and
        raises `slot-booked` with its snapshot, marked as the client's own change."""
        await world.open_office_tomorrow()

        view = await world.book(NINE)

        stored = await world.stored_booking(view.booking.id)
        assert view.booking == stored
        assert (stored.start, stored.duration, stored.status) == (NINE, 30, "booked")
        assert (stored.facility_id, stored.doctor_id, stored.address_id) == (
            world.ids.facility,
            world.ids.doctor,
            world.ids.office,
        )
        assert stored.address_service_id == world.ids.consult_at_office
        assert stored.booked_by == "integration"
        assert stored.booked_at == world.clock.now()
        assert stored.created_by_client_pk == world.ids.integrator_pk
        assert stored.origin_booking_id == stored.id
        assert stored.patient == PATIENT
        assert view.newest_booking_id == stored.id
        assert view.address_service is not None
        assert view.address_service.id == world.ids.consult_at_office
        assert world.take_events() == [
            SlotBooked(
                context=_context(
                    world, world.ids.office, Origin("integration", world.ids.integrator_pk)
                ),
                booking=stored,
            )
        ]

    async def test_a_patient_booking_reads_as_booked_by_the_user(self, world: World) -> None:
        """A marketplace booking is `booked_by: user`, has no client and is echoed to all."""
        await world.open_office_tomorrow()

        view = await world.book(NINE, actor=world.patient)

        stored = await world.stored_booking(view.booking.id)
        assert stored.booked_by == "user"
        assert stored.created_by_client_pk is None
        assert world.take_events() == [
            SlotBooked(context=_context(world, world.ids.office, Origin("patient")), booking=stored)
        ]

    async def test_a_taken_slot_is_not_found(self, world: World) -> None:
        """A second visit on the same start is the 404 `target slot not found`, and nothing more
        is stored or raised."""
        await world.open_office_tomorrow()
        await world.book(NINE)
        world.take_events()

        with pytest.raises(errors.UnableToPerformBookingWithSlot) as caught:
            await world.book(NINE + timedelta(minutes=10), actor=world.patient)

        assert caught.value.message == (
            "Unable to perform booking. Requested target slot (2026-01-06T09:10:00+01:00) not found"
        )
        assert len(world.store.tables.bookings) == 1
        assert world.take_events() == []

    async def test_two_bookers_racing_for_one_slot_get_one_visit(self, world: World) -> None:
        """Concurrent bookings of one slot run one after the other: one visit, one 404."""
        await world.open_office_tomorrow()

        results = await asyncio.gather(
            world.book(NINE), world.book(NINE, actor=world.patient), return_exceptions=True
        )

        assert [type(r) for r in results].count(BookingView) == 1
        assert [type(r) for r in results].count(errors.UnableToPerformBookingWithSlot) == 1
        assert len(world.store.tables.bookings) == 1
        assert [type(e) for e in world.take_events()] == [SlotBooked]

    async def test_a_service_of_another_address_does_not_exist(self, world: World) -> None:
        """The address service must be a live one of this address: 404 otherwise."""
        await world.open_office_tomorrow()

        with pytest.raises(errors.ServiceDoesNotExist):
            await world.book(NINE, address_service_id=world.ids.consult_online)

        assert world.store.tables.bookings == {}

    async def test_a_disabled_calendar_takes_no_visits(self, world: World) -> None:
        """A disabled calendar answers 404 `Unable to book a visit for this address`."""
        await world.open_office_tomorrow()
        await world.calendar.disable(await world.scope())

        with pytest.raises(errors.UnableToBookForAddress):
            await world.book(NINE)

    async def test_a_read_only_client_cannot_book(self, world: World) -> None:
        """A client that may not edit the facility's calendars cannot book there either."""
        await world.open_office_tomorrow()

        with pytest.raises(errors.UnableToBookForAddress):
            await world.book(NINE, actor=world.viewer)

    async def test_a_past_slot_is_not_found(self, world: World) -> None:
        """Slots that started before now are never offered, so they cannot be booked."""
        await world.open_office_tomorrow()
        world.clock.set(NINE + timedelta(minutes=1))

        with pytest.raises(errors.UnableToPerformBookingWithSlot):
            await world.book(NINE)

    async def test_the_insurer_must_be_accepted_at_the_address(self, world: World) -> None:
        """A plan not accepted at the address is a field error; an accepted one is stored."""
        await world.open_office_tomorrow()
        gold = VisitDetails(
            PATIENT, insurance_provider_id=world.ids.provider, insurance_plan_id=world.ids.gold_plan
        )
        basic = replace(gold, insurance_plan_id=world.ids.basic_plan)

        with pytest.raises(errors.FieldErrors) as caught:
            await world.book(NINE, details=gold)
        view = await world.book(NINE, details=basic)

        assert caught.value.field_errors == {
            "insurance_plan_id": ["This plan is not accepted at this address."]
        }
        assert (view.insurance_name, view.plan_name) == ("Insurer", "Basic")
        assert view.booking.insurance_plan_id == world.ids.basic_plan


class TestCancel:
    async def test_an_integration_cancels_and_frees_the_slot(self, world: World) -> None:
        """Canceling stores who, when and why, raises `booking-canceled` with the canceled
        visit, and the slot can be booked again."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        world.take_events()
        world.clock.advance(minutes=5)

        await world.bookings.cancel(await world.booking_scope(booked.id), "patient is ill")

        stored = await world.stored_booking(booked.id)
        assert stored == replace(
            booked,
            status="canceled",
            canceled_by="integration",
            canceled_at=world.clock.now(),
            cancel_reason="patient is ill",
        )
        assert world.take_events() == [
            BookingCanceled(
                context=_context(
                    world, world.ids.office, Origin("integration", world.ids.integrator_pk)
                ),
                booking=stored,
            )
        ]
        assert (await world.book(NINE)).booking.id != booked.id

    async def test_a_doctor_cancels_as_the_doctor(self, world: World) -> None:
        """A cancellation in the doctor's calendar reads `canceled_by: doctor`."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        world.take_events()

        await world.bookings.cancel(await world.booking_scope(booked.id, world.doctor), None)

        stored = await world.stored_booking(booked.id)
        assert (stored.canceled_by, stored.cancel_reason) == ("doctor", None)
        assert world.take_events() == [
            BookingCanceled(
                context=_context(world, world.ids.office, Origin("doctor")), booking=stored
            )
        ]

    async def test_a_canceled_visit_cannot_be_canceled_again(self, world: World) -> None:
        """Only a booked visit cancels: 400, and no second event."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        scope = await world.booking_scope(booked.id)
        await world.bookings.cancel(scope, None)
        world.take_events()

        with pytest.raises(errors.BookingNotBooked):
            await world.bookings.cancel(scope, None)

        assert world.take_events() == []

    async def test_a_read_only_client_cannot_cancel(self, world: World) -> None:
        """400 `Unable to cancel a visit for this address` for a read-only estate."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking

        with pytest.raises(errors.UnableToCancelForAddress):
            await world.bookings.cancel(await world.booking_scope(booked.id, world.viewer), None)

        assert (await world.stored_booking(booked.id)).status == "booked"


class TestMove:
    async def test_a_move_cancels_the_visit_and_creates_its_replacement(self, world: World) -> None:
        """The original is canceled and points to the new visit; the new one has a new id, the
        chain's origin and the original booker; `booking-moved` carries both."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE, actor=world.patient)).booking
        world.take_events()
        world.clock.advance(minutes=1)
        target = NINE + timedelta(hours=1)

        view = await world.bookings.move(
            await world.booking_scope(booked.id),
            MoveBooking(target, world.ids.consult_at_office),
        )

        new = await world.stored_booking(view.booking.id)
        old = await world.stored_booking(booked.id)
        assert new == view.booking
        assert new.id != booked.id
        assert (new.start, new.duration, new.status) == (target, 30, "booked")
        assert new.origin_booking_id == booked.id
        assert new.booked_by == "user"
        assert new.booked_at == world.clock.now()
        assert new.signature != booked.signature
        assert new.created_by_client_pk == world.ids.integrator_pk
        assert old == replace(
            booked,
            status="canceled",
            canceled_by="integration",
            canceled_at=world.clock.now(),
            moved_to_id=new.id,
        )
        assert view.newest_booking_id == new.id
        assert world.take_events() == [
            BookingMoved(
                context=_context(
                    world, world.ids.office, Origin("integration", world.ids.integrator_pk)
                ),
                old_booking=old,
                new_booking=new,
            )
        ]

    async def test_a_visit_may_move_over_its_own_time(self, world: World) -> None:
        """The moved visit does not block itself: ten minutes later overlaps the original."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking

        view = await world.bookings.move(
            await world.booking_scope(booked.id),
            MoveBooking(NINE + timedelta(minutes=10), world.ids.consult_at_office),
        )

        assert view.booking.start == NINE + timedelta(minutes=10)

    async def test_a_moved_visit_does_not_move_again(self, world: World) -> None:
        """Only the newest visit of a chain moves: the original answers 409."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        scope = await world.booking_scope(booked.id)
        await world.bookings.move(
            scope, MoveBooking(NINE + timedelta(hours=1), world.ids.consult_at_office)
        )
        world.take_events()

        with pytest.raises(errors.VisitAlreadyMovedOrDeleted):
            await world.bookings.move(
                scope, MoveBooking(NINE + timedelta(hours=2), world.ids.consult_at_office)
            )

        assert world.take_events() == []
        assert len(world.store.tables.bookings) == 2

    async def test_a_move_to_another_address_lives_there(self, world: World) -> None:
        """A move to another address of the facility raises its event at the new address."""
        await world.open_office_tomorrow()
        await world.publish(
            world.ids.online,
            period(
                at_warsaw(TOMORROW, 14), at_warsaw(TOMORROW, 16), (world.ids.consult_online, 30)
            ),
        )
        booked = (await world.book(NINE)).booking
        world.take_events()
        target = at_warsaw(TOMORROW, 15)

        view = await world.bookings.move(
            await world.booking_scope(booked.id),
            MoveBooking(target, world.ids.consult_online, address_id=world.ids.online),
        )

        new = await world.stored_booking(view.booking.id)
        assert (new.address_id, new.address_service_id, new.start) == (
            world.ids.online,
            world.ids.consult_online,
            target,
        )
        assert world.take_events() == [
            BookingMoved(
                context=_context(
                    world, world.ids.online, Origin("integration", world.ids.integrator_pk)
                ),
                old_booking=await world.stored_booking(booked.id),
                new_booking=new,
            )
        ]

    async def test_a_paid_visit_stays_on_its_payment_account(self, world: World) -> None:
        """A visit holding money cannot move to an address billed through another account."""
        await world.open_office_tomorrow()
        paid = VisitDetails(PATIENT, visit_payment=True)
        booked = (await world.book(NINE, details=paid)).booking
        scope = await world.booking_scope(booked.id, world.patient)
        await world.bookings.change_payment_status(scope, "paid")
        world.take_events()

        with pytest.raises(errors.BookingCannotCrossPaymentAccounts):
            await world.bookings.move(
                await world.booking_scope(booked.id),
                MoveBooking(NINE, world.ids.consult_online, address_id=world.ids.online),
            )

        assert (await world.stored_booking(booked.id)).status == "booked"
        assert world.take_events() == []

    async def test_an_unknown_target_address_does_not_exist(self, world: World) -> None:
        """A target address id that names nothing is the documented 400."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking

        with pytest.raises(errors.AddressDoesNotExist):
            await world.bookings.move(
                await world.booking_scope(booked.id),
                MoveBooking(NINE, world.ids.consult_at_office, address_id=10**6),
            )

    async def test_a_taken_target_changes_nothing(self, world: World) -> None:
        """Moving onto another visit is 404 and leaves both visits as they were."""
        await world.open_office_tomorrow()
        first = (await world.book(NINE)).booking
        second = (await world.book(NINE + timedelta(hours=1))).booking
        world.take_events()

        with pytest.raises(errors.UnableToPerformBookingWithSlot):
            await world.bookings.move(
                await world.booking_scope(first.id),
                MoveBooking(second.start, world.ids.consult_at_office),
            )

        assert await world.stored_booking(first.id) == first
        assert len(world.store.tables.bookings) == 2
        assert world.take_events() == []


class TestConfirm:
    async def test_confirming_stores_who_and_when(self, world: World) -> None:
        """A future booked visit is confirmed by the user or admin: `booking-confirmed`."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        world.take_events()

        await world.bookings.confirm(await world.booking_scope(booked.id, world.patient), "user")

        stored = await world.stored_booking(booked.id)
        assert stored == replace(
            booked, confirmed=True, confirmed_by="user", confirmed_at=world.clock.now()
        )
        assert world.take_events() == [
            BookingConfirmed(
                context=_context(world, world.ids.office, Origin("patient")), booking=stored
            )
        ]

    async def test_a_visit_is_confirmed_once(self, world: World) -> None:
        """A second confirmation is 409 `already confirmed`."""
        await world.open_office_tomorrow()
        scope = await world.booking_scope((await world.book(NINE)).booking.id)
        await world.bookings.confirm(scope, "admin")

        with pytest.raises(errors.VisitAlreadyConfirmed):
            await world.bookings.confirm(scope, "admin")

    async def test_confirmation_rules_in_the_spec_order(self, world: World) -> None:
        """An unknown confirmer is 400; a canceled visit 409; a started one 409."""
        await world.open_office_tomorrow()
        canceled = (await world.book(NINE)).booking
        await world.bookings.cancel(await world.booking_scope(canceled.id), None)
        started = (await world.book(NINE + timedelta(hours=1))).booking
        world.take_events()

        with pytest.raises(errors.ConfirmBookingValidationError):
            await world.bookings.confirm(await world.booking_scope(started.id), "robot")
        with pytest.raises(errors.VisitCanceled):
            await world.bookings.confirm(await world.booking_scope(canceled.id), "user")
        world.clock.set(started.start)
        with pytest.raises(errors.VisitInThePast):
            await world.bookings.confirm(await world.booking_scope(started.id), "user")

        assert world.take_events() == []

    async def test_a_read_only_client_cannot_confirm(self, world: World) -> None:
        """A client that may not edit the calendar gets the documented 400."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking

        with pytest.raises(errors.ConfirmBookingInvalidIntegration):
            await world.bookings.confirm(await world.booking_scope(booked.id, world.viewer), "user")

        assert not (await world.stored_booking(booked.id)).confirmed


class TestPresence:
    async def test_presence_of_a_started_visit(self, world: World) -> None:
        """Once the visit has started, presence is stored and `presence-marked` raised with the
        wire's upper-case value."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        world.take_events()
        world.clock.set(NINE + timedelta(minutes=5))

        await world.bookings.mark_presence(await world.booking_scope(booked.id), False)

        stored = await world.stored_booking(booked.id)
        assert stored == replace(booked, presence="absent")
        assert world.take_events() == [
            PresenceMarked(
                context=_context(
                    world, world.ids.office, Origin("integration", world.ids.integrator_pk)
                ),
                booking=stored,
                presence="ABSENT",
            )
        ]

    async def test_a_future_visit_has_no_presence_yet(self, world: World) -> None:
        """400 `in the future` before the visit starts."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking

        with pytest.raises(errors.VisitInTheFuture):
            await world.bookings.mark_presence(await world.booking_scope(booked.id), True)

        assert (await world.stored_booking(booked.id)).presence is None

    async def test_a_canceled_visit_has_no_presence(self, world: World) -> None:
        """409 `marked as canceled` for a canceled visit."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        scope = await world.booking_scope(booked.id)
        await world.bookings.cancel(scope, None)
        world.clock.set(NINE + timedelta(minutes=5))

        with pytest.raises(errors.VisitMarkedAsCanceled):
            await world.bookings.mark_presence(scope, True)


class TestPaymentStatus:
    async def test_a_new_status_is_stored_and_announced_once(self, world: World) -> None:
        """A paid visit's status change raises one event with both statuses; repeating the
        status changes nothing."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE, details=VisitDetails(PATIENT, visit_payment=True))).booking
        world.take_events()
        scope = await world.booking_scope(booked.id, world.patient)

        await world.bookings.change_payment_status(scope, "paid")
        await world.bookings.change_payment_status(scope, "paid")

        stored = await world.stored_booking(booked.id)
        assert stored == replace(booked, visit_payment_status="paid")
        assert world.take_events() == [
            BookingPaymentStatusChanged(
                context=_context(world, world.ids.office, Origin("patient")),
                booking=stored,
                status_from=None,
                status_to="paid",
                changed_at=world.clock.now(),
            )
        ]

    async def test_only_visits_paid_online_have_a_payment_status(self, world: World) -> None:
        """A visit without online payment, or an unknown status, is a field error."""
        await world.open_office_tomorrow()
        booked = (await world.book(NINE)).booking
        scope = await world.booking_scope(booked.id, world.patient)
        world.take_events()

        with pytest.raises(errors.FieldErrors) as unpaid:
            await world.bookings.change_payment_status(scope, "paid")
        with pytest.raises(errors.FieldErrors) as unknown:
            await world.bookings.change_payment_status(scope, "gift")

        assert unpaid.value.field_errors == {"status": ["This visit is not paid online."]}
        assert list(unknown.value.field_errors) == ["status"]
        assert world.take_events() == []


class TestOpinionRequest:
    async def test_the_latest_past_visit_gets_one_request(self, world: World) -> None:
        """Matched on the phone's digits, the latest past visit is recorded once; a second
        request is 409, and no event is raised."""
        await world.open_office_tomorrow()
        early = (await world.book(NINE)).booking
        latest = (await world.book(NINE + timedelta(hours=1))).booking
        world.take_events()
        world.clock.set(NINE + timedelta(hours=2))
        scope = await world.scope()

        await world.bookings.request_opinion(scope, "48-600-100-200")
        with pytest.raises(errors.OpinionAlreadyExists):
            await world.bookings.request_opinion(scope, "+48 600 100 200")

        assert world.store.tables.opinion_requests == {latest.id: world.clock.now()}
        assert early.id not in world.store.tables.opinion_requests
        assert world.take_events() == []

    async def test_only_future_visits_cannot_be_asked_about(self, world: World) -> None:
        """A patient whose visits are all ahead gets 422; an unknown phone 403."""
        await world.open_office_tomorrow()
        await world.book(NINE)
        scope = await world.scope()

        with pytest.raises(errors.CannotSendRequestForOpinion):
            await world.bookings.request_opinion(scope, "+48600100200")
        with pytest.raises(errors.VisitNotFound):
            await world.bookings.request_opinion(scope, "+48700000000")

    async def test_a_phone_must_look_like_one(self, world: World) -> None:
        """A phone that is not 9-15 digits is the documented 400."""
        with pytest.raises(errors.OpinionRequestValidationError):
            await world.bookings.request_opinion(await world.scope(), "12-34")


class TestReadBookings:
    async def test_bookings_are_listed_by_start_and_paginated(self, world: World) -> None:
        """getBookings lists visits starting in the window, oldest first, a page at a time."""
        await world.open_office_tomorrow()
        late = (await world.book(NINE + timedelta(hours=1))).booking
        early = (await world.book(NINE)).booking
        scope = await world.scope()
        window = BookingWindow(NINE, NINE + timedelta(hours=3))

        everything = await world.bookings.list(scope, window)
        second_page = await world.bookings.list(scope, replace(window, page=2, limit=1))

        assert [v.booking.id for v in everything.views] == [early.id, late.id]
        assert everything.total == 2
        assert [v.booking.id for v in second_page.views] == [late.id]
        assert (second_page.total, second_page.page, second_page.limit) == (2, 2, 1)
