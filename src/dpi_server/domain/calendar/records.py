"""Calendar and break records as the use cases see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ENABLED = "enabled"
DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Calendar:
    address_id: int
    status: str
    has_published: bool = False

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED


@dataclass(frozen=True, slots=True)
class CalendarBreak:
    id: int
    address_id: int
    since: datetime
    till: datetime
    description: str | None
    group_id: int | None = None
