"""`/_sandbox/clock`: the sandbox clock every process of the server shares (real, frozen or
offset), and time travel that runs whatever became due on the way before answering
(services/time_travel.py, services/scheduler.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.services.scheduler import SchedulerReport
from dpi_server.services.shared_clock import ClockReading
from dpi_server.services.time_travel import Travel

router = APIRouter(tags=[SANDBOX_TAG])


class SandboxClock(BaseModel):
    now: datetime = Field(description="The server's current time (UTC).")
    mode: str = Field(description="`real`, `frozen` or `offset` (real time plus `offset`).")
    offset_seconds: float = Field(description="How far ahead of real time (offset mode).")
    frozen_at: datetime | None = Field(description="Where a frozen clock stands.")


class SandboxDueWork(BaseModel):
    steps: int = Field(description="Due times the clock stopped at on the way.")
    attempts: int = Field(description="Push attempts made.")
    delivered: int
    purged: int = Field(description="Notification copies expired or purged.")
    health_checks: int
    canceled: int = Field(description="Unpaid visits canceled (90 minutes after booking).")


class SandboxTravel(BaseModel):
    clock: SandboxClock
    ran: SandboxDueWork


class SandboxClockSet(BaseModel):
    at: AwareDatetime = Field(description="The instant to move to; not before the clock's now.")


class SandboxClockAdvance(BaseModel):
    duration: timedelta = Field(
        description="How far forward: an ISO 8601 duration (`PT91M`, `P1DT2H`) or seconds."
    )


def _clock(reading: ClockReading) -> SandboxClock:
    return SandboxClock(
        now=reading.now.astimezone(UTC),
        mode=reading.mode,
        offset_seconds=reading.offset.total_seconds(),
        frozen_at=reading.frozen_at,
    )


def _travel(travel: Travel) -> SandboxTravel:
    ran: SchedulerReport = travel.ran
    return SandboxTravel(
        clock=_clock(travel.clock),
        ran=SandboxDueWork(
            steps=ran.steps,
            attempts=ran.attempts,
            delivered=ran.delivered,
            purged=ran.purged,
            health_checks=ran.health_checks,
            canceled=ran.canceled,
        ),
    )


@router.get("/clock", operation_id="sandboxGetClock", response_model=SandboxClock)
async def get_clock(_operator: OperatorDep, services: ServicesDep) -> SandboxClock:
    """The sandbox clock: now, its mode and its offset from real time."""
    return _clock(await services.time_travel.show())


@router.post("/clock/freeze", operation_id="sandboxFreezeClock", response_model=SandboxClock)
async def freeze_clock(_operator: OperatorDep, services: ServicesDep) -> SandboxClock:
    """Stop the clock where it is (every process of the server within a second)."""
    return _clock(await services.time_travel.freeze())


@router.post("/clock/real", operation_id="sandboxRealClock", response_model=SandboxClock)
async def real_clock(_operator: OperatorDep, services: ServicesDep) -> SandboxClock:
    """Back to the wall clock: the one change that may move time backwards."""
    return _clock(await services.time_travel.real())


@router.post("/clock/set", operation_id="sandboxSetClock", response_model=SandboxTravel)
async def set_clock(
    body: SandboxClockSet, _operator: OperatorDep, services: ServicesDep
) -> SandboxTravel:
    """Move the clock forward to an instant (a frozen clock stays frozen), running everything
    due on the way in order. An instant before now is refused (409)."""
    return _travel(await services.time_travel.set(body.at.astimezone(UTC)))


@router.post("/clock/advance", operation_id="sandboxAdvanceClock", response_model=SandboxTravel)
async def advance_clock(
    body: SandboxClockAdvance, _operator: OperatorDep, services: ServicesDep
) -> SandboxTravel:
    """Move the clock forward by a duration, running everything due on the way in order
    (each item with the clock at its own due time) before answering."""
    return _travel(await services.time_travel.advance(body.duration))
