"""The console's journal and faults: the last integration-API requests of each client (secrets
masked) with the notification copies sent to it, and the seeded fault plan of this process
(services/journal.py, services/faults.py; `/_sandbox/journal` and `/_sandbox/faults`).

Both live in the memory of the process that serves the page, as they do for the API
(docs/decisions.md "Faults and the request journal").
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from dpi_server.api.operations import OperationTable
from dpi_server.domain.errors import DomainError, FieldErrors
from dpi_server.sandbox.pages.console import FAULTS_URL, JOURNAL_URL, render_console
from dpi_server.sandbox.pages.forms import MAX_FORM_FIELDS
from dpi_server.sandbox.pages.rendering import act, see_other
from dpi_server.sandbox.pages.session import PageServices, operator_page
from dpi_server.services.faults import (
    ALL_OPERATIONS,
    FAULT_KINDS,
    LATENCY,
    OUTBOUND_OPERATIONS,
    FaultPlan,
    FaultRule,
)
from dpi_server.services.journal import view
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
JOURNAL_LIMIT = 50
COPIES_LIMIT = 20
# Rule rows the faults form offers; a bigger plan is set through `/_sandbox/faults`.
RULE_ROWS = 4
SEED_MAX = 2**63 - 1


def _operations(request: Request) -> OperationTable:
    table: OperationTable = request.app.state.operations
    return table


@router.get(JOURNAL_URL)
async def journal(request: Request, services: PageServices) -> Response:
    """The newest requests (one client's or everyone's) and, for one client, its copies."""
    client = request.query_params.get("client") or None
    error = None
    copies = []
    if client is not None:
        try:
            for copy in await services.notification_admin.list_copies(client, None, COPIES_LIMIT):
                copies.append(await services.notification_admin.show_copy(copy.delivery_id))
        except DomainError as exc:
            client, error = None, exc.message
    table = _operations(request)
    entries = services.journal.entries(client, JOURNAL_LIMIT)
    return render_console(
        request,
        "console_journal.html",
        "journal",
        {
            "clients": [c for c, _ in await services.clients.list()],
            "client": client,
            "requests": [view(e, table.find(e.method, e.path)) for e in entries],
            "copies": copies,
        },
        status=400 if error else 200,
        error=error,
    )


async def _faults_page(
    request: Request, services: Services, *, status: int = 200, error: str | None = None
) -> Response:
    table = _operations(request)
    plan = services.faults.plan
    rules = list(plan.rules) if plan else []
    return render_console(
        request,
        "console_faults.html",
        "faults",
        {
            "enabled": services.faults.active,
            "seed": plan.seed if plan else None,
            "rules": rules,
            "rows": rules[:RULE_ROWS] + [None] * (RULE_ROWS - len(rules[:RULE_ROWS])),
            "kinds": FAULT_KINDS,
            "operations": [ALL_OPERATIONS, *sorted(table.names), *OUTBOUND_OPERATIONS],
            "recent": services.faults.history()[-20:][::-1],
            "latency": _latency_text,
        },
        status=status,
        error=error,
    )


def _latency_text(rule: FaultRule) -> str:
    low, high = rule.latency_ms
    if rule.kind != LATENCY:
        return ""
    return str(low) if low == high else f"{low}-{high}"


@router.get(FAULTS_URL)
async def faults(request: Request, services: PageServices) -> Response:
    """The plan in force in this process, its last draws, and the form that replaces it."""
    return await _faults_page(request, services)


@router.post(FAULTS_URL)
async def set_faults(request: Request, services: PageServices) -> Response:
    """Replace the plan with the form's rows (an empty row is no rule); streams restart."""

    async def action() -> str:
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
        services.faults.replace(fault_plan(form), _operations(request).names)
        return f"{FAULTS_URL}?done=faults-set"

    async def refused(status: int, error: str) -> Response:
        return await _faults_page(request, services, status=status, error=error)

    return await act(action, refused)


@router.post(FAULTS_URL + "/clear")
async def clear_faults(request: Request, services: PageServices) -> Response:
    """Switch faults off."""
    services.faults.clear()
    return see_other(f"{FAULTS_URL}?done=faults-cleared")


def fault_plan(form: FormData) -> FaultPlan:
    """The plan the form describes: `seed`, and per row `operations_<i>` (names separated by
    spaces or commas), `kind_<i>`, `probability_<i>`, `latency_<i>` (`40` or `20-80` ms)."""
    problems: dict[str, list[str]] = {}
    seed = _text(form, "seed")
    if not seed.isdigit() or len(seed) > 19 or int(seed) > SEED_MAX:
        problems["seed"] = ["A whole number from 0 (the same seed gives the same faults)."]
    rules: list[FaultRule] = []
    for index in range(RULE_ROWS):
        names = _text(form, f"operations_{index}").replace(",", " ").split()
        if not names:
            continue
        where = f"rules[{len(rules)}]"
        probability = _number(_text(form, f"probability_{index}") or "1")
        latency = _span(_text(form, f"latency_{index}"))
        if probability is None:
            problems.setdefault(where, []).append("probability: a number from 0 to 1")
        if latency is None:
            problems.setdefault(where, []).append("latency: milliseconds, 40 or 20-80")
        rules.append(
            FaultRule(
                tuple(names), _text(form, f"kind_{index}"), probability or 0.0, latency or (0, 0)
            )
        )
    if problems:
        raise FieldErrors(problems)
    return FaultPlan(int(seed), tuple(rules))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:200] if isinstance(value, str) else ""


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _span(text: str) -> tuple[int, int] | None:
    """`""` no latency, `"40"` a fixed one, `"20-80"` a range (checked by the injector)."""
    if not text:
        return (0, 0)
    low, _, high = text.partition("-")
    low, high = low.strip(), (high.strip() or low.strip())
    if not (low.isdigit() and high.isdigit()) or len(low) > 6 or len(high) > 6:
        return None
    return int(low), int(high)
