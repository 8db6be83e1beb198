"""What every example needs: a client of the seeded server and one bookable address.

The examples run against `scripts/run` (or `dpi serve`): they read the
`demo-credentials.json` it writes, from `$DPI_CREDENTIALS` or `.dpi/demo-credentials.json`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dpi

WARSAW = ZoneInfo("Europe/Warsaw")  # the seeded estate is in Poland


def credentials() -> Path:
    """The credentials file `dpi serve` wrote."""
    return Path(os.environ.get("DPI_CREDENTIALS", ".dpi/demo-credentials.json"))


@dataclass(frozen=True)
class Calendar:
    """A premium, offline address of a commercial doctor, and one of its services."""

    facility_id: str
    doctor_id: str
    address_id: str
    address_service_id: str

    @property
    def ids(self) -> tuple[str, str, str]:
        return (self.facility_id, self.doctor_id, self.address_id)


def find_calendar(client: dpi.Client) -> Calendar:
    """Walk facilities → doctors → addresses to the first address that can take bookings."""
    for facility in client.facilities.list():
        for doctor in client.doctors.list(facility.id):
            addresses = client.addresses.list(
                facility.id,
                doctor.id,
                with_=[dpi.AddressWith.COMMERCIAL_TYPE, dpi.AddressWith.ONLINE_ONLY],
            )
            for address in addresses:
                if address.commercial_type == "premium" and not address.is_online_only:
                    services = client.address_services.list(facility.id, doctor.id, address.id)
                    if services:
                        return Calendar(facility.id, doctor.id, address.id, services[0].id)
    raise SystemExit("no bookable address in this estate")


def tomorrow_at(hour: int) -> datetime:
    """Tomorrow at `hour`, Warsaw time (an aware datetime, as the API requires)."""
    day = datetime.now(WARSAW).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=WARSAW)
