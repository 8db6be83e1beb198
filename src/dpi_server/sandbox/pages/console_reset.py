"""The console's reset: the sandbox back to its snapshot (services/reset.py), as
`POST /_sandbox/reset` does, behind a ticked confirmation box.

The use case refuses (409) while an active production client exists or when there is no
snapshot; the page shows that refusal in its own words.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dpi_server.domain.actors import OperatorActor
from dpi_server.sandbox.pages import console_forms as cf
from dpi_server.sandbox.pages.console import RESET_URL, render_console
from dpi_server.sandbox.pages.forms import read_form
from dpi_server.sandbox.pages.rendering import act
from dpi_server.sandbox.pages.session import PageServices, operator_page
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
Operator = Annotated[OperatorActor, Depends(operator_page)]


async def _page(
    request: Request, services: Services, *, status: int = 200, error: str | None = None
) -> Response:
    clients = [client for client, _ in await services.clients.list()]
    return render_console(
        request,
        "console_reset.html",
        "reset",
        {
            "snapshot_taken_at": await services.reset.snapshot_taken_at(),
            "hooks": services.reset.hooks,
            "production": [c for c in clients if c.is_live_production],
        },
        status=status,
        error=error,
    )


@router.get(RESET_URL)
async def reset_page(request: Request, services: PageServices) -> Response:
    """What a reset goes back to, and the form that does it."""
    return await _page(request, services)


@router.post(RESET_URL)
async def reset(request: Request, operator: Operator, services: PageServices) -> Response:
    async def action() -> str:
        (await read_form(request, cf.ConfirmForm)).check("the reset")
        await services.reset.reset(operator)
        return f"{RESET_URL}?done=reset"

    async def refused(status: int, error: str) -> Response:
        return await _page(request, services, status=status, error=error)

    return await act(action, refused)
