"""Instants read as the driver hands them over (adapters/db/slot_reads.py) equal what the
UTCDateTime column type reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from dpi_server.adapters.db.slot_reads import utc_from_driver
from dpi_server.adapters.db.tables import UTCDateTime

NINE = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-03-05 09:00:00.000000", NINE),
        ("2026-03-05 09:00:00", NINE),
        ("2026-03-05 09:00:00.000123", NINE + timedelta(microseconds=123)),
        ("2026-03-05 11:00:00+02:00", NINE),
        ("2026-03-05T09:00:00Z", NINE),
    ],
)
def test_sqlite_text_is_utc(stored: str, expected: datetime) -> None:
    """SQLite keeps the instant as ISO text without a zone, which is UTC."""
    dialect = sqlite.dialect()
    processor = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert processor is not None

    read = utc_from_driver(stored)

    assert read == expected
    assert read.tzinfo is UTC
    assert read == processor(stored)


@pytest.mark.parametrize(
    "value", [NINE, NINE.astimezone(PLUS_TWO), NINE.replace(tzinfo=None), NINE.replace(second=7)]
)
def test_driver_datetimes_are_utc(value: datetime) -> None:
    """asyncpg hands over aware datetimes; any offset reads back as the same instant in UTC."""
    read = utc_from_driver(value)

    assert read.tzinfo is UTC
    assert read == UTCDateTime().process_result_value(value, postgresql.dialect())
