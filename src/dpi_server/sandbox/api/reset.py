"""`POST /_sandbox/reset` and `POST /_sandbox/snapshot`: back to the seeded state, or make
the current state the one to go back to (services/reset.py)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel

from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep

router = APIRouter(tags=[SANDBOX_TAG])


class ResetResult(BaseModel):
    snapshot_taken_at: str
    hooks: list[str]
    elapsed_ms: float


class SnapshotResult(BaseModel):
    taken_at: str
    tables: int


@router.post("/reset", operation_id="sandboxReset", response_model=ResetResult)
async def sandbox_reset(operator: OperatorDep, services: ServicesDep) -> ResetResult:
    """Every table back to the snapshot (the seeded state), in one transaction, and the
    processes' caches, rate-limit counters and in-flight markers forgotten. 409 while an
    active production client exists, or when there is no snapshot."""
    started = time.perf_counter()
    done = await services.reset.reset(operator)
    return ResetResult(
        snapshot_taken_at=done.snapshot_taken_at.isoformat(),
        hooks=list(done.hooks),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


@router.post("/snapshot", operation_id="sandboxTakeSnapshot", response_model=SnapshotResult)
async def sandbox_snapshot(operator: OperatorDep, services: ServicesDep) -> SnapshotResult:
    """Make the current state the one `reset` returns to."""
    taken = await services.reset.snapshot(operator)
    return SnapshotResult(taken_at=taken.taken_at.isoformat(), tables=taken.tables)
