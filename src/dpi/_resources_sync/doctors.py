"""`client.doctors`: a facility's doctors, and opinion requests.

Generated from `_resources/doctors.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, join_with, parse_items, parse_model, parse_none
from dpi._models import Doctor, DoctorsWith, DoctorWith
from dpi._resources_sync.base import Resource


class Doctors(Resource):
    """`client.doctors`: the commercial doctors of a facility."""

    def list(
        self, facility_id: Id, *, with_: Iterable[DoctorsWith | str] = ()
    ) -> builtins.list[Doctor]:
        """The facility's doctors (getDoctors)."""
        return self._send(
            "getDoctors",
            parse_items(Doctor),
            {"facility_id": facility_id},
            params={"with": join_with(with_)},
        )

    def get(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[DoctorWith | str] = ()
    ) -> Doctor:
        """One doctor (getDoctor); `DoctorWith.ADDRESSES` embeds the addresses."""
        return self._send(
            "getDoctor",
            parse_model(Doctor),
            {"facility_id": facility_id, "doctor_id": doctor_id},
            params={"with": join_with(with_)},
        )

    def request_opinion(self, facility_id: Id, doctor_id: Id, *, phone: str) -> None:
        """Ask the patient of a past visit with this phone for a review (requestOpinion)."""
        self._send(
            "requestOpinion",
            parse_none,
            {"facility_id": facility_id, "doctor_id": doctor_id},
            json={"phone": phone},
        )
