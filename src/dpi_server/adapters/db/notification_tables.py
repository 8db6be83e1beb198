"""The notification tables: delivery settings, one row per copy, the attempt log and the
real-time gate's slot holds (docs/decisions.md "Notifications (implementation)").

They live on `tables.metadata` like every other table; the package's `__init__` imports this
module, so the metadata is complete whichever module of the package is imported first.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from dpi_server.adapters.db.tables import Id, UTCDateTime, metadata

client_delivery = Table(
    "client_delivery",
    metadata,
    Column("client_pk", Id, ForeignKey("api_clients.id", ondelete="CASCADE"), primary_key=True),
    # "pull" (a FIFO queue the client reads) or "push" (POSTed to push_url).
    Column("mode", String(8), nullable=False, default="pull"),
    Column("push_url", Text, nullable=True),
    Column("api_key_header", String(100), nullable=True),
    Column("api_key_value", Text, nullable=True),
    Column("realtime_url", Text, nullable=True),
    # Space-separated names of the optional (opt-in) events this client receives.
    Column("events", Text, nullable=False, default=""),
    # Standard Webhooks key (base64); kept in the clear because signing needs the key itself.
    Column("signing_secret", Text, nullable=True),
    Column("last_release_at", UTCDateTime, nullable=True),
    Column("health_next_at", UTCDateTime, nullable=True),
    Column("health_failures", Integer, nullable=False, default=0),
    Column("healthy", Boolean, nullable=True),
    Index("ix_client_delivery_health_next_at", "health_next_at"),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", Id, ForeignKey("domain_events.id", ondelete="CASCADE"), nullable=False),
    Column("client_pk", Id, ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False),
    Column("facility_id", Id, nullable=False),
    Column("mode", String(4), nullable=False),
    # pull: queued -> pulled; push: pending -> sending -> delivered | pending (retry) | buried.
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    # pending: when the next attempt is due; sending: when the claim's lease runs out.
    Column("due_at", UTCDateTime, nullable=True),
    Column("first_attempt_at", UTCDateTime, nullable=True),
    Column("claim", String(32), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Index("ix_notification_deliveries_client_state", "client_pk", "state", "id"),
    Index("ix_notification_deliveries_state_due", "state", "due_at"),
    Index("ix_notification_deliveries_created_at", "created_at"),
    Index("ix_notification_deliveries_event_id", "event_id"),
)

notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Id,
        ForeignKey("notification_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_notification_attempts_delivery_id", "delivery_id"),
)

slot_holds = Table(
    "slot_holds",
    metadata,
    # A slot kept for a patient while a real-time client is asked (behaviour.md §12).
    Column("token", String(36), primary_key=True),
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_slot_holds_address_start", "address_id", "start"),
)
