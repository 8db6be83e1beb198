"""`client.facilities`: the facilities (clinics) the API client may see."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, join_with, parse_items, parse_model
from dpi._models import Facility, FacilityWith
from dpi._resources.base import AsyncResource


class AsyncFacilities(AsyncResource):
    """`client.facilities`: the facilities assigned to this API client."""

    async def list(self) -> builtins.list[Facility]:
        """All facilities this client may see (getFacilities)."""
        return await self._send("getFacilities", parse_items(Facility))

    async def get(self, facility_id: Id, *, with_: Iterable[FacilityWith | str] = ()) -> Facility:
        """One facility (getFacility); `FacilityWith.DOCTORS` embeds its doctors."""
        return await self._send(
            "getFacility",
            parse_model(Facility),
            {"facility_id": facility_id},
            params={"with": join_with(with_)},
        )
