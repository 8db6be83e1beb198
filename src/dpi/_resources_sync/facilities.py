"""`client.facilities`: the facilities (clinics) the API client may see.

Generated from `_resources/facilities.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, join_with, parse_items, parse_model
from dpi._models import Facility, FacilityWith
from dpi._resources_sync.base import Resource


class Facilities(Resource):
    """`client.facilities`: the facilities assigned to this API client."""

    def list(self) -> builtins.list[Facility]:
        """All facilities this client may see (getFacilities)."""
        return self._send("getFacilities", parse_items(Facility))

    def get(self, facility_id: Id, *, with_: Iterable[FacilityWith | str] = ()) -> Facility:
        """One facility (getFacility); `FacilityWith.DOCTORS` embeds its doctors."""
        return self._send(
            "getFacility",
            parse_model(Facility),
            {"facility_id": facility_id},
            params={"with": join_with(with_)},
        )
