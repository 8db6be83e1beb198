"""`client.bookings`: the visits of an address (list, read, cancel, move, confirm,
presence).

Generated from `_resources/bookings.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from dpi._base import Id, address_path, given, join_with, parse_model, parse_none
from dpi._models import (
    Booking,
    BookingsPage,
    BookingsWith,
    BookingWith,
    ConfirmedBy,
    MoveBookingWith,
)
from dpi._resources_sync.base import Resource


class Bookings(Resource):
    """`client.bookings`: the visits of an address."""

    def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[BookingsWith | str] = (),
        page: int | None = None,
        limit: int | None = None,
    ) -> BookingsPage:
        """Bookings starting in `[start, end)` (getBookings). Without `page` all come in one
        answer; with it, `limit` (default 100) per page. See `iter_all` for every page."""
        return self._send(
            "getBookings",
            parse_model(BookingsPage),
            address_path(facility_id, doctor_id, address_id),
            params={
                "start": start,
                "end": end,
                "with": join_with(with_),
                "page": page,
                "limit": limit,
            },
        )

    def iter_all(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[BookingsWith | str] = (),
        page_size: int = 100,
    ) -> Iterator[Booking]:
        """Every booking of the range, page after page (`page_size` per request)."""
        extensions = builtins.list(with_)
        page = 1
        while True:
            batch = self.list(
                facility_id,
                doctor_id,
                address_id,
                start=start,
                end=end,
                with_=extensions,
                page=page,
                limit=page_size,
            )
            yield from batch.items
            if not batch.items or page >= (batch.pages or page):
                return
            page += 1

    def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        with_: Iterable[BookingWith | str] = (),
    ) -> Booking:
        """One booking, with its patient and service (getBooking)."""
        return self._send(
            "getBooking",
            parse_model(Booking),
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
            params={"with": join_with(with_)},
        )

    def cancel(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        reason: str | None = None,
    ) -> None:
        """Cancel a booking (cancelBooking); 400 when it is not booked any more."""
        self._send(
            "cancelBooking",
            parse_none,
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
            json=None if reason is None else {"reason": reason},
        )

    def move(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        start: datetime,
        address_service_id: Id,
        duration: int | None = None,
        to_address_id: Id | None = None,
        with_: Iterable[MoveBookingWith | str] = (),
        retry: bool | None = None,
        safe_retry: bool = False,
    ) -> Booking:
        """Move a booking (moveBooking): the old one is canceled and the answer is the new
        booking, with a new id. `to_address_id` names another address of the doctor (or of
        another doctor in the facility).

        A POST: not retried unless `retry=True`, or `safe_retry=True`, which after a lost
        answer first reads the booking's `moving` data and answers the booking it moved to.
        """
        body: dict[str, Any] = given(start=start, address_service_id=str(address_service_id))
        if duration is not None:
            body["duration"] = duration
        if to_address_id is not None:
            body["address_id"] = str(to_address_id)

        def made() -> Booking | None:
            old = self.get(
                facility_id, doctor_id, address_id, booking_id, with_=[BookingWith.MOVING]
            )
            newest = old.moving.newest_booking_id if old.moving else None
            if newest is None or newest == old.id:
                return None
            target = address_id if to_address_id is None else to_address_id
            return self.get(facility_id, doctor_id, target, newest)

        return self._send(
            "moveBooking",
            parse_model(Booking),
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
            params={"with": join_with(with_)},
            json=body,
            retry=retry,
            recover=made if safe_retry else None,
        )

    def confirm(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        confirmed_by: ConfirmedBy | str = ConfirmedBy.ADMIN,
    ) -> None:
        """Confirm a future booking (confirmBooking); 409 when already confirmed."""
        self._send(
            "confirmBooking",
            parse_none,
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
            json=given(confirmed_by=confirmed_by),
        )

    def mark_presence(self, facility_id: Id, doctor_id: Id, address_id: Id, booking_id: Id) -> None:
        """The patient came (markPatientPresence); 400 for a visit in the future."""
        self._send(
            "markPatientPresence",
            parse_none,
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
            retry=True,  # marking presence twice leaves the same state: safe to repeat
        )

    def mark_absence(self, facility_id: Id, doctor_id: Id, address_id: Id, booking_id: Id) -> None:
        """The patient did not come (markPatientAbsence)."""
        self._send(
            "markPatientAbsence",
            parse_none,
            address_path(facility_id, doctor_id, address_id, booking_id=booking_id),
        )
