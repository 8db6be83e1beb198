"""Reading and writing the API's date-times (behaviour.md §3, decisions.md "Locales")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dpi_server.domain.timefmt import (
    format_datetime,
    format_minutes_stamp,
    parse_date_or_datetime,
    parse_datetime,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NOON_UTC = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class TestParse:
    @pytest.mark.parametrize(
        "text",
        [
            "2026-01-05T13:00:00+01:00",
            "2026-01-05T13:00:00+0100",
            "2026-01-05T12:00:00Z",
            "2026-01-05T13:00:00 01:00",  # a query string's `+` decoded to a space
            "2026-01-05T13:00+01:00",
            "2026-01-05 13:00:00+01:00",
        ],
    )
    def test_offsets_in_every_spelling(self, text: str) -> None:
        """Any offset form names the same instant (decisions.md "Locales")."""
        assert parse_datetime(text) == NOON_UTC

    @pytest.mark.parametrize(
        "text",
        [
            "2026-01-05T13:00:00",  # no offset: the spec requires one
            "2026-13-05T13:00:00+01:00",
            "garbage",
            "",
            "0001-01-01T00:00:00+01:00",  # would overflow any arithmetic
            "9999-12-31T23:59:59-01:00",
        ],
    )
    def test_unreadable_values_are_none(self, text: str) -> None:
        """Values without an offset, impossible or far-off dates read as nothing."""
        assert parse_datetime(text) is None

    def test_dates_and_date_times_name_a_local_day(self) -> None:
        """`YYYY-MM-DD` or a date-time whose local day is meant (wire.md §1.5)."""
        assert parse_date_or_datetime("2026-01-05", WARSAW) == date(2026, 1, 5)
        assert parse_date_or_datetime("2026-01-05T23:30:00Z", WARSAW) == date(2026, 1, 6)
        assert parse_date_or_datetime("0900-01-01", WARSAW) is None


class TestFormat:
    def test_atom_in_the_locale_zone(self) -> None:
        """Rendered in Warsaw time with a numeric offset, whole seconds."""
        assert format_datetime(NOON_UTC.replace(microsecond=5), WARSAW) == (
            "2026-01-05T13:00:00+01:00"
        )

    def test_summer_offset(self) -> None:
        """DST is the zone's business: +02:00 in July."""
        assert format_datetime(datetime(2026, 7, 1, 10, tzinfo=UTC), WARSAW) == (
            "2026-07-01T12:00:00+02:00"
        )

    def test_minutes_stamp(self) -> None:
        """The replaceSlots 12-weeks message form `dd.mm.YYYY, HH:MM`."""
        assert format_minutes_stamp(NOON_UTC, WARSAW) == "05.01.2026, 13:00"
