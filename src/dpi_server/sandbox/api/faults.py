"""`/_sandbox/faults`: the seeded fault plan of this process (services/faults.py).

Rules name operations by operationId (`getFacilities`, `bookSlot`...), `*` for every
integration-API operation, `getAccessToken` for the token endpoint (never part of `*`), and
`push` / `realtime` for outbound deliveries. The sandbox itself is never faulted, so a plan
can always be cleared.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from dpi_server.api.operations import OperationTable
from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.services.faults import (
    ALL_OPERATIONS,
    OUTBOUND_OPERATIONS,
    FaultInjector,
    FaultPlan,
    FaultRule,
)

router = APIRouter(tags=[SANDBOX_TAG])

# services/faults.py FAULT_KINDS, spelled out for the OpenAPI document.
FaultKind = Literal["500", "503", "429", "drop", "latency"]


class FaultRuleBody(BaseModel):
    operations: list[str] = Field(min_length=1, max_length=100)
    kind: FaultKind
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    latency_ms: int | tuple[int, int] | None = Field(
        default=None, description="for kind latency: a fixed number of ms or a [low, high] range"
    )


class FaultPlanBody(BaseModel):
    seed: int = Field(ge=0, le=2**63 - 1)
    rules: list[FaultRuleBody] = Field(max_length=100)


class DrawnFault(BaseModel):
    operation: str
    fault: str | None


class FaultsState(BaseModel):
    enabled: bool
    seed: int | None
    rules: list[FaultRuleBody]
    operations: list[str] = Field(description="what rules may name")
    recent: list[DrawnFault] = Field(description="the last draws, oldest first")


def _operations(request: Request) -> OperationTable:
    table: OperationTable = request.app.state.operations
    return table


def _state(faults: FaultInjector, table: OperationTable) -> FaultsState:
    plan = faults.plan
    return FaultsState(
        enabled=faults.active,
        seed=plan.seed if plan else None,
        rules=[_rule_body(rule) for rule in plan.rules] if plan else [],
        operations=[ALL_OPERATIONS, *sorted(table.names), *OUTBOUND_OPERATIONS],
        recent=[
            DrawnFault(operation=d.operation, fault=d.fault.label if d.fault else None)
            for d in faults.history()[-100:]
        ],
    )


def _rule_body(rule: FaultRule) -> FaultRuleBody:
    low, high = rule.latency_ms
    latency: int | tuple[int, int] | None = (
        None if rule.kind != "latency" else low if low == high else (low, high)
    )
    return FaultRuleBody(
        operations=list(rule.operations),
        kind=rule.kind,
        probability=rule.probability,
        latency_ms=latency,
    )


def _rule(body: FaultRuleBody) -> FaultRule:
    latency = body.latency_ms
    if latency is None:
        span = (0, 0)
    else:
        span = (latency, latency) if isinstance(latency, int) else latency
    return FaultRule(tuple(body.operations), body.kind, body.probability, span)


@router.get("/faults", operation_id="sandboxGetFaults", response_model=FaultsState)
async def get_faults(
    request: Request, _operator: OperatorDep, services: ServicesDep
) -> FaultsState:
    """The fault plan in force in this process, and its last draws."""
    return _state(services.faults, _operations(request))


@router.put("/faults", operation_id="sandboxSetFaults", response_model=FaultsState)
async def set_faults(
    body: FaultPlanBody, request: Request, _operator: OperatorDep, services: ServicesDep
) -> FaultsState:
    """Replace the fault plan; the random streams start again from `seed`."""
    table = _operations(request)
    plan = FaultPlan(body.seed, tuple(_rule(rule) for rule in body.rules))
    services.faults.replace(plan, table.names)
    return _state(services.faults, table)


@router.delete("/faults", operation_id="sandboxClearFaults", response_model=FaultsState)
async def clear_faults(
    request: Request, _operator: OperatorDep, services: ServicesDep
) -> FaultsState:
    """Switch faults off."""
    services.faults.clear()
    return _state(services.faults, _operations(request))
