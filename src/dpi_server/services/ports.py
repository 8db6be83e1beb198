"""Ports the use cases depend on; adapters implement them, tests use the fakes in `testing`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The one source of time. Production reads the system clock; tests and the sandbox move it."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class StorageConflict(Exception):
    """A transaction lost a race that the database detected (a serialization failure, a
    deadlock, a lock wait that timed out). Nothing it did was kept; running it again is safe.
    Adapters raise it; `services.transactions.retrying` runs the work again."""
