"""The reference for `scripts/bench_http`: a bare ASGI app that answers fixed bodies.

It serves, for each path in the JSON file named by `DPI_BARE_BODIES` ({path: body text}),
exactly the bytes dpi answered there, with dpi's media type, so the comparison measures only
what dpi does beyond writing a response. Query strings are ignored.
"""

from __future__ import annotations

import json
import os
from typing import Any

_BODIES: dict[str, bytes] = {
    path: body.encode()
    for path, body in json.loads(open(os.environ["DPI_BARE_BODIES"]).read()).items()  # noqa: SIM115
}
_TYPE = b"application/vnd.docplanner+json; charset=UTF-8"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = _BODIES.get(scope["path"], b'{"message":"Object not found"}')
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", _TYPE), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
