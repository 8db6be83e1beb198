"""Publish tomorrow's availability as one work period and read the free slots back
(behaviour.md §8.2-8.3).

    python examples/publish_availability.py
"""

from __future__ import annotations

import contextlib

import _common

import dpi


def main() -> None:
    with dpi.Client.from_credentials_file(_common.credentials()) as client:
        calendar = _common.find_calendar(client)
        with contextlib.suppress(dpi.Conflict):  # 409: already enabled
            client.calendars.enable(*calendar.ids)
        start, end = _common.tomorrow_at(9), _common.tomorrow_at(12)
        client.slots.replace(
            *calendar.ids,
            [
                dpi.WorkPeriod(
                    start=start,
                    end=end,
                    address_services=[
                        dpi.PeriodService(
                            address_service_id=calendar.address_service_id, duration=30
                        )
                    ],
                )
            ],
        )
        slots = client.slots.list(
            *calendar.ids, start=start, end=end, with_=[dpi.SlotsWith.SERVICES]
        )
        for slot in slots:
            names = [s.name for s in slot.address_services or []]
            print(slot.start.isoformat(), names)
        print(f"{len(slots)} free slots tomorrow between 09:00 and 12:00")


if __name__ == "__main__":
    main()
