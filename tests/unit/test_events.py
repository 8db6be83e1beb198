"""Typed events and their one serializer (domain/events.py, domain/event_codec.py)."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from dpi_server.domain.actors import Origin
from dpi_server.domain.bookings import BOOKED, Booking, Patient
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import Address, AddressService
from dpi_server.domain.event_codec import EventDecodeError, decode_event, encode_event
from dpi_server.domain.events import EVENT_TYPES, Event, EventContext

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CONTEXT = EventContext(NOW, 1, 2, 3, Origin("integration", 7))
BOOKING = Booking(
    id=10,
    facility_id=1,
    doctor_id=2,
    address_id=3,
    address_service_id=4,
    start=datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
    duration=30,
    status=BOOKED,
    booked_by="user",
    booked_at=NOW,
    patient=Patient("Jan", "+48500500500", birth_date=date(1980, 2, 29), gender="m"),
    signature="5b1d2c50-8f8e-4d55-9f7e-0d3b8cfb7a11",
    insurance_provider_id=5,
    visit_payment=True,
    visit_payment_status="paid",
)
BREAK = CalendarBreak(8, 3, NOW, datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "Lunch", 8)
SERVICE = AddressService(
    4, 3, 6, "EKG", 15050, True, False, None, 20, True, 18, None, "Mine", False, deleted_at=NOW
)
ADDRESS = Address(
    3,
    1,
    2,
    "Clinic",
    "Kraków",
    "30-001",
    "ul. X 1",
    False,
    True,
    "saas-only",
    "private",
    False,
    True,
    False,
    payment_account="PL-1",
)
SNAPSHOTS: dict[str, object] = {
    "booking": BOOKING,
    "old_booking": BOOKING,
    "new_booking": BOOKING,
    "calendar_break": BREAK,
    "address_service": SERVICE,
    "address": ADDRESS,
    "status_from": None,
    "status_to": "refunded",
    "changed_at": NOW,
    "presence": "PRESENT",
}


def example(kind: type[Event]) -> Event:
    values = {f.name: SNAPSHOTS[f.name] for f in fields(kind) if f.name != "context"}
    return kind(context=CONTEXT, **values)


class TestEventTypes:
    def test_one_type_per_stored_notification(self) -> None:
        """The 15 stored names of behaviour.md §11.1 (the two real-time ones are not events)."""
        assert sorted(t.NAME for t in EVENT_TYPES) == sorted(
            [
                "slot-booked",
                "booking-canceled",
                "booking-moved",
                "booking-confirmed",
                "booking-payment-status-changed",
                "break-created",
                "break-moved",
                "break-removed",
                "presence-marked",
                "address-service-created",
                "address-service-changed",
                "address-service-deleted",
                "address-commercial-type-changed",
                "address-assigned",
                "address-unassigned",
            ]
        )


class TestCodec:
    @pytest.mark.parametrize("kind", EVENT_TYPES, ids=[t.NAME for t in EVENT_TYPES])
    def test_round_trip_through_json(self, kind: type[Event]) -> None:
        """Every type reads back equal after JSON, dates and sets included."""
        event = example(kind)

        stored = json.loads(json.dumps(encode_event(event)))

        assert stored["v"] == 1
        assert stored["name"] == kind.NAME
        assert decode_event(stored) == event

    def test_date_times_are_iso_8601_with_offset(self) -> None:
        """Stored date-times keep their offset, never a naive or `str()` spelling."""
        stored = encode_event(example(EVENT_TYPES[0]))

        assert stored["data"]["context"]["occurred_at"] == "2026-01-05T08:00:00+00:00"
        assert stored["data"]["booking"]["patient"]["birth_date"] == "1980-02-29"

    @pytest.mark.parametrize(
        "stored",
        [
            {"v": 2, "name": "slot-booked", "data": {}},
            {"v": 1, "name": "slot-changed", "data": {}},
            {"v": 1, "name": "slot-booked", "data": {"context": "x"}},
        ],
    )
    def test_refuses_what_it_cannot_read(self, stored: dict[str, object]) -> None:
        """Unknown versions, removed names and malformed data are errors, not guesses."""
        with pytest.raises(EventDecodeError):
            decode_event(stored)

    def test_refuses_naive_date_times(self) -> None:
        """A naive date-time would be read in some unknown zone later: refused at once."""
        naive = EventContext(datetime(2026, 1, 5, 8, 0), 1, 2, 3, Origin("doctor"))  # noqa: DTZ001
        event = type(example(EVENT_TYPES[0]))(context=naive, booking=BOOKING)  # type: ignore[call-arg]

        with pytest.raises(ValueError, match="aware"):
            encode_event(event)
