"""Ports the use cases depend on; adapters implement them, tests use the fakes in `testing`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The one source of time. Production reads the system clock; tests and the sandbox move it."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...
