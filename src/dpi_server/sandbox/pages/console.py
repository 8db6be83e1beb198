"""The operator's console: the API clients, and each client's notification log, live.

The console's sections are listed in `SECTIONS` and drawn as its navigation; the request
journal, fault injection and the clock get their own sections here when they exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from dpi_server.domain.clients import ApiClient
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
# (title, url) of each console section, in the navigation's order.
SECTIONS: list[tuple[str, str]] = [
    ("Clients", CONSOLE_URL),
    ("Notifications", NOTIFICATIONS_URL),
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


@router.get(CONSOLE_URL)
async def console(request: Request, services: PageServices) -> Response:
    """Every API client with its delivery model and rate limits."""
    return render(
        request,
        "console_clients.html",
        {"title": "Console: clients", "sections": SECTIONS, "rows": await _clients(services)},
    )


@router.get(NOTIFICATIONS_URL)
async def notification_log(request: Request, services: PageServices) -> Response:
    """The newest notification copies, of one client or all; the page polls the JSON twin."""
    client, state, error = _filters(request)
    copies, missing = await _log(services, client, state)
    return render(
        request,
        "console_notifications.html",
        {
            "title": "Console: notifications",
            "sections": SECTIONS,
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
    return render(
        request,
        "console_copy.html",
        {
            "title": f"Console: notification {delivery_id}",
            "sections": SECTIONS,
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
