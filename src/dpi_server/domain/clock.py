"""The sandbox clock's state: real time, frozen at an instant, or real time plus an offset
(ARCHITECTURE.md "Time"). Pure: the real time is passed in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dpi_server.domain import errors

REAL = "real"
FROZEN = "frozen"
OFFSET = "offset"
MODES = (REAL, FROZEN, OFFSET)


@dataclass(frozen=True, slots=True)
class ClockState:
    """`version` counts the changes, so a change made from a stale read is refused."""

    mode: str = REAL
    frozen_at: datetime | None = None
    offset: timedelta = timedelta(0)
    version: int = 0

    def now(self, real: datetime) -> datetime:
        if self.mode == FROZEN and self.frozen_at is not None:
            return self.frozen_at
        if self.mode == OFFSET:
            return real + self.offset
        return real

    def frozen(self, real: datetime) -> ClockState:
        """Stopped where it is now."""
        return replace(self, mode=FROZEN, frozen_at=self.now(real), offset=timedelta(0))

    def moved_to(self, instant: datetime, real: datetime) -> ClockState:
        """At `instant`, still frozen if it was, else running on from there (an offset).
        Never backwards: that is `ClockCannotGoBack`."""
        current = self.now(real)
        if instant < current:
            raise errors.ClockCannotGoBack(instant.isoformat(), current.isoformat())
        if self.mode == FROZEN:
            return replace(self, frozen_at=instant)
        return self.running_with(instant - real)

    def running_with(self, offset: timedelta) -> ClockState:
        """Running, `offset` ahead of real time (no offset is real time)."""
        mode = REAL if offset == timedelta(0) else OFFSET
        return replace(self, mode=mode, frozen_at=None, offset=offset)

    def running_real(self) -> ClockState:
        """Back on the wall clock: the one change that may move time backwards."""
        return replace(self, mode=REAL, frozen_at=None, offset=timedelta(0))


def check_advance(delta: timedelta) -> None:
    if delta <= timedelta(0):
        raise errors.FieldErrors({"duration": ["The duration must be positive."]})
