"""`GET /_sandbox/status`: what this server is, as the operator sees it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep

router = APIRouter(tags=[SANDBOX_TAG])


class SandboxStatus(BaseModel):
    server: str
    now: str
    clients: int
    clock_mode: str = Field(description="The sandbox clock: `real`, `frozen` or `offset`.")
    clock_offset_seconds: float = Field(description="How far ahead of real time it is.")


@router.get("/status", operation_id="sandboxStatus", response_model=SandboxStatus)
async def sandbox_status(_operator: OperatorDep, services: ServicesDep) -> SandboxStatus:
    """The server's clock and how many API clients it has."""
    clients = await services.clients.list()
    clock = await services.time_travel.show()
    return SandboxStatus(
        server="dpi",
        now=clock.now.isoformat(),
        clients=len(clients),
        clock_mode=clock.mode,
        clock_offset_seconds=clock.offset.total_seconds(),
    )
