"""Calendars, slots, breaks and bookings as Docplanner JSON (wire.md §3.2, behaviour.md §7.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import orjson

from dpi_server.api.wire import address_service
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.timefmt import format_datetime
from dpi_server.services.bookings import BookingView
from dpi_server.services.calendar import SlotView


def calendar(value: Calendar) -> dict[str, Any]:
    return {"status": value.status}


def calendar_break(value: CalendarBreak, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": str(value.id),
        "since": format_datetime(value.since, zone),
        "till": format_datetime(value.till, zone),
        "description": value.description,
    }


_HOUR = timedelta(hours=1)
_LAST_SECOND = timedelta(minutes=59, seconds=59)
_MINUTES_SECONDS = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
# (zone, UTC year, month, day, hour) -> the local "YYYY-MM-DDTHH:" and "+HH:MM" of that hour,
# or _GENERAL when the hour holds an offset change or the offset is not whole hours.
_HOURS: dict[tuple[tzinfo, int, int, int, int], tuple[str, str]] = {}
_GENERAL = ("", "")
_HOURS_MAX = 50_000


def format_instant(value: datetime, zone: tzinfo) -> str:
    """`format_datetime(value, zone)`, several times faster for the many starts of getSlots.

    A 77-day answer renders ~3,700 starts, and `astimezone` + `isoformat` on a ZoneInfo
    datetime was most of its time. Within one UTC hour a zone's offset is constant (the check
    below makes sure), and with a whole-hour offset the local minutes and seconds are the UTC
    ones: so each hour's local prefix and offset are computed once and each start only picks
    its "MM:SS" from a table. Anything unusual takes the general path.
    """
    if value.tzinfo is not UTC or value.microsecond:
        return format_datetime(value, zone)
    key = (zone, value.year, value.month, value.day, value.hour)
    parts = _HOURS.get(key)
    if parts is None:
        top = datetime(value.year, value.month, value.day, value.hour, tzinfo=UTC)
        first, last = top.astimezone(zone), (top + _LAST_SECOND).astimezone(zone)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset % _HOUR:
            parts = _GENERAL
        else:
            text = first.isoformat()
            parts = (text[:14], text[19:])
        if len(_HOURS) >= _HOURS_MAX:
            _HOURS.clear()
        _HOURS[key] = parts
    if parts is _GENERAL:
        return format_datetime(value, zone)
    head, offset_text = parts
    return f"{head}{_MINUTES_SECONDS[value.minute * 60 + value.second]}{offset_text}"


def slot(value: SlotView, zone: tzinfo, with_services: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"start": format_instant(value.start, zone)}
    if with_services:
        body["address_services"] = {
            "_items": [address_service(s, frozenset(), duration=d) for s, d in value.services]
        }
    return body


def slot_fragments(zone: tzinfo) -> Callable[[list[int]], list[bytes]]:
    """getSlots' items without `slot.services`, each rendered on its own from its start in
    epoch microseconds (domain/calendar `free_starts`), so that a cached answer can be cut
    and joined (services/calendar.py `slot_answer`)."""
    return lambda starts: start_fragments(starts, zone)


_SECOND_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
_MINUTES_SECONDS_BYTES = [text.encode() for text in _MINUTES_SECONDS]
# (zone, UTC hour since the epoch) -> the zone's offset in seconds over that whole hour and
# the fragment's tail (`+HH:MM"}`), or None when the hour holds an offset change or the
# offset has seconds: those starts take the general path.
_OFFSETS: dict[tuple[tzinfo, int], tuple[int, bytes] | None] = {}
# Local hour since the epoch -> `{"start":"YYYY-MM-DDTHH:`, the same for every zone.
_HEADS: dict[int, bytes] = {}


def start_fragments(starts: list[int], zone: tzinfo) -> list[bytes]:
    """`orjson.dumps({"start": format_datetime(start, zone)})` for each start, byte for byte.

    A 77-day answer holds ~3,200 starts. Within one UTC hour a zone's offset is constant
    (checked once per hour), so a start's local time is its epoch second plus that offset,
    and its bytes are three table lookups joined: the local hour's head, the "MM:SS" and the
    offset's tail. The sorted starts of an answer share each hour's lookups.
    """
    fragments: list[bytes] = []
    append = fragments.append
    hour = None
    hour_parts: tuple[int, bytes] | None = None
    for at in starts:
        second = at // _SECOND_US
        if second // 3600 != hour:
            hour = second // 3600
            hour_parts = _hour_offset(zone, hour)
        if hour_parts is None:
            moment = _EPOCH + timedelta(microseconds=at)
            append(orjson.dumps({"start": format_datetime(moment, zone)}))
            continue
        offset, tail = hour_parts
        local = second + offset
        head = _HEADS.get(local // 3600)
        if head is None:
            head = _head(local // 3600)
        append(head + _MINUTES_SECONDS_BYTES[local % 3600] + tail)
    return fragments


def _hour_offset(zone: tzinfo, hour: int) -> tuple[int, bytes] | None:
    key = (zone, hour)
    if key in _OFFSETS:
        return _OFFSETS[key]
    top = _EPOCH + timedelta(hours=hour)
    first, last = top.astimezone(zone), (top + _LAST_SECOND).astimezone(zone)
    offset = first.utcoffset()
    parts = None
    if offset is not None and offset == last.utcoffset() and not offset % _MINUTE:
        # isoformat() of a whole-second local time ends with exactly the offset.
        parts = (int(offset.total_seconds()), first.isoformat()[19:].encode() + b'"}')
    if len(_OFFSETS) >= _HOURS_MAX:
        _OFFSETS.clear()
    _OFFSETS[key] = parts
    return parts


def _head(local_hour: int) -> bytes:
    wall = (_EPOCH + timedelta(hours=local_hour)).replace(tzinfo=None)
    head = f'{{"start":"{wall.isoformat()[:14]}'.encode()
    if len(_HEADS) >= _HOURS_MAX:
        _HEADS.clear()
    _HEADS[local_hour] = head
    return head


def slots_body(fragments: list[bytes]) -> bytes:
    """`{"_items": [...]}` of rendered items, byte for byte what orjson writes for it."""
    return b'{"_items":[' + b",".join(fragments) + b"]}"


def patient(view: BookingView) -> dict[str, Any]:
    p = view.booking.patient
    return {
        "name": p.name,
        "surname": p.surname,
        "email": p.email,
        "phone": p.phone,
        "birth_date": None if p.birth_date is None else p.birth_date.isoformat(),
        "nin": p.nin,
        "gender": p.gender,
        "is_returning": view.booking.is_returning,
        # v1.0.34 of the official SDK reads this misspelt key (wire.md §3.2).
        "is_returnting": view.booking.is_returning,
        "insurance_number": p.insurance_number,
    }


def booking(
    view: BookingView,
    zone: tzinfo,
    extensions: frozenset[str],
    *,
    always_patient_and_service: bool = False,
) -> dict[str, Any]:
    """A Booking; getBooking/moveBooking always carry patient and address service."""
    b = view.booking
    body: dict[str, Any] = {
        "id": str(b.id),
        "status": b.status,
        "start_at": format_datetime(b.start, zone),
        "end_at": format_datetime(b.end, zone),
        "duration": b.duration,
        "booked_by": b.booked_by,
        "canceled_by": b.canceled_by,
        "booked_at": format_datetime(b.booked_at, zone),
        "canceled_at": None if b.canceled_at is None else format_datetime(b.canceled_at, zone),
        "comment": b.comment,
        "insurance": (
            None
            if b.insurance_provider_id is None
            else {
                "id": str(b.insurance_provider_id),
                "name": view.insurance_name,
                "plan": view.plan_name,
                "plan_id": None if b.insurance_plan_id is None else str(b.insurance_plan_id),
            }
        ),
    }
    if b.visit_payment:
        body["visit_payment"] = True
        body["visit_payment_status"] = b.visit_payment_status
    if always_patient_and_service or "booking.patient" in extensions:
        body["patient"] = patient(view)
    if always_patient_and_service or "booking.address_service" in extensions:
        service_ext = extensions & {"address_service.public_insurance_flow"}
        body["address_service"] = (
            None
            if view.address_service is None
            else address_service(view.address_service, service_ext)
        )
    if "booking.presence" in extensions:
        body["presence"] = b.presence
    if "booking.confirmation" in extensions:
        body["confirmed"] = b.confirmed
    if "booking.moving" in extensions:
        body["moving"] = (
            None
            if b.origin_booking_id is None
            else {
                "origin_booking_id": str(b.origin_booking_id),
                "newest_booking_id": str(view.newest_booking_id or b.id),
            }
        )
    return body


def booked_slot(view: BookingView, zone: tzinfo, extensions: frozenset[str]) -> dict[str, Any]:
    """bookSlot's 200: the Booking without `insurance`, whose example lists only id, status,
    start_at, end_at, duration, booked_by, canceled_by, booked_at, canceled_at and comment
    (behaviour.md §7.3 "Which booking fields appear by default"); getBooking shows it."""
    body = booking(view, zone, extensions)
    body.pop("insurance", None)
    return body
