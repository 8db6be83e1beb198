"""The operator's console: the API clients, and each client's notification log, live.

The console's sections are listed in `SECTIONS` and drawn as its navigation; the client
controls (console_clients.py), the request journal and faults (console_journal.py), the
clock (console_clock.py) and reset (console_reset.py) are sections of their own, drawn with
`render_console`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, JSONResponse, Response

from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.clients import ApiClient
from dpi_server.domain.environments import ENVIRONMENTS
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.notifications import PENDING, STATES, DeliverySettings
from dpi_server.sandbox.pages.rendering import render
from dpi_server.sandbox.pages.session import PageServices, operator_page
from dpi_server.services.clients import ClientAdminError
from dpi_server.services.notification_ports import CopyRecord
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
CONSOLE_URL = "/console"
NOTIFICATIONS_URL = "/console/notifications"
CLIENTS_URL = "/console/clients"
CLOCK_URL = "/console/clock"
RESET_URL = "/console/reset"
JOURNAL_URL = "/console/journal"
FAULTS_URL = "/console/faults"
# (title, url) of each console section, in the navigation's order.
SECTIONS: list[tuple[str, str]] = [
    ("Clients", CONSOLE_URL),
    ("Notifications", NOTIFICATIONS_URL),
    ("Journal", JOURNAL_URL),
    ("Faults", FAULTS_URL),
    ("Clock", CLOCK_URL),
    ("Reset", RESET_URL),
]
# Shown besides the stored states: a pending push copy that has failed before.
RETRYING = "retrying"
LOG_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ClientRow:
    client: ApiClient
    facility_ids: list[int]
    delivery: DeliverySettings


def shown_state(copy: CopyRecord) -> str:
    return RETRYING if copy.state == PENDING and copy.attempts > 0 else copy.state


def _copy_json(copy: CopyRecord) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": copy.delivery_id,
        "client_id": copy.client_id,
        "name": copy.name,
        "mode": copy.mode,
        "state": shown_state(copy),
        "attempts": copy.attempts,
        "created_at": stamp(copy.created_at),
        "due_at": stamp(copy.due_at),
        "delivered_at": stamp(copy.delivered_at),
    }


async def _clients(services: Services) -> list[ClientRow]:
    rows = []
    for client, facility_ids in await services.clients.list():
        delivery = await services.notification_admin.delivery_of(client.client_id)
        rows.append(ClientRow(client, facility_ids, delivery))
    return rows


def _filters(request: Request) -> tuple[str | None, str | None, str | None]:
    """`?client=` and `?state=` of the log, and an error for a state that does not exist."""
    client = request.query_params.get("client") or None
    state = request.query_params.get("state") or None
    if state is not None and state not in STATES:
        return client, None, f"Unknown state {state[:40]!r}: one of {', '.join(STATES)}."
    return client, state, None


async def _log(
    services: Services, client: str | None, state: str | None
) -> tuple[list[CopyRecord], str | None]:
    try:
        return await services.notification_admin.list_copies(client, state, LOG_LIMIT), None
    except ClientAdminError as exc:
        return [], str(exc)


def render_console(
    request: Request,
    template: str,
    title: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    """A console section: the page with the sections' navigation."""
    values = {"title": f"Console: {title}", "sections": SECTIONS, **context}
    return render(request, template, values, status=status, error=error)


async def clients_page(
    request: Request,
    services: Services,
    *,
    status: int = 200,
    error: str | None = None,
    posted: FormData | None = None,
) -> HTMLResponse:
    """The clients table and the form that creates one (`posted`: what a refused form held)."""
    overview = await services.estate_admin.overview(OperatorActor())
    return render_console(
        request,
        "console_clients.html",
        "clients",
        {
            "rows": await _clients(services),
            "facilities": [entry.facility for entry in overview],
            "locales": sorted(LOCALES),
            "environments": ENVIRONMENTS,
            "posted": posted if posted is not None else FormData(),
        },
        status=status,
        error=error,
    )


@router.get(CONSOLE_URL)
async def console(request: Request, services: PageServices) -> Response:
    """Every API client with its delivery model and rate limits, and a new client's form."""
    return await clients_page(request, services)


@router.get(NOTIFICATIONS_URL)
async def notification_log(request: Request, services: PageServices) -> Response:
    """The newest notification copies, of one client or all; the page polls the JSON twin."""
    client, state, error = _filters(request)
    copies, missing = await _log(services, client, state)
    return render_console(
        request,
        "console_notifications.html",
        "notifications",
        {
            "clients": [c for c, _ in await services.clients.list()],
            "client": client,
            "state": state,
            "states": STATES,
            "copies": [_copy_json(c) for c in copies],
        },
        status=400 if error or missing else 200,
        error=error or missing,
    )


@router.get(NOTIFICATIONS_URL + "/{delivery_id}")
async def notification_copy(request: Request, delivery_id: int, services: PageServices) -> Response:
    """One copy: its notification body as stored, and every delivery attempt."""
    try:
        copy, body, attempts = await services.notification_admin.show_copy(delivery_id)
    except ClientAdminError as exc:
        return render(
            request, "error.html", {"title": "No such notification"}, status=404, error=str(exc)
        )
    return render_console(
        request,
        "console_copy.html",
        f"notification {delivery_id}",
        {
            "copy": _copy_json(copy),
            "body": _pretty(body),
            "attempts": attempts,
        },
    )


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@router.get(NOTIFICATIONS_URL + ".json")
async def notification_log_json(request: Request, services: PageServices) -> Response:
    """The same log as JSON, for the page's live update."""
    client, state, error = _filters(request)
    copies, missing = await _log(services, client, state)
    if error or missing:
        return JSONResponse({"errors": [], "message": error or missing}, status_code=400)
    return JSONResponse(
        {"copies": [_copy_json(c) for c in copies]}, headers={"Cache-Control": "no-store"}
    )
