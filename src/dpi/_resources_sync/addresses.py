"""`client.addresses`: a doctor's addresses in a facility.

Generated from `_resources/addresses.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, address_path, given, join_with, parse_items, parse_model, parse_none
from dpi._models import Address, AddressWith, InsuranceSupport
from dpi._resources_sync.base import Resource


class Addresses(Resource):
    """`client.addresses`: a doctor's addresses in a facility."""

    def list(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[AddressWith | str] = ()
    ) -> builtins.list[Address]:
        """The doctor's addresses in the facility (getAddresses)."""
        return self._send(
            "getAddresses",
            parse_items(Address),
            {"facility_id": facility_id, "doctor_id": doctor_id},
            params={"with": join_with(with_)},
        )

    def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """One address (getAddress)."""
        return self._send(
            "getAddress",
            parse_model(Address),
            address_path(facility_id, doctor_id, address_id),
            params={"with": join_with(with_)},
        )

    def update(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        insurance_support: InsuranceSupport | str,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """Change what the address accepts (updateAddress); answers the updated address."""
        return self._send(
            "updateAddress",
            parse_model(Address),
            address_path(facility_id, doctor_id, address_id),
            params={"with": join_with(with_)},
            json=given(insurance_support=insurance_support),
        )

    def remove_integration(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Remove the address from the integration (removeAddressIntegration; a feature of
        DocplannerPMS clients only, 403 for others)."""
        self._send(
            "removeAddressIntegration", parse_none, address_path(facility_id, doctor_id, address_id)
        )
