"""Drain the pull queue once: every notification, typed by its name (behaviour.md §11.2).

python examples/consume_notifications.py
"""

from __future__ import annotations

import _common

import dpi


def handle(notification: dpi.Notification) -> None:
    if isinstance(notification, dpi.SlotBookedNotification):
        visit = notification.data.visit_booking
        print("booked:", visit.start_at if visit else None)
    elif isinstance(notification, dpi.BookingCanceledNotification):
        print("canceled")
    elif isinstance(notification, dpi.UnknownNotification):
        print("an event type this SDK does not know:", notification.name, notification.data)
    else:
        print(notification.name, notification.created_at)


def main() -> None:
    with dpi.Client.from_credentials_file(_common.credentials()) as client:
        try:
            handled = client.notifications.consume(handle, limit=100, stop_when_empty=True)
        except dpi.NotFound as error:
            # A server without notification routes answers `Object not found`.
            print("this server has no notification queue:", error.message)
            return
        print(f"{handled} notifications handled; the queue is empty")


if __name__ == "__main__":
    main()
