"""The `with` query parameter (behaviour.md §5, decisions.md "Wire format").

Accepted as one comma-separated value (what the PHP SDK sends), as repeated `with=` and as
`with[]=`; unknown values are ignored.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

_KEYS = ("with", "with[]")


def parse_with(query_string: bytes | str) -> frozenset[str]:
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    values: set[str] = set()
    for key, value in parse_qsl(text, keep_blank_values=False):
        if key in _KEYS or (key.startswith("with[") and key.endswith("]")):
            values.update(part.strip() for part in value.split(",") if part.strip())
    return frozenset(values)


def request_with(request: Request) -> frozenset[str]:
    return parse_with(request.scope.get("query_string", b""))
