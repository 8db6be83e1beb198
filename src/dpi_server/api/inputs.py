"""Reading path segments, query values and body fields into typed inputs for the use cases.

Parsing belongs to the API layer: the use cases receive ints and aware datetimes, never the
strings a client sent. The messages are the ones the API has always answered with.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dpi_server.domain import errors
from dpi_server.domain.booking_rules import RequestedStart
from dpi_server.domain.timefmt import parse_date_or_datetime, parse_datetime

# An id in a body that is not a number names no object; no row has id 0.
NO_OBJECT = 0
MAX_PAGE = 10**9


def parse_id(value: str | int) -> int | None:
    """Ids: decimal digits only (at most 18, inside 64-bit SQL integers)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def path_id(value: str) -> int:
    """A path id; one that cannot exist names no object: 404 `Object not found`."""
    parsed = parse_id(value)
    if parsed is None:
        raise errors.ObjectNotFound()
    return parsed


def body_id(value: str | int) -> int:
    """A body id; one that is not a number is an id no object has, so the use case answers
    the documented "does not exist" error of that field."""
    parsed = parse_id(value)
    return NO_OBJECT if parsed is None else parsed


def optional_body_id(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    return body_id(value)


def required_datetime(name: str, value: str | None) -> datetime:
    """A required date-time query or body value, or a 400 keyed by its name."""
    if value is None or not value.strip():
        raise errors.FieldErrors({name: ["This value should not be blank."]})
    parsed = parse_datetime(value)
    if parsed is None:
        raise errors.FieldErrors({name: ["This value is not a valid datetime."]})
    return parsed


def break_range(since: str | None, till: str | None) -> tuple[datetime, datetime]:
    """Both ends are required (`Param "since" is required!`) and must be date-times."""
    if not since:
        raise errors.ParameterRequired("since")
    if not till:
        raise errors.ParameterRequired("till")
    return required_datetime("since", since), required_datetime("till", till)


def break_window(since: str | None, till: str | None) -> tuple[datetime, datetime]:
    """The breaks list's window: unreadable dates are 404 `Invalid date given.` there."""
    if not since:
        raise errors.ParameterRequired("since")
    if not till:
        raise errors.ParameterRequired("till")
    start, end = parse_datetime(since), parse_datetime(till)
    if start is None or end is None:
        raise errors.InvalidDate()
    return start, end


def slot_start(value: str) -> RequestedStart:
    return RequestedStart(parse_datetime(value), value)


def day_of(value: str, zone: ZoneInfo) -> date:
    """deleteSlots' `{date}`: `YYYY-MM-DD` or a date-time (its day in the locale's zone)."""
    day = parse_date_or_datetime(value, zone)
    if day is None:
        raise errors.InvalidDate()
    return day


def birth_date_of(value: str | None, zone: ZoneInfo) -> date | None:
    """`birth_date` as `YYYY-MM-DD` or a full date-time (the PHP SDK's quirk, wire.md §1.6)."""
    if value is None or value == "":
        return None
    parsed = parse_date_or_datetime(value, zone)
    if parsed is None:
        raise errors.FieldErrors({"patient.birth_date": ["This value is not a valid date."]})
    return parsed


def positive_int(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise errors.FieldErrors({name: ["This value should be a positive integer."]})
    if len(value) > 12 or int(value) > MAX_PAGE:
        # Keeps offsets inside 64-bit SQL integers.
        raise errors.FieldErrors({name: [f"This value should be {MAX_PAGE} or less."]})
    return int(value)
