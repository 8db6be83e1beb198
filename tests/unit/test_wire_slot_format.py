"""The fast slot-start rendering (api/wire_calendar.py) equals the general one everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from dpi_server.api.wire_calendar import format_instant, slots_body, start_fragments
from dpi_server.domain.calendar import epoch_micros
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.timefmt import format_datetime


def general_fragment(moment: datetime, zone: ZoneInfo) -> bytes:
    """One getSlots item as orjson writes the general rendering of its start."""
    return orjson.dumps({"start": format_datetime(moment, zone)})


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


@pytest.mark.parametrize("code", sorted(LOCALES))
def test_fragments_equal_the_general_rendering_in_every_locale_zone(code: str) -> None:
    zone = LOCALES[code].zone
    moments = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year < 2027:
        moments.append(moment)
        moment += timedelta(minutes=37, seconds=11)

    fragments = start_fragments([epoch_micros(m) for m in moments], zone)

    assert fragments == [general_fragment(m, zone) for m in moments]


@pytest.mark.parametrize(
    "name", ["Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "UTC"]
)
def test_fragments_in_zones_off_the_whole_hour(name: str) -> None:
    """Half- and quarter-hour offsets shift the local minutes; DST changes included."""
    zone = ZoneInfo(name)
    moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=13 * i) for i in range(45_000)]

    fragments = start_fragments([epoch_micros(m) for m in moments], zone)

    assert fragments == [general_fragment(m, zone) for m in moments]


def test_fragments_of_fractions_local_mean_time_and_before_the_epoch() -> None:
    """Fractions are cut to the second; offsets with seconds (local mean time) keep them."""
    warsaw = LOCALES["pl"].zone
    moments = [
        datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=UTC),
        datetime(1850, 6, 1, 10, 17, 3, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
    ]

    fragments = start_fragments([epoch_micros(m) for m in moments], warsaw)

    assert fragments == [general_fragment(m, warsaw) for m in moments]
    assert fragments[0] == b'{"start":"2026-03-29T01:59:59+01:00"}'
    assert fragments[1] == b'{"start":"2026-03-29T03:00:00+02:00"}'
    assert fragments[2] == b'{"start":"1850-06-01T11:41:03+01:24"}'
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert start_fragments([epoch_micros(moments[2])], amsterdam) == [
        b'{"start":"1850-06-01T10:36:35+00:19:32"}'
    ]


def test_the_body_is_what_orjson_writes_for_the_items() -> None:
    zone = LOCALES["pl"].zone
    moments = [datetime(2026, 5, 16, 8, tzinfo=UTC) + timedelta(minutes=10 * i) for i in range(3)]
    items = [{"start": format_datetime(m, zone)} for m in moments]

    body = slots_body(start_fragments([epoch_micros(m) for m in moments], zone))

    assert body == orjson.dumps({"_items": items})
    assert slots_body([]) == orjson.dumps({"_items": []})
