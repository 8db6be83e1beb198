"""Re-reading the shared sandbox clock before a request (services/shared_clock.py): at most
one primary-key read per half second per process, so a clock moved by another process is seen
within a second and the hot path pays nothing more."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("dpi.api")


class ClockSyncMiddleware:
    def __init__(self, app: ASGIApp, sync: Callable[[], Awaitable[None]]) -> None:
        self._app = app
        self._sync = sync

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                await self._sync()
            except Exception:  # the last state read stands; the request is still answered
                log.exception("could not re-read the sandbox clock")
        await self._app(scope, receive, send)
