"""`client.calendars`: an address's calendar (status, enable, disable)."""

from __future__ import annotations

from dpi._base import Id, address_path, parse_model, parse_none
from dpi._models import Calendar
from dpi._resources.base import AsyncResource


class AsyncCalendars(AsyncResource):
    """`client.calendars`: an address's calendar."""

    async def get(self, facility_id: Id, doctor_id: Id, address_id: Id) -> Calendar:
        """The calendar's status (getCalendar); 404 `Calendar does not exist` without one."""
        return await self._send(
            "getCalendar", parse_model(Calendar), address_path(facility_id, doctor_id, address_id)
        )

    async def enable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Enable the calendar (enableCalendar); 409 when it already is."""
        await self._send(
            "enableCalendar", parse_none, address_path(facility_id, doctor_id, address_id)
        )

    async def disable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Disable the calendar (disableCalendar); 409 when it already is."""
        await self._send(
            "disableCalendar", parse_none, address_path(facility_id, doctor_id, address_id)
        )
