"""The relational schema (SQLAlchemy Core). Alembic migrations are the source of truth on disk;
this metadata mirrors them and is checked against them in the test suite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

# Deterministic constraint names so migrations are stable across dialects.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, aware UTC out, whatever the dialect stores.

    SQLite keeps no zone, so values come back naive; they are always UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


# BigInteger ids on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _pk() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


api_clients = Table(
    "api_clients",
    metadata,
    _pk(),
    Column("client_id", String(80), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("locale", String(2), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("rate_limit_enabled", Boolean, nullable=False, default=True),
    Column("read_limit", Integer, nullable=False, default=8000),
    Column("read_window_seconds", Integer, nullable=False, default=3600),
    Column("write_limit", Integer, nullable=False, default=40),
    Column("write_window_seconds", Integer, nullable=False, default=60),
    # Space-separated feature flags, e.g. "remove_address_integration".
    Column("features", Text, nullable=False, default=""),
    # "sandbox" or "production" (domain/environments.py; migration 0009).
    Column("environment", String(10), nullable=False, default="sandbox", server_default="sandbox"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("client_pk", Id, ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_access_tokens_expires_at", "expires_at"),
)

facilities = Table(
    "facilities",
    metadata,
    _pk(),
    Column("locale", String(2), nullable=False),
    Column("name", String(255), nullable=False),
)

client_facilities = Table(
    "client_facilities",
    metadata,
    Column("client_pk", Id, ForeignKey("api_clients.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", Id, ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
    Column("can_edit_calendar", Boolean, nullable=False, default=True),
    Index("ix_client_facilities_facility_id", "facility_id"),
)

specializations = Table(
    "specializations",
    metadata,
    _pk(),
    Column("locale", String(2), nullable=False),
    Column("name", String(255), nullable=False),
)

doctors = Table(
    "doctors",
    metadata,
    _pk(),
    Column("locale", String(2), nullable=False),
    Column("name", String(120), nullable=False),
    Column("surname", String(120), nullable=False),
    Column("is_commercial", Boolean, nullable=False, default=True),
    Column("profile_url", String(500), nullable=True),
)

doctor_specializations = Table(
    "doctor_specializations",
    metadata,
    Column("doctor_id", Id, ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "specialization_id",
        Id,
        ForeignKey("specializations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

license_numbers = Table(
    "license_numbers",
    metadata,
    _pk(),
    Column("doctor_id", Id, ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    Column("license_number", String(64), nullable=False),
    Index("ix_license_numbers_doctor_id", "doctor_id"),
)

doctor_facilities = Table(
    "doctor_facilities",
    metadata,
    Column("doctor_id", Id, ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", Id, ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_doctor_facilities_facility_id", "facility_id"),
)

addresses = Table(
    "addresses",
    metadata,
    _pk(),
    Column("facility_id", Id, ForeignKey("facilities.id", ondelete="CASCADE"), nullable=False),
    Column("doctor_id", Id, ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=True),
    Column("city_name", String(120), nullable=True),
    Column("post_code", String(20), nullable=True),
    Column("street", String(255), nullable=True),
    Column("is_online_only", Boolean, nullable=False, default=False),
    Column("visit_payment", Boolean, nullable=False, default=False),
    Column("commercial_type", String(16), nullable=False, default="premium"),
    Column("insurance_support", String(32), nullable=False, default="private"),
    Column("extra_field_gender", Boolean, nullable=False, default=False),
    Column("extra_field_nin", Boolean, nullable=False, default=False),
    Column("extra_field_birth_date", Boolean, nullable=False, default=False),
    Column("is_enabled", Boolean, nullable=False, default=True),
    Column("payment_account", String(64), nullable=True),
    Column("integration_removed_at", UTCDateTime, nullable=True),
    Index("ix_addresses_facility_doctor", "facility_id", "doctor_id"),
)

services = Table(
    "services",
    metadata,
    _pk(),
    Column("locale", String(2), nullable=False),
    Column("name", String(255), nullable=False),
    Column("is_diagnostic", Boolean, nullable=False, default=False),
    Index("ix_services_locale", "locale"),
)

service_specializations = Table(
    "service_specializations",
    metadata,
    Column("service_id", Id, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "specialization_id",
        Id,
        ForeignKey("specializations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

address_services = Table(
    "address_services",
    metadata,
    _pk(),
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), nullable=False),
    Column("service_id", Id, ForeignKey("services.id"), nullable=True),
    Column("name", String(255), nullable=False),
    # Hundredths of the currency unit; the wire shows the integer part only.
    Column("price_cents", BigInteger, nullable=True),
    Column("is_price_from", Boolean, nullable=False, default=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=True),
    Column("default_duration", Integer, nullable=True),
    Column("is_visible", Boolean, nullable=False, default=True),
    Column("min_age", Integer, nullable=True),
    Column("max_age", Integer, nullable=True),
    Column("custom_name", String(255), nullable=True),
    Column("is_public_insurance_flow", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Soft delete: a deleted id is never reused and never comes back.
    Column("deleted_at", UTCDateTime, nullable=True),
    Index("ix_address_services_address_id", "address_id"),
    # One active copy of a dictionary service per address, whatever races in the app.
    Index(
        "uq_address_services_active_service",
        "address_id",
        "service_id",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

insurance_providers = Table(
    "insurance_providers",
    metadata,
    _pk(),
    Column("locale", String(2), nullable=False),
    Column("name", String(255), nullable=False),
)

insurance_plans = Table(
    "insurance_plans",
    metadata,
    _pk(),
    Column(
        "provider_id",
        Id,
        ForeignKey("insurance_providers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(255), nullable=False),
    Index("ix_insurance_plans_provider_id", "provider_id"),
)

address_insurance_providers = Table(
    "address_insurance_providers",
    metadata,
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "provider_id",
        Id,
        ForeignKey("insurance_providers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

address_insurance_plans = Table(
    "address_insurance_plans",
    metadata,
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_id", Id, ForeignKey("insurance_plans.id", ondelete="CASCADE"), primary_key=True),
)

calendars = Table(
    "calendars",
    metadata,
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(10), nullable=False, default="enabled"),
    Column("created_at", UTCDateTime, nullable=False),
    # The 404-versus-empty rule of getSlots needs to know whether any availability was
    # ever published here (decisions.md "Slots and calendars").
    Column("has_published", Boolean, nullable=False, default=False),
)

work_periods = Table(
    "work_periods",
    metadata,
    _pk(),
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), nullable=False),
    # The calendar day (in the locale's zone) the period starts on: the unit of replacement.
    Column("day", Date, nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    # JSON [[address_service_id, duration], ...]: always read and written whole.
    Column("services", Text, nullable=False),
    Column("insurance_accepted", String(40), nullable=False),
    Column("insurance_providers", Text, nullable=False, default="[]"),
    Index("ix_work_periods_address_day", "address_id", "day"),
    Index("ix_work_periods_address_start", "address_id", "start"),
)

calendar_breaks = Table(
    "calendar_breaks",
    metadata,
    _pk(),
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Column("till", UTCDateTime, nullable=False),
    Column("description", Text, nullable=True),
    # Breaks made with apply_on_coupled_addresses share the id of the break asked for.
    Column("group_id", Id, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_calendar_breaks_address_since", "address_id", "since"),
    Index("ix_calendar_breaks_group_id", "group_id"),
    # Breaks are deleted for real; AUTOINCREMENT keeps SQLite from handing a deleted break's
    # id to the next one (integrators and break-removed events keep ids).
    sqlite_autoincrement=True,
)

bookings = Table(
    "bookings",
    metadata,
    _pk(),
    Column("facility_id", Id, ForeignKey("facilities.id"), nullable=False),
    Column("doctor_id", Id, ForeignKey("doctors.id"), nullable=False),
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), nullable=False),
    Column("address_service_id", Id, ForeignKey("address_services.id"), nullable=True),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("booked_by", String(12), nullable=False),
    Column("booked_at", UTCDateTime, nullable=False),
    Column("canceled_by", String(12), nullable=False, default=""),
    Column("canceled_at", UTCDateTime, nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("comment", Text, nullable=True),
    Column("label", String(255), nullable=True),
    Column("patient_name", String(255), nullable=False),
    Column("patient_surname", String(255), nullable=True),
    Column("patient_email", String(255), nullable=True),
    Column("patient_phone", String(64), nullable=False),
    # Digits only, so opinion requests match however the number was spelt.
    Column("patient_phone_digits", String(64), nullable=True),
    Column("patient_birth_date", Date, nullable=True),
    Column("patient_nin", String(64), nullable=True),
    Column("patient_gender", String(1), nullable=True),
    Column("patient_insurance_number", String(64), nullable=True),
    Column("marketing_consent", Boolean, nullable=True),
    Column("data_privacy_consent", Boolean, nullable=True),
    Column("is_returning", Boolean, nullable=False, default=False),
    Column("is_recurring", Boolean, nullable=False, default=False),
    Column("insurance_provider_id", Id, nullable=True),
    Column("insurance_plan_id", Id, nullable=True),
    Column("presence", String(8), nullable=True),
    Column("confirmed", Boolean, nullable=False, default=False),
    Column("confirmed_by", String(8), nullable=True),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("origin_booking_id", Id, nullable=True),
    Column("moved_to_id", Id, nullable=True),
    Column("signature", String(36), nullable=False),
    Column("visit_payment", Boolean, nullable=False, default=False),
    Column("visit_payment_status", String(32), nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("created_by_client_pk", Id, nullable=True),
    Index("ix_bookings_address_start", "address_id", "start"),
    Index("ix_bookings_origin_booking_id", "origin_booking_id"),
    Index("ix_bookings_doctor_phone", "doctor_id", "patient_phone_digits"),
    # The unpaid auto-cancel's scan (services/auto_cancel.py, migration 0010): only booked
    # visits paid online are in it, so it stays small however many bookings there are.
    Index(
        "ix_bookings_unpaid_booked_at",
        "booked_at",
        sqlite_where=text("status = 'booked' AND visit_payment"),
        postgresql_where=text("status = 'booked' AND visit_payment"),
    ),
)

domain_events = Table(
    "domain_events",
    metadata,
    _pk(),
    Column("name", String(48), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("facility_id", Id, nullable=False),
    Column("doctor_id", Id, nullable=False),
    Column("address_id", Id, nullable=False),
    Column("payload", Text, nullable=False),
    Column("origin_client_pk", Id, nullable=True),
    # The Docplanner notification rendered at commit (`{name, data, created_at}` as JSON),
    # shared by every copy; null for events recorded before notifications existed.
    Column("body", Text, nullable=True),
    Index("ix_domain_events_facility_id", "facility_id"),
    # The 14-day purge finds old events by time (services/delivery.py housekeeping).
    Index("ix_domain_events_occurred_at", "occurred_at"),
)

replace_requests = Table(
    "replace_requests",
    metadata,
    Column("address_id", Id, ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True),
    Column("payload_hash", String(64), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)

opinion_requests = Table(
    "opinion_requests",
    metadata,
    # Only the visit's id is kept: Docplanner stores no patient data for these (§8.6).
    Column("booking_id", Id, ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True),
    Column("requested_at", UTCDateTime, nullable=False),
)

# One counter per cached family; triggers (migration 0006) bump 'clients' whenever tokens,
# clients or estates change, so every process can tell that its cache went stale.
cache_generations = Table(
    "cache_generations",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The database rate-limit store (adapters/ratelimit_sql.py): one row per counter or lease key,
# reused across windows; `expires_ms` (the app clock's epoch ms) lets old keys be swept.
rate_limit_counters = Table(
    "rate_limit_counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("used", Integer, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_rate_limit_counters_expires_ms", "expires_ms"),
)

# The sandbox's operator credentials (migration 0008): only a SHA-256 of each token is kept,
# so a copy of the database does not hand out the console.
operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# The sandbox clock every process shares (services/shared_clock.py, migration 0010): one row;
# `version` lets a change made from a stale read be refused.
sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("mode", String(8), nullable=False),
    Column("frozen_at", UTCDateTime, nullable=True),
    Column("offset_us", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
)

# The tables of the reset snapshot (adapters/db/snapshot.py; migration 0009), each with the id
# its next row would get at snapshot time (null for tables without an id counter).
sandbox_snapshot = Table(
    "sandbox_snapshot",
    metadata,
    Column("table_name", String(100), primary_key=True),
    # The columns copied, space-separated: a later migration may add some to the table.
    Column("columns", Text, nullable=False),
    Column("next_id", BigInteger, nullable=True),
    Column("taken_at", UTCDateTime, nullable=False),
)
