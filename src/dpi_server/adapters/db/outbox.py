"""Writes collected domain events, their notifications and one delivery row per recipient
client, in the transaction of the change that raised them (ARCHITECTURE.md "Concurrency").

Because the copies are written with the change, a notification can be neither lost (the
change committed, its copies did too) nor invented (the change rolled back, so did they).
Recipients are the clients whose estate holds the event's facility at this moment, except
the client whose own API call caused it (decisions.md "Notifications"), and only for the
events enabled for them (`domain/notifications.py`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import notification_tables as nt
from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.directory_repositories import (
    SqlAddressServiceRepository,
    SqlDirectoryRepository,
    SqlInsuranceRepository,
)
from dpi_server.domain.bookings import Booking
from dpi_server.domain.event_codec import encode_event
from dpi_server.domain.events import (
    BookingCanceled,
    BookingConfirmed,
    BookingMoved,
    BookingPaymentStatusChanged,
    Event,
    PresenceMarked,
    SlotBooked,
)
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.notification_payloads import Directory, render, to_body
from dpi_server.domain.notifications import PENDING, PULL, PUSH, QUEUED, DeliverySettings


def _recipients_of_facility() -> Select[Any]:
    """Usable clients whose estate holds the facility now, with their delivery settings."""
    cf, c, cd = t.client_facilities, t.api_clients, nt.client_delivery
    return (
        select(cf.c.client_pk, cd.c.mode, cd.c.push_url, cd.c.events)
        .join(c, c.c.id == cf.c.client_pk)
        .outerjoin(cd, cd.c.client_pk == cf.c.client_pk)
        .where(
            and_(
                cf.c.facility_id == bindparam("facility_id"),
                c.c.is_active,
                c.c.revoked_at.is_(None),
            )
        )
        .order_by(cf.c.client_pk)
    )


# Built once: every change that raises an event runs these (see the note on statement
# building in adapters/db/calendar_repositories.py).
_INSERT_EVENT = insert(t.domain_events).returning(t.domain_events.c.id)
_INSERT_COPIES = insert(nt.notification_deliveries)
_RECIPIENTS = _recipients_of_facility()


@dataclass(frozen=True, slots=True)
class _Recipient:
    client_pk: int
    settings: DeliverySettings


async def write_events(
    conn: AsyncConnection, events: Sequence[Event], known: Sequence[Directory] = ()
) -> None:
    """One `domain_events` row per event, in the order they were raised, each with its
    rendered notification, and the copies of every recipient. `known`: what the change's
    caller already read of its addresses (bookSlot's checked scope), not read again."""
    if not events:
        return
    reader = DirectoryReader(conn, known)
    recipients: dict[int, list[_Recipient]] = {}
    copies: list[dict[str, Any]] = []
    for event in events:
        directory = await reader.directory_for(event)
        body = None if directory is None else to_body(render(event, directory))
        result = await conn.execute(
            _INSERT_EVENT,
            {
                "name": event.NAME,
                "occurred_at": event.context.occurred_at,
                "facility_id": event.context.facility_id,
                "doctor_id": event.context.doctor_id,
                "address_id": event.context.address_id,
                "payload": json.dumps(encode_event(event), sort_keys=True),
                "origin_client_pk": event.context.origin.client_pk,
                "body": body,
            },
        )
        event_id = int(result.scalar_one())
        if body is None:
            continue
        facility_id = event.context.facility_id
        if facility_id not in recipients:
            recipients[facility_id] = await _recipients(conn, facility_id)
        copies.extend(_copies(event, event_id, recipients[facility_id]))
    if copies:
        await conn.execute(_INSERT_COPIES, copies)


def _copies(event: Event, event_id: int, recipients: list[_Recipient]) -> list[dict[str, Any]]:
    at = event.context.occurred_at
    origin = event.context.origin.client_pk
    rows = []
    for r in recipients:
        if r.client_pk == origin or not r.settings.receives(event.NAME):
            continue
        push = r.settings.is_push
        rows.append(
            {
                "event_id": event_id,
                "client_pk": r.client_pk,
                "facility_id": event.context.facility_id,
                "mode": PUSH if push else PULL,
                "state": PENDING if push else QUEUED,
                "attempts": 0,
                "due_at": at if push else None,
                "created_at": at,
            }
        )
    return rows


async def _recipients(conn: AsyncConnection, facility_id: int) -> list[_Recipient]:
    """Usable clients whose estate holds the facility now, with their delivery settings."""
    rows = await conn.execute(_RECIPIENTS, {"facility_id": facility_id})
    return [
        _Recipient(
            int(pk),
            DeliverySettings(
                int(pk),
                mode=mode or PULL,
                push_url=url,
                events=frozenset((events or "").split()),
            ),
        )
        for pk, mode, url, events in rows
    ]


class DirectoryReader:
    """What rendering needs beyond the snapshots, read once per transaction."""

    def __init__(self, conn: AsyncConnection, known: Sequence[Directory] = ()) -> None:
        self._directory = SqlDirectoryRepository(conn)
        self._services = SqlAddressServiceRepository(conn)
        self._insurance = SqlInsuranceRepository(conn)
        self._cache: dict[int, Directory | None] = {d.address.id: d for d in known}

    async def directory_for(self, event: Event) -> Directory | None:
        base = await self.at_address(event.address_id, event.context.facility_id)
        if base is None:
            return None
        bookings = _bookings_of(event)
        if not bookings:
            return base
        services = dict(base.address_services)
        insurers = dict(base.insurance_names)
        plans = dict(base.plan_names)
        for b in bookings:
            if b.address_service_id is not None and b.address_service_id not in services:
                found = await self._services.get(b.address_service_id)
                if found is not None:
                    services[found.id] = found
            if b.insurance_provider_id is not None and b.insurance_provider_id not in insurers:
                provider = await self._insurance.get_provider(b.insurance_provider_id)
                if provider is not None:
                    insurers[provider[0].id] = provider[0].name
                    for plan in await self._insurance.plans(provider[0].id):
                        plans[plan.id] = plan.name
        return Directory(
            base.facility, base.doctor, base.address, base.zone, services, insurers, plans
        )

    async def at_address(self, address_id: int, facility_id: int) -> Directory | None:
        if address_id in self._cache:
            return self._cache[address_id]
        found = None
        address = await self._directory.get_address(address_id)
        facility = await self._directory.get_facility(facility_id)
        if address is not None and facility is not None:
            doctor = await self._directory.get_doctor(address.doctor_id)
            if doctor is not None:
                found = Directory(facility, doctor, address, LOCALES[facility.locale].zone)
        self._cache[address_id] = found
        return found


def _bookings_of(event: Event) -> list[Booking]:
    if isinstance(event, BookingMoved):
        return [event.old_booking, event.new_booking]
    if isinstance(
        event,
        SlotBooked
        | BookingCanceled
        | BookingConfirmed
        | BookingPaymentStatusChanged
        | PresenceMarked,
    ):
        return [event.booking]
    return []
