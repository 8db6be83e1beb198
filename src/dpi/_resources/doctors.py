"""`client.doctors`: a facility's doctors, and opinion requests."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, join_with, parse_items, parse_model, parse_none
from dpi._models import Doctor, DoctorsWith, DoctorWith
from dpi._resources.base import AsyncResource


class AsyncDoctors(AsyncResource):
    """`client.doctors`: the commercial doctors of a facility."""

    async def list(
        self, facility_id: Id, *, with_: Iterable[DoctorsWith | str] = ()
    ) -> builtins.list[Doctor]:
        """The facility's doctors (getDoctors)."""
        return await self._send(
            "getDoctors",
            parse_items(Doctor),
            {"facility_id": facility_id},
            params={"with": join_with(with_)},
        )

    async def get(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[DoctorWith | str] = ()
    ) -> Doctor:
        """One doctor (getDoctor); `DoctorWith.ADDRESSES` embeds the addresses."""
        return await self._send(
            "getDoctor",
            parse_model(Doctor),
            {"facility_id": facility_id, "doctor_id": doctor_id},
            params={"with": join_with(with_)},
        )

    async def request_opinion(self, facility_id: Id, doctor_id: Id, *, phone: str) -> None:
        """Ask the patient of a past visit with this phone for a review (requestOpinion)."""
        await self._send(
            "requestOpinion",
            parse_none,
            {"facility_id": facility_id, "doctor_id": doctor_id},
            json={"phone": phone},
        )
