"""Book the first free slot of tomorrow, move the visit, read it, cancel it
(behaviour.md §8.5-8.6). Run publish_availability.py first.

    python examples/book_move_cancel.py
"""

from __future__ import annotations

import _common

import dpi


def main() -> None:
    with dpi.Client.from_credentials_file(_common.credentials()) as client:
        calendar = _common.find_calendar(client)
        free = client.slots.list(
            *calendar.ids, start=_common.tomorrow_at(0), end=_common.tomorrow_at(23)
        )
        if len(free) < 2:
            raise SystemExit("not enough free slots: run publish_availability.py first")
        booking = client.slots.book(
            *calendar.ids,
            free[0].start,
            address_service_id=calendar.address_service_id,
            duration=30,
            patient=dpi.Patient(name="Jan", surname="Kowalski", phone="+48500500500"),
            comment="Booked by the dpi SDK example",
        )
        print(f"booked {booking.id} at {booking.start_at}")
        try:
            moved = client.bookings.move(
                *calendar.ids,
                booking.id,
                start=free[-1].start,
                address_service_id=calendar.address_service_id,
                duration=30,
            )
        except dpi.NotFound as error:  # the target was taken meanwhile
            print("could not move:", error.message)
            moved = booking
        print(f"moved to {moved.start_at}: new id {moved.id}")
        read = client.bookings.get(*calendar.ids, moved.id, with_=[dpi.BookingWith.MOVING])
        print("patient:", read.patient.name if read.patient else None, "moving:", read.moving)
        client.bookings.cancel(*calendar.ids, moved.id, reason="Example finished")
        print("canceled")


if __name__ == "__main__":
    main()
