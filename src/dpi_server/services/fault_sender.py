"""The `WebhookSender` port with injected faults (services/faults.py) in front of the real one.

The delivery code cannot tell an injected fault from a real one: an error status comes back as
an answer with that status, a dropped connection as an answer without one, and a latency at
least as long as the call's time limit as the timeout the real sender reports. The error text
says `(injected)` so the delivery log shows which failures were made up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from dpi_server.services.faults import DROP, Fault, FaultInjector
from dpi_server.services.notification_ports import HttpAnswer, WebhookSender

INJECTED_BODY = b'{"errors":[],"message":"injected fault"}'


class FaultingSender:
    """Posts of one kind of outbound call (`push` or `realtime`) draw from `faults`; health
    checks (`get`) are never faulted."""

    def __init__(self, inner: WebhookSender, faults: FaultInjector, operation: str) -> None:
        self._inner = inner
        self._faults = faults
        self._operation = operation

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], within: float
    ) -> HttpAnswer:
        fault = (
            self._faults.draw(self._operation, in_wildcard=False) if self._faults.active else None
        )
        if fault is None:
            return await self._inner.post(url, body, headers, within)
        return await self._faulted(fault, url, body, headers, within)

    async def get(self, url: str, headers: Mapping[str, str], within: float) -> HttpAnswer:
        return await self._inner.get(url, headers, within)

    async def _faulted(
        self, fault: Fault, url: str, body: bytes, headers: Mapping[str, str], within: float
    ) -> HttpAnswer:
        delay = fault.latency_ms / 1000
        if delay >= within:
            await asyncio.sleep(within)
            return HttpAnswer(None, int(within * 1000), f"timeout after {within:g} s (injected)")
        if delay:
            await asyncio.sleep(delay)
        if fault.kind == DROP:
            return HttpAnswer(None, fault.latency_ms, "connection dropped (injected)")
        if fault.kind is not None:
            status = int(fault.kind)
            return HttpAnswer(
                status,
                fault.latency_ms,
                f"HTTP {status} (injected)",
                INJECTED_BODY,
                "application/json",
            )
        answer = await self._inner.post(url, body, headers, within - delay)
        return HttpAnswer(
            answer.status_code,
            answer.latency_ms + fault.latency_ms,
            answer.error,
            answer.body,
            answer.content_type,
        )
