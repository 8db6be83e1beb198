"""Visit rules and the events they raise (domain/booking_rules.py; behaviour.md §8.5-§8.6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dpi_server.domain import booking_rules as rules
from dpi_server.domain import errors
from dpi_server.domain.actors import (
    Actor,
    DoctorActor,
    IntegrationActor,
    Origin,
    PatientActor,
)
from dpi_server.domain.bookings import CANCELED
from dpi_server.domain.calendar import PeriodService, WorkPeriod
from dpi_server.domain.calendar.records import Calendar
from dpi_server.domain.directory import AddressService, Doctor
from dpi_server.domain.events import (
    BookingCanceled,
    BookingMoved,
    BookingPaymentStatusChanged,
    SlotBooked,
)
from dpi_server.domain.locales import LOCALES
from tests.unit.test_events import ADDRESS, BOOKING, SERVICE

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ZONE = LOCALES["pl"].zone
START = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
PERIOD = WorkPeriod(START, START + timedelta(hours=2), (PeriodService(4, 30),))
CALENDAR = rules.AddressCalendar(ADDRESS, [PERIOD], [])
API = IntegrationActor(7, "pl")
DETAILS = rules.VisitDetails(BOOKING.patient, comment="hi")


class TestBook:
    @pytest.mark.parametrize(
        ("actor", "by"), [(API, "integration"), (PatientActor(), "user"), (DoctorActor(), "doctor")]
    )
    def test_booked_by_comes_from_the_actor(self, actor: Actor, by: str) -> None:
        """`booked_by` is integration, user or doctor as decisions.md "Bookings" says."""
        draft = rules.book(CALENDAR, _live(), START, 30, DETAILS, actor, NOW, ZONE)

        assert draft.booked_by == by
        assert draft.created_by_client_pk == (7 if actor is API else None)

    def test_a_slot_off_the_grid_is_the_documented_404(self) -> None:
        """A start that getSlots does not list: 404 with the start in the locale's zone."""
        with pytest.raises(errors.UnableToPerformBookingWithSlot):
            rules.book(CALENDAR, _live(), START + timedelta(minutes=7), 30, DETAILS, API, NOW, ZONE)

    def test_checks_run_in_the_spec_order(self) -> None:
        """Duration first, then commercial, then the calendar, then the service, then the slot."""
        disabled = Calendar(ADDRESS.id, "disabled")
        kwargs = {
            "address": ADDRESS,
            "doctor": _doctor(),
            "may_edit": True,
            "service": None,
            "start": rules.RequestedStart(None, "garbage"),
        }

        with pytest.raises(errors.FieldErrors):
            rules.check_book_request(calendar=disabled, duration=0, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(errors.UnableToBookForAddress):
            rules.check_book_request(calendar=disabled, duration=30, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(errors.ServiceDoesNotExist):
            rules.check_book_request(
                calendar=Calendar(ADDRESS.id, "enabled"),
                duration=30,
                **kwargs,  # type: ignore[arg-type]
            )

    def test_booked_raises_slot_booked_with_the_snapshot(self) -> None:
        """The event carries the stored visit and the actor as its origin."""
        event = rules.booked(BOOKING, PatientActor(), NOW)

        assert isinstance(event, SlotBooked)
        assert event.booking == BOOKING
        assert event.origin == Origin("patient")
        assert event.address_id == BOOKING.address_id


class TestChanges:
    def test_cancel_records_who_and_raises_booking_canceled(self) -> None:
        """`canceled_by` from the actor; the event holds the canceled visit."""
        change = rules.cancel(BOOKING, DoctorActor(), NOW, "sick")

        assert change.value.status == CANCELED
        assert change.value.canceled_by == "doctor"
        assert change.events == (
            BookingCanceled(context=change.events[0].context, booking=change.value),
        )

    def test_move_keeps_the_patient_and_restarts_the_rest(self) -> None:
        """A new visit with a new signature, the same patient, unconfirmed (§8.6)."""
        confirmed = replace(BOOKING, confirmed=True)
        later = START + timedelta(minutes=30)

        canceled, draft = rules.move(confirmed, CALENDAR, _live(), later, None, API, NOW, ZONE)
        new = draft.stored_as(11)
        event = rules.moved(canceled, new, API, NOW)

        assert canceled.status == CANCELED
        assert (new.patient, new.start, new.confirmed) == (BOOKING.patient, later, False)
        assert new.signature != BOOKING.signature
        assert new.origin_booking_id == BOOKING.id
        assert isinstance(event, BookingMoved)
        assert (event.old_booking, event.new_booking) == (canceled, new)

    def test_payment_status_change_raises_from_and_to(self) -> None:
        """Only a visit paid online changes status; the event says from what to what."""
        change = rules.change_payment_status(BOOKING, "refunded", PatientActor(), NOW)
        same = rules.change_payment_status(change.value, "refunded", PatientActor(), NOW)

        assert change.value.visit_payment_status == "refunded"
        (event,) = change.events
        assert isinstance(event, BookingPaymentStatusChanged)
        assert (event.status_from, event.status_to) == ("paid", "refunded")
        assert same.events == ()


def _live() -> AddressService:
    return replace(SERVICE, deleted_at=None)


def _doctor() -> Doctor:
    return Doctor(2, "Anna", "Nowak", "pl", True, facility_ids=frozenset({1}))
