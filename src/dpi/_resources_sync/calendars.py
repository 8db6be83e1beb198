"""`client.calendars`: an address's calendar (status, enable, disable).

Generated from `_resources/calendars.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

from dpi._base import Id, address_path, parse_model, parse_none
from dpi._models import Calendar
from dpi._resources_sync.base import Resource


class Calendars(Resource):
    """`client.calendars`: an address's calendar."""

    def get(self, facility_id: Id, doctor_id: Id, address_id: Id) -> Calendar:
        """The calendar's status (getCalendar); 404 `Calendar does not exist` without one."""
        return self._send(
            "getCalendar", parse_model(Calendar), address_path(facility_id, doctor_id, address_id)
        )

    def enable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Enable the calendar (enableCalendar); 409 when it already is."""
        self._send("enableCalendar", parse_none, address_path(facility_id, doctor_id, address_id))

    def disable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Disable the calendar (disableCalendar); 409 when it already is."""
        self._send("disableCalendar", parse_none, address_path(facility_id, doctor_id, address_id))
