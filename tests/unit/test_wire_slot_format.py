"""The fast slot-start rendering (api/wire_calendar.py) equals the general one everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dpi_server.api.wire_calendar import format_instant
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.timefmt import format_datetime


@pytest.mark.parametrize("code", sorted(LOCALES))
def test_every_locale_zone_over_a_year_with_its_offset_changes(code: str) -> None:
    zone = LOCALES[code].zone
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    # A step prime to the hour lands on every minute and many seconds of the hours around
    # each DST change.
    step = timedelta(minutes=37, seconds=11)
    while moment.year < 2027:
        assert format_instant(moment, zone) == format_datetime(moment, zone), moment
        moment += step


def test_half_hour_offsets_fractions_and_local_inputs_take_the_general_path() -> None:
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    kolkata, warsaw = ZoneInfo("Asia/Kolkata"), LOCALES["pl"].zone
    with_fraction = moment.replace(microsecond=123)
    for value, zone in (
        (moment, kolkata),
        (with_fraction, warsaw),
        (moment.astimezone(warsaw), warsaw),
    ):
        assert format_instant(value, zone) == format_datetime(value, zone)
    assert format_instant(moment, kolkata) == "2026-03-29T06:00:00+05:30"
