"""Ports of the notification use cases: the delivery queue in storage, and the outbound HTTP
sender (push, real-time gate, health checks). Adapters implement them
(`adapters/db/notification_repository.py`, `adapters/webhooks.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dpi_server.domain.notifications import DeliverySettings


@dataclass(frozen=True, slots=True)
class PulledCopy:
    delivery_id: int
    body: str


@dataclass(frozen=True, slots=True)
class ClaimedCopy:
    """A push copy claimed for one attempt (`attempts` already counts it)."""

    delivery_id: int
    client_pk: int
    attempts: int
    first_attempt_at: datetime
    body: str
    settings: DeliverySettings


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one attempt gave and what becomes of the copy: delivered, retried at `retry_at`
    or buried (neither)."""

    delivery_id: int
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    delivered: bool
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class CopyRecord:
    """One copy as operators see it (`dpi notifications list|show`)."""

    delivery_id: int
    client_id: str
    name: str
    mode: str
    state: str
    attempts: int
    created_at: datetime
    due_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An outbound call's result: a status, or an error and no status (timeout, refused)."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    body: bytes = b""
    content_type: str = ""


class NotificationRepository(Protocol):
    """The delivery queue. Claims never hand one row to two callers: `SKIP LOCKED` on
    PostgreSQL; on SQLite the caller's write transaction already serialises them."""

    async def settings(self, client_pk: int) -> DeliverySettings: ...
    async def save_settings(self, settings: DeliverySettings) -> None: ...
    async def pull(self, client_pk: int, limit: int, now: datetime) -> list[PulledCopy]:
        """Mark the oldest unexpired queued copies pulled and return them, oldest first."""
        ...

    async def queued_count(self, client_pk: int, now: datetime) -> int: ...
    async def release_buried(self, client_pk: int, now: datetime) -> int: ...
    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, claim: str
    ) -> list[ClaimedCopy]:
        """Push copies whose attempt is due (or whose previous claim's lease ran out)."""
        ...

    async def next_due(self) -> datetime | None:
        """The earliest due time among push copies waiting or claimed."""
        ...

    async def record_outcomes(self, claim: str, outcomes: Sequence[AttemptOutcome]) -> None:
        """Log each attempt and move its copy on, unless another claim took it meanwhile."""
        ...

    async def expire_and_purge(self, expired_before: datetime, purge_before: datetime) -> int: ...
    async def claim_health_checks(
        self, now: datetime, next_at: datetime
    ) -> list[DeliverySettings]: ...
    async def realtime_clients(self, facility_id: int) -> list[DeliverySettings]:
        """Usable clients holding the facility that asked for real-time calls."""
        ...

    async def drop_copies_of_facility(self, client_pk: int, facility_id: int) -> int: ...
    async def list_copies(
        self, client_pk: int | None, state: str | None, limit: int
    ) -> list[CopyRecord]: ...
    async def copy(
        self, delivery_id: int
    ) -> tuple[CopyRecord, str, list[AttemptRecord]] | None: ...

    async def retry_copy(self, delivery_id: int, now: datetime) -> bool: ...
    async def add_hold(
        self, token: str, address_id: int, start: datetime, end: datetime, expires_at: datetime
    ) -> None: ...
    async def release_hold(self, token: str) -> None: ...
    async def purge_holds(self, now: datetime) -> int: ...


class WebhookSender(Protocol):
    """Outbound HTTP through one shared client with bounded concurrency."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], within: float
    ) -> HttpAnswer: ...
    async def get(self, url: str, headers: Mapping[str, str], within: float) -> HttpAnswer: ...
