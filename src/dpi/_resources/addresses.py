"""`client.addresses`: a doctor's addresses in a facility."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from dpi._base import Id, address_path, given, join_with, parse_items, parse_model, parse_none
from dpi._models import Address, AddressWith, InsuranceSupport
from dpi._resources.base import AsyncResource


class AsyncAddresses(AsyncResource):
    """`client.addresses`: a doctor's addresses in a facility."""

    async def list(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[AddressWith | str] = ()
    ) -> builtins.list[Address]:
        """The doctor's addresses in the facility (getAddresses)."""
        return await self._send(
            "getAddresses",
            parse_items(Address),
            {"facility_id": facility_id, "doctor_id": doctor_id},
            params={"with": join_with(with_)},
        )

    async def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """One address (getAddress)."""
        return await self._send(
            "getAddress",
            parse_model(Address),
            address_path(facility_id, doctor_id, address_id),
            params={"with": join_with(with_)},
        )

    async def update(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        insurance_support: InsuranceSupport | str,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """Change what the address accepts (updateAddress); answers the updated address."""
        return await self._send(
            "updateAddress",
            parse_model(Address),
            address_path(facility_id, doctor_id, address_id),
            params={"with": join_with(with_)},
            json=given(insurance_support=insurance_support),
        )

    async def remove_integration(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Remove the address from the integration (removeAddressIntegration; a feature of
        DocplannerPMS clients only, 403 for others)."""
        await self._send(
            "removeAddressIntegration", parse_none, address_path(facility_id, doctor_id, address_id)
        )
