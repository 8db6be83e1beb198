"""Writes collected domain events in the transaction of the change that raised them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t
from dpi_server.domain.event_codec import encode_event
from dpi_server.domain.events import Event


async def write_events(conn: AsyncConnection, events: Sequence[Event]) -> None:
    """One `domain_events` row per event, in the order they were raised."""
    if not events:
        return
    await conn.execute(
        insert(t.domain_events),
        [
            {
                "name": event.NAME,
                "occurred_at": event.context.occurred_at,
                "facility_id": event.context.facility_id,
                "doctor_id": event.context.doctor_id,
                "address_id": event.context.address_id,
                "payload": json.dumps(encode_event(event), sort_keys=True),
                "origin_client_pk": event.context.origin.client_pk,
            }
            for event in events
        ],
    )
