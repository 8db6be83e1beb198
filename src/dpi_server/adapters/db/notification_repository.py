"""The delivery queue in SQL: pulls and push claims, attempt logs, delivery settings, slot holds.

Claims select their rows `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of API
processes and `dpi worker`s take disjoint rows without waiting on each other. SQLite renders
no lock clause; there the caller's write transaction (`BEGIN IMMEDIATE`) serialises claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import notification_tables as nt
from dpi_server.adapters.db import tables as t
from dpi_server.domain.notifications import (
    BURIED,
    DELIVERED,
    PENDING,
    PULL_EXPIRY,
    PULLED,
    PUSH,
    QUEUED,
    SENDING,
    DeliverySettings,
)
from dpi_server.services.notification_ports import (
    AttemptOutcome,
    AttemptRecord,
    ClaimedCopy,
    CopyRecord,
    PulledCopy,
)

d = nt.notification_deliveries
cd = nt.client_delivery
ev = t.domain_events


def _settings(row: RowMapping) -> DeliverySettings:
    return DeliverySettings(
        client_pk=int(row["client_pk"]),
        mode=row["mode"],
        push_url=row["push_url"],
        api_key_header=row["api_key_header"],
        api_key_value=row["api_key_value"],
        realtime_url=row["realtime_url"],
        events=frozenset(row["events"].split()),
        signing_secret=row["signing_secret"],
        last_release_at=row["last_release_at"],
        healthy=row["healthy"],
        health_failures=row["health_failures"],
    )


class SqlNotificationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- settings -----------------------------------------------------------------------------
    async def settings(self, client_pk: int) -> DeliverySettings:
        row = (
            (await self._conn.execute(select(cd).where(cd.c.client_pk == client_pk)))
            .mappings()
            .first()
        )
        return DeliverySettings(client_pk) if row is None else _settings(row)

    async def save_settings(self, settings: DeliverySettings) -> None:
        values = {
            "mode": settings.mode,
            "push_url": settings.push_url,
            "api_key_header": settings.api_key_header,
            "api_key_value": settings.api_key_value,
            "realtime_url": settings.realtime_url,
            "events": " ".join(sorted(settings.events)),
            "signing_secret": settings.signing_secret,
            "last_release_at": settings.last_release_at,
            "healthy": settings.healthy,
            "health_failures": settings.health_failures,
        }
        changed = await self._conn.execute(
            update(cd).where(cd.c.client_pk == settings.client_pk).values(**values)
        )
        if changed.rowcount == 0:
            await self._conn.execute(insert(cd).values(client_pk=settings.client_pk, **values))

    # --- pull ---------------------------------------------------------------------------------
    async def pull(self, client_pk: int, limit: int, now: datetime) -> list[PulledCopy]:
        oldest = (
            select(d.c.id)
            .where(
                and_(
                    d.c.client_pk == client_pk,
                    d.c.state == QUEUED,
                    d.c.created_at > now - PULL_EXPIRY,
                )
            )
            .order_by(d.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = await self._conn.execute(
            update(d)
            .where(d.c.id.in_(oldest.scalar_subquery()))
            .values(state=PULLED, delivered_at=now)
            .returning(d.c.id, d.c.event_id)
        )
        pairs = sorted((int(i), int(e)) for i, e in taken)
        bodies = await self._bodies([e for _, e in pairs])
        return [PulledCopy(i, bodies[e]) for i, e in pairs]

    async def queued_count(self, client_pk: int, now: datetime) -> int:
        found = await self._conn.execute(
            select(func.count()).where(
                and_(
                    d.c.client_pk == client_pk,
                    d.c.state == QUEUED,
                    d.c.created_at > now - PULL_EXPIRY,
                )
            )
        )
        return int(found.scalar_one())

    async def _bodies(self, event_ids: Sequence[int]) -> dict[int, str]:
        if not event_ids:
            return {}
        rows = await self._conn.execute(
            select(ev.c.id, ev.c.body).where(ev.c.id.in_(sorted(set(event_ids))))
        )
        return {int(i): str(b) for i, b in rows}

    # --- push ---------------------------------------------------------------------------------
    async def release_buried(self, client_pk: int, now: datetime) -> int:
        """Buried copies start a new schedule at once; the release time is remembered."""
        done = await self._conn.execute(
            update(d)
            .where(and_(d.c.client_pk == client_pk, d.c.state == BURIED))
            .values(state=PENDING, due_at=now, attempts=0, first_attempt_at=None, claim=None)
        )
        await self._conn.execute(
            update(cd).where(cd.c.client_pk == client_pk).values(last_release_at=now)
        )
        return int(done.rowcount)

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, claim: str
    ) -> list[ClaimedCopy]:
        due = (
            select(d.c.id)
            .where(and_(d.c.state.in_((PENDING, SENDING)), d.c.due_at <= now))
            .order_by(d.c.due_at, d.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = (
            await self._conn.execute(
                update(d)
                .where(d.c.id.in_(due.scalar_subquery()))
                .values(
                    state=SENDING,
                    claim=claim,
                    due_at=lease_until,
                    attempts=d.c.attempts + 1,
                    first_attempt_at=func.coalesce(d.c.first_attempt_at, now),
                )
                .returning(d.c.id, d.c.client_pk, d.c.attempts, d.c.first_attempt_at, d.c.event_id)
            )
        ).all()
        if not taken:
            return []
        bodies = await self._bodies([int(r[4]) for r in taken])
        clients = sorted({int(r[1]) for r in taken})
        rows = (await self._conn.execute(select(cd).where(cd.c.client_pk.in_(clients)))).mappings()
        settings = {int(r["client_pk"]): _settings(r) for r in rows}
        claimed = []
        for delivery_id, client_pk, attempts, first, event_id in sorted(taken):
            claimed.append(
                ClaimedCopy(
                    int(delivery_id),
                    int(client_pk),
                    int(attempts),
                    first or now,
                    bodies[int(event_id)],
                    settings.get(int(client_pk), DeliverySettings(int(client_pk))),
                )
            )
        return claimed

    async def next_due(self) -> datetime | None:
        found = await self._conn.execute(
            select(func.min(d.c.due_at)).where(d.c.state.in_((PENDING, SENDING)))
        )
        value: datetime | None = found.scalar_one()
        return value

    async def record_outcomes(self, claim: str, outcomes: Sequence[AttemptOutcome]) -> None:
        if not outcomes:
            return
        await self._conn.execute(
            insert(nt.notification_attempts),
            [
                {
                    "delivery_id": o.delivery_id,
                    "attempt": o.attempt,
                    "at": o.at,
                    "status_code": o.status_code,
                    "latency_ms": o.latency_ms,
                    "error": o.error,
                }
                for o in outcomes
            ],
        )
        # One statement per kind of outcome, executed for many rows at once: a claim's copies
        # come back in groups, and a statement per copy would cost more than the sends.
        mine = and_(d.c.id == bindparam("b_id"), d.c.claim == claim)
        delivered = [{"b_id": o.delivery_id, "b_at": o.at} for o in outcomes if o.delivered]
        retried = [
            {"b_id": o.delivery_id, "b_at": o.retry_at}
            for o in outcomes
            if not o.delivered and o.retry_at is not None
        ]
        buried = [
            {"b_id": o.delivery_id} for o in outcomes if not o.delivered and o.retry_at is None
        ]
        if delivered:
            await self._conn.execute(
                update(d)
                .where(mine)
                .values(state=DELIVERED, delivered_at=bindparam("b_at"), due_at=None, claim=None),
                delivered,
            )
        if retried:
            await self._conn.execute(
                update(d).where(mine).values(state=PENDING, due_at=bindparam("b_at"), claim=None),
                retried,
            )
        if buried:
            await self._conn.execute(
                update(d).where(mine).values(state=BURIED, due_at=None, claim=None), buried
            )

    async def expire_and_purge(self, expired_before: datetime, purge_before: datetime) -> int:
        """Unpulled copies past 72 h and every copy past 14 days are deleted, and with the
        latter the events (and rendered bodies) they came from."""
        await self._conn.execute(delete(ev).where(ev.c.occurred_at < purge_before))
        gone = await self._conn.execute(
            delete(d).where(
                or_(
                    d.c.created_at < purge_before,
                    and_(d.c.state == QUEUED, d.c.created_at < expired_before),
                )
            )
        )
        return int(gone.rowcount)

    async def claim_health_checks(self, now: datetime, next_at: datetime) -> list[DeliverySettings]:
        due = (
            select(cd.c.client_pk)
            .where(
                and_(
                    cd.c.mode == PUSH,
                    cd.c.push_url.is_not(None),
                    or_(cd.c.health_next_at.is_(None), cd.c.health_next_at <= now),
                )
            )
            .with_for_update(skip_locked=True)
        )
        ids = [int(r[0]) for r in await self._conn.execute(due)]
        if not ids:
            return []
        await self._conn.execute(
            update(cd).where(cd.c.client_pk.in_(ids)).values(health_next_at=next_at)
        )
        rows = (await self._conn.execute(select(cd).where(cd.c.client_pk.in_(ids)))).mappings()
        return [_settings(r) for r in rows]

    async def realtime_clients(self, facility_id: int) -> list[DeliverySettings]:
        cf, c = t.client_facilities, t.api_clients
        rows = (
            await self._conn.execute(
                select(cd)
                .join(cf, cf.c.client_pk == cd.c.client_pk)
                .join(c, c.c.id == cd.c.client_pk)
                .where(
                    and_(
                        cf.c.facility_id == facility_id,
                        cd.c.realtime_url.is_not(None),
                        c.c.is_active,
                        c.c.revoked_at.is_(None),
                    )
                )
                .order_by(cd.c.client_pk)
            )
        ).mappings()
        return [_settings(r) for r in rows]

    async def drop_copies_of_facility(self, client_pk: int, facility_id: int) -> int:
        gone = await self._conn.execute(
            delete(d).where(
                and_(
                    d.c.client_pk == client_pk,
                    d.c.facility_id == facility_id,
                    d.c.state.in_((QUEUED, PENDING, SENDING, BURIED)),
                )
            )
        )
        return int(gone.rowcount)

    # --- operators ----------------------------------------------------------------------------
    def _records(self) -> Any:
        return select(
            d.c.id,
            t.api_clients.c.client_id,
            ev.c.name,
            d.c.mode,
            d.c.state,
            d.c.attempts,
            d.c.created_at,
            d.c.due_at,
            d.c.delivered_at,
        ).select_from(
            d.join(t.api_clients, t.api_clients.c.id == d.c.client_pk).join(
                ev, ev.c.id == d.c.event_id
            )
        )

    async def list_copies(
        self, client_pk: int | None, state: str | None, limit: int
    ) -> list[CopyRecord]:
        query = self._records()
        if client_pk is not None:
            query = query.where(d.c.client_pk == client_pk)
        if state is not None:
            query = query.where(d.c.state == state)
        rows = await self._conn.execute(query.order_by(d.c.id.desc()).limit(limit))
        return [CopyRecord(*r) for r in rows]

    async def copy(self, delivery_id: int) -> tuple[CopyRecord, str, list[AttemptRecord]] | None:
        row = (await self._conn.execute(self._records().where(d.c.id == delivery_id))).first()
        if row is None:
            return None
        body = (
            await self._conn.execute(
                select(ev.c.body).join(d, d.c.event_id == ev.c.id).where(d.c.id == delivery_id)
            )
        ).scalar_one()
        a = nt.notification_attempts
        attempts = await self._conn.execute(
            select(a.c.attempt, a.c.at, a.c.status_code, a.c.latency_ms, a.c.error)
            .where(a.c.delivery_id == delivery_id)
            .order_by(a.c.id)
        )
        return CopyRecord(*row), str(body), [AttemptRecord(*x) for x in attempts]

    async def retry_copy(self, delivery_id: int, now: datetime) -> bool:
        done = await self._conn.execute(
            update(d)
            .where(and_(d.c.id == delivery_id, d.c.mode == PUSH, d.c.state != SENDING))
            .values(state=PENDING, due_at=now, attempts=0, first_attempt_at=None, claim=None)
        )
        return bool(done.rowcount)

    # --- real-time slot holds -----------------------------------------------------------------
    async def add_hold(
        self, token: str, address_id: int, start: datetime, end: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            insert(nt.slot_holds).values(
                token=token, address_id=address_id, start=start, end=end, expires_at=expires_at
            )
        )

    async def release_hold(self, token: str) -> None:
        await self._conn.execute(delete(nt.slot_holds).where(nt.slot_holds.c.token == token))

    async def purge_holds(self, now: datetime) -> int:
        gone = await self._conn.execute(
            delete(nt.slot_holds).where(nt.slot_holds.c.expires_at <= now)
        )
        return int(gone.rowcount)
