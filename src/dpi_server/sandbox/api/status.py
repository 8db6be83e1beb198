"""`GET /_sandbox/status`: what this server is, as the operator sees it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep

router = APIRouter(tags=[SANDBOX_TAG])


class SandboxStatus(BaseModel):
    server: str
    now: str
    clients: int


@router.get("/status", operation_id="sandboxStatus", response_model=SandboxStatus)
async def sandbox_status(_operator: OperatorDep, services: ServicesDep) -> SandboxStatus:
    """The server's clock and how many API clients it has."""
    clients = await services.clients.list()
    return SandboxStatus(server="dpi", now=services.clock.now().isoformat(), clients=len(clients))
