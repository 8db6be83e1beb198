"""The in-memory twin of the shared clock's row (adapters/db/clock_store.py)."""

from __future__ import annotations

from dataclasses import replace

from dpi_server.domain.clock import ClockState


class MemoryClockStore:
    def __init__(self) -> None:
        self._state = ClockState()

    async def load(self) -> ClockState:
        return self._state

    async def save(self, state: ClockState) -> bool:
        if state.version != self._state.version:
            return False
        self._state = replace(state, version=state.version + 1)
        return True
