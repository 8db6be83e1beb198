"""The unpaid auto-cancel (behaviour.md §9 "Payments", decisions.md "Bookings"): a visit paid
online that is still unpaid 90 minutes after booking is canceled, raising `booking-canceled`
as any cancel does.

No due rows: the scan is a query by `booked_at` on a partial index that holds only booked
visits paid online, so it stays cheap. Exactly once across processes: each cancel locks the
visit's address and reads the visit again in its own transaction (as cancelBooking does), so
whoever comes second finds it canceled, or paid, and leaves it.

`canceled_by` is `user` (docs/decisions.md "Sandbox clock and due work"): the visit lapses
because the patient did not pay, and the spec's vocabulary has no value for the system.
"""

from __future__ import annotations

from datetime import datetime

from dpi_server.domain import booking_rules as rules
from dpi_server.domain.actors import PatientActor
from dpi_server.domain.bookings import UNPAID_GRACE
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.transactions import retrying

REASON = "Not paid within 90 minutes"
BATCH = 100


class AutoCancelService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._actor = PatientActor()

    async def next_due(self) -> datetime | None:
        async with self._uow() as uow:
            oldest = await uow.bookings.oldest_unpaid_booked_at()
        return None if oldest is None else oldest + UNPAID_GRACE

    async def run_due(self) -> int:
        """Cancel every visit whose 90 minutes are up; how many were canceled here."""
        canceled = 0
        while True:
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.bookings.unpaid_booked_before(now - UNPAID_GRACE, BATCH)
            done = 0
            for booking in due:
                done += await retrying(
                    lambda b=booking.id, a=booking.address_id: self._cancel(b, a)  # type: ignore[misc]
                )
            canceled += done
            if len(due) < BATCH or done == 0:
                return canceled

    async def _cancel(self, booking_id: int, address_id: int) -> int:
        async with self._uow(write=True) as uow:
            await uow.calendar.lock_address(address_id)
            booking = await uow.bookings.get(booking_id)
            now = self._clock.now()
            if (
                booking is None
                or not booking.awaits_payment()
                or booking.booked_at + UNPAID_GRACE > now
            ):
                return 0  # another process was first, or the visit was paid meanwhile
            change = rules.cancel(booking, self._actor, now, REASON)
            await uow.bookings.save(change.value)
            uow.collect(change.events)
            await uow.commit()
        return 1
