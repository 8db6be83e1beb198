"""`client.breaks`: time blocked in an address's calendar."""

from __future__ import annotations

import builtins
from datetime import datetime

from dpi._base import Id, address_path, given, parse_items, parse_model, parse_none
from dpi._models import CalendarBreak
from dpi._resources.base import AsyncResource


class AsyncBreaks(AsyncResource):
    """`client.breaks`: time blocked in an address's calendar."""

    async def list(
        self, facility_id: Id, doctor_id: Id, address_id: Id, *, since: datetime, till: datetime
    ) -> builtins.list[CalendarBreak]:
        """The breaks between `since` and `till` (getCalendarBreaks)."""
        return await self._send(
            "getCalendarBreaks",
            parse_items(CalendarBreak),
            address_path(facility_id, doctor_id, address_id),
            params={"since": since, "till": till},
        )

    async def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        since: datetime,
        till: datetime,
        description: str | None = None,
        apply_on_coupled_addresses: bool = False,
    ) -> CalendarBreak:
        """Block `[since, till)` (addCalendarBreak); with `apply_on_coupled_addresses` the
        doctor's coupled (online/offline) addresses get the same break."""
        body = given(since=since, till=till, apply_on_coupled_addresses=apply_on_coupled_addresses)
        if description is not None:
            body["description"] = description
        return await self._send(
            "addCalendarBreak",
            parse_model(CalendarBreak),
            address_path(facility_id, doctor_id, address_id),
            json=body,
        )

    async def get(
        self, facility_id: Id, doctor_id: Id, address_id: Id, break_id: Id
    ) -> CalendarBreak:
        """One break (getCalendarBreak); 404 `Invalid break ID` for another address's."""
        return await self._send(
            "getCalendarBreak",
            parse_model(CalendarBreak),
            address_path(facility_id, doctor_id, address_id, break_id=break_id),
        )

    async def move(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        break_id: Id,
        *,
        since: datetime,
        till: datetime,
    ) -> None:
        """Give a break new dates (moveCalendarBreak)."""
        await self._send(
            "moveCalendarBreak",
            parse_none,
            address_path(facility_id, doctor_id, address_id, break_id=break_id),
            json=given(since=since, till=till),
        )

    async def delete(self, facility_id: Id, doctor_id: Id, address_id: Id, break_id: Id) -> None:
        """Delete a break (deleteCalendarBreak)."""
        await self._send(
            "deleteCalendarBreak",
            parse_none,
            address_path(facility_id, doctor_id, address_id, break_id=break_id),
        )
