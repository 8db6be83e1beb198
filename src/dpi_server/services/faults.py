"""Seeded fault injection for the sandbox (issue #10, item 4): which request or outbound call
gets an injected error, a dropped connection or added latency.

Rules live in the process (docs/decisions.md "Faults and the request journal"): each
operation draws from its own random stream, seeded with the plan's seed and the operation's
name, so one operation's sequence of faults does not depend on how its requests interleave
with other operations' (or with the dispatcher's push attempts).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from dpi_server.domain.errors import FieldErrors

ALL_OPERATIONS = "*"
# Outbound calls are operations too; they are never part of `*`.
PUSH = "push"
REALTIME = "realtime"
OUTBOUND_OPERATIONS = (PUSH, REALTIME)

ERROR_500 = "500"
ERROR_503 = "503"
ERROR_429 = "429"
DROP = "drop"
LATENCY = "latency"
FAULT_KINDS = (ERROR_500, ERROR_503, ERROR_429, DROP, LATENCY)
ERROR_KINDS = frozenset({ERROR_500, ERROR_503, ERROR_429, DROP})
MAX_LATENCY_MS = 60_000


@dataclass(frozen=True, slots=True)
class FaultRule:
    """With `probability`, a request of one of `operations` gets `kind`; `latency_ms` is the
    range `(low, high)` an added latency is drawn from (`low == high` for a fixed one)."""

    operations: tuple[str, ...]
    kind: str
    probability: float = 1.0
    latency_ms: tuple[int, int] = (0, 0)

    def applies_to(self, operation: str, in_wildcard: bool) -> bool:
        return operation in self.operations or (in_wildcard and ALL_OPERATIONS in self.operations)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    seed: int
    rules: tuple[FaultRule, ...]


@dataclass(frozen=True, slots=True)
class Fault:
    """What one request gets: an error kind (or none) and a latency added before it."""

    kind: str | None
    latency_ms: int = 0

    @property
    def label(self) -> str:
        """The `X-Dpi-Fault` header value: `503`, `drop`, `latency=120ms`, `503; latency=120ms`."""
        parts = [self.kind] if self.kind else []
        if self.latency_ms:
            parts.append(f"latency={self.latency_ms}ms")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Drawn:
    """One draw, for the history an operator (or a test) compares between runs."""

    operation: str
    fault: Fault | None


@dataclass
class FaultInjector:
    """The process's current plan and its random streams. `active` is a plain attribute so
    the hot path pays one attribute read while faults are off."""

    history_size: int = 1000
    active: bool = field(default=False, init=False)
    _plan: FaultPlan | None = field(default=None, init=False)
    _streams: dict[str, random.Random] = field(default_factory=dict, init=False)
    _history: list[Drawn] = field(default_factory=list, init=False)

    @property
    def plan(self) -> FaultPlan | None:
        return self._plan

    def replace(self, plan: FaultPlan, known_operations: Collection[str]) -> None:
        """Install `plan` (streams start again from its seed); FieldErrors when a rule is bad."""
        check_plan(plan, known_operations)
        self._plan = plan
        self._streams = {}
        self._history = []
        self.active = bool(plan.rules)

    def clear(self) -> None:
        """Switch faults off (the sandbox reset calls this too)."""
        self._plan = None
        self._streams = {}
        self._history = []
        self.active = False

    def history(self) -> list[Drawn]:
        return list(self._history)

    def draw(self, operation: str, *, in_wildcard: bool = True) -> Fault | None:
        """The fault for the next call of `operation`, or None. Every matching rule takes one
        number from the operation's stream whether it fires or not, so the sequence depends
        only on the seed, the rules and the operation's own calls."""
        plan = self._plan
        if plan is None:
            return None
        rules = [r for r in plan.rules if r.applies_to(operation, in_wildcard)]
        if not rules:
            return None
        stream = self._streams.get(operation)
        if stream is None:
            stream = self._streams[operation] = random.Random(f"{plan.seed}:{operation}")
        kind: str | None = None
        latency = 0
        for rule in rules:
            fires = stream.random() < rule.probability
            if rule.kind == LATENCY:
                low, high = rule.latency_ms
                amount = stream.randint(low, high)
                latency += amount if fires else 0
            elif fires and kind is None:
                kind = rule.kind
        fault = Fault(kind, latency) if kind is not None or latency else None
        self._remember(Drawn(operation, fault))
        return fault

    def _remember(self, drawn: Drawn) -> None:
        self._history.append(drawn)
        if len(self._history) > self.history_size:
            del self._history[: len(self._history) - self.history_size]


def check_plan(plan: FaultPlan, known_operations: Collection[str]) -> None:
    errors: dict[str, list[str]] = {}
    known = set(known_operations) | set(OUTBOUND_OPERATIONS) | {ALL_OPERATIONS}
    for index, rule in enumerate(plan.rules):
        where = f"rules[{index}]"
        for message in _rule_problems(rule, known):
            errors.setdefault(where, []).append(message)
    if errors:
        raise FieldErrors(errors)


def _rule_problems(rule: FaultRule, known: Collection[str]) -> Iterable[str]:
    if not rule.operations:
        yield "name at least one operation (an operationId, push, realtime or *)"
    unknown = sorted(set(rule.operations) - set(known))
    if unknown:
        yield f"unknown operation(s): {', '.join(unknown)}"
    if rule.kind not in FAULT_KINDS:
        yield f"kind must be one of {', '.join(FAULT_KINDS)}"
    if not 0.0 <= rule.probability <= 1.0:
        yield "probability must be between 0 and 1"
    low, high = rule.latency_ms
    if rule.kind == LATENCY and not 0 <= low <= high <= MAX_LATENCY_MS:
        yield f"latency_ms must be 0 <= low <= high <= {MAX_LATENCY_MS}"
    if rule.kind != LATENCY and (low or high):
        yield "latency_ms is for kind latency only"
