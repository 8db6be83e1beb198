"""Reading and writing the API's date-times (spec/behaviour.md §3, decisions.md "Locales").

Inputs may carry any offset (`+01:00`, `+0100`, `Z`), and a `+` that a query string decoded to a
space is read back as `+`. Every date-time without an offset is rejected: the spec requires one.
Outputs are ATOM (`YYYY-MM-DDTHH:MM:SS+HH:MM`) in the locale's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"\s*(?P<offset>Z|z|[+\- ]\d{2}:?\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_YEAR = 1800
MAX_YEAR = 2999


def parse_datetime(value: str) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string with an offset, or None if unreadable."""
    match = _DATETIME.match(value.strip())
    if match is None:
        return None
    offset = match["offset"]
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif offset[0] == " ":
        offset = "+" + offset[1:]
    if ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    time_part = match["time"]
    if time_part.count(":") == 1:
        time_part += ":00"
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{time_part}{offset}")
    except ValueError:
        return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        # Far-off years only overflow date arithmetic later; no calendar needs them.
        return None
    return parsed.astimezone(UTC)


def parse_date_or_datetime(value: str, zone: tzinfo) -> date | None:
    """A calendar day from `YYYY-MM-DD` or a full date-time (the day it falls on in `zone`)."""
    text = value.strip()
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return day if MIN_YEAR <= day.year <= MAX_YEAR else None
    moment = parse_datetime(text)
    if moment is None:
        return None
    return moment.astimezone(zone).date()


def format_datetime(value: datetime, zone: tzinfo) -> str:
    """ATOM rendering in `zone`, seconds precision, numeric offset (never `Z`)."""
    local = value.astimezone(zone).replace(microsecond=0)
    return local.isoformat()


def format_minutes_stamp(value: datetime, zone: tzinfo) -> str:
    """`dd.mm.YYYY, HH:MM` in `zone`, the form of the 12-weeks replaceSlots message."""
    return value.astimezone(zone).strftime("%d.%m.%Y, %H:%M")


def ensure_aware(value: datetime) -> datetime:
    """Guard for values read back from databases that drop tzinfo (SQLite): they are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in `zone` (23/25 h across DST)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
