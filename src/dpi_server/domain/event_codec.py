"""The one serializer of domain events: typed dataclasses to JSON-ready dicts and back.

Stored form (version 1): `{"v": 1, "name": <wire name>, "data": {<field>: <value>}}`, where
date-times are ISO 8601 with their offset (always UTC as stored by the domain), dates are
`YYYY-MM-DD`, sets are sorted lists and nested records (bookings, patients, breaks, address
services, addresses) are objects of their fields. Decoding walks the same type hints, so an
event read back equals the event written (a test proves it for every type).

Written by hand rather than with a library because the domain may import only the standard
library (ARCHITECTURE.md), and the types involved are few and all frozen dataclasses.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any

from dpi_server.domain.events import EVENT_BY_NAME, Event

VERSION = 1


class EventDecodeError(ValueError):
    """A stored event this code cannot read (unknown version or name, malformed data)."""


def encode_event(event: Event) -> dict[str, Any]:
    return {"v": VERSION, "name": event.NAME, "data": _encode(event)}


def decode_event(stored: dict[str, Any]) -> Event:
    if stored.get("v") != VERSION:
        raise EventDecodeError(f"unsupported event version {stored.get('v')!r}")
    kind = EVENT_BY_NAME.get(str(stored.get("name")))
    if kind is None:
        raise EventDecodeError(f"unknown event name {stored.get('name')!r}")
    decoded = _decode(kind, stored.get("data"))
    assert isinstance(decoded, Event)
    return decoded


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("events hold aware date-times only")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_encode(v) for v in value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _decode(hint: Any, raw: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if raw is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                return _decode(option, raw)
    if origin is frozenset:
        (item,) = typing.get_args(hint)
        return frozenset(_decode(item, v) for v in _as(list, raw))
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_decode(item, v) for v in _as(list, raw))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        data = _as(dict, raw)
        hints = _hints(hint)
        values = {
            f.name: _decode(hints[f.name], data[f.name])
            for f in dataclasses.fields(hint)
            if f.name in data
        }
        return hint(**values)
    if hint is datetime:
        parsed = datetime.fromisoformat(_as(str, raw))
        if parsed.tzinfo is None:
            raise EventDecodeError("naive date-time in a stored event")
        return parsed
    if hint is date:
        return date.fromisoformat(_as(str, raw))
    if hint in (bool, int, str):
        if type(raw) is not hint:
            raise EventDecodeError(f"expected {hint.__name__}, got {type(raw).__name__}")
        return raw
    raise EventDecodeError(f"cannot decode {hint!r}")


def _as(kind: type, raw: Any) -> Any:
    if not isinstance(raw, kind):
        raise EventDecodeError(f"expected {kind.__name__}, got {type(raw).__name__}")
    return raw
