"""`client.services` (the dictionary) and `client.address_services` (an address's).

Generated from `_resources/services.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime

from dpi._base import (
    NOT_GIVEN,
    Id,
    NotGiven,
    address_path,
    given,
    join_with,
    parse_items,
    parse_model,
    parse_none,
)
from dpi._models import AddressService, AddressServiceWith, AllowedPatients, Service, ServicesWith
from dpi._resources_sync.base import Resource


class Services(Resource):
    """`client.services`: the dictionary of services."""

    def list(
        self, *, with_: Iterable[ServicesWith | str] = (), specialization_id: Id | None = None
    ) -> builtins.list[Service]:
        """Dictionary services, optionally of one specialization (getServices)."""
        return self._send(
            "getServices",
            parse_items(Service),
            params={"with": join_with(with_), "specialization_id": specialization_id},
        )


class AddressServices(Resource):
    """`client.address_services`: the services offered at one address."""

    def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime | None = None,
        with_: Iterable[AddressServiceWith | str] = (),
    ) -> builtins.list[AddressService]:
        """The address's services (getAddressServices); `start` keeps those of that slot."""
        return self._send(
            "getAddressServices",
            parse_items(AddressService),
            address_path(facility_id, doctor_id, address_id),
            params={"start": start, "with": join_with(with_)},
        )

    def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        service_id: Id,
        price: float | NotGiven | None = NOT_GIVEN,
        is_price_from: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        is_visible: bool | NotGiven = NOT_GIVEN,
        default_duration: int | NotGiven | None = NOT_GIVEN,
        allowed_patients: AllowedPatients | Mapping[str, int | None] | NotGiven | None = NOT_GIVEN,
        custom_name: str | NotGiven | None = NOT_GIVEN,
    ) -> AddressService:
        """Offer a dictionary service at the address (addAddressService)."""
        return self._send(
            "addAddressService",
            parse_model(AddressService),
            address_path(facility_id, doctor_id, address_id),
            json=given(
                service_id=str(service_id),
                price=price,
                is_price_from=is_price_from,
                description=description,
                is_visible=is_visible,
                default_duration=default_duration,
                allowed_patients=allowed_patients,
                custom_name=custom_name,
            ),
        )

    def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        address_service_id: Id,
        *,
        with_: Iterable[AddressServiceWith | str] = (),
    ) -> AddressService:
        """One address service (getAddressService)."""
        return self._send(
            "getAddressService",
            parse_model(AddressService),
            address_path(facility_id, doctor_id, address_id, address_service_id=address_service_id),
            params={"with": join_with(with_)},
        )

    def update(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        address_service_id: Id,
        *,
        price: float | NotGiven | None = NOT_GIVEN,
        is_price_from: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        is_visible: bool | NotGiven = NOT_GIVEN,
        default_duration: int | NotGiven | None = NOT_GIVEN,
        allowed_patients: AllowedPatients | Mapping[str, int | None] | NotGiven | None = NOT_GIVEN,
        custom_name: str | NotGiven | None = NOT_GIVEN,
    ) -> AddressService:
        """Change some fields of an address service (updateAddressService). Only the
        arguments given are sent; `None` sends null (`price=None` clears the price)."""
        return self._send(
            "updateAddressService",
            parse_model(AddressService),
            address_path(facility_id, doctor_id, address_id, address_service_id=address_service_id),
            json=given(
                price=price,
                is_price_from=is_price_from,
                description=description,
                is_visible=is_visible,
                default_duration=default_duration,
                allowed_patients=allowed_patients,
                custom_name=custom_name,
            ),
        )

    def delete(
        self, facility_id: Id, doctor_id: Id, address_id: Id, address_service_id: Id
    ) -> None:
        """Stop offering the service at the address (deleteAddressService)."""
        self._send(
            "deleteAddressService",
            parse_none,
            address_path(facility_id, doctor_id, address_id, address_service_id=address_service_id),
        )
