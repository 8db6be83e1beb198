"""The console's client controls: create a client, and for one client its environment,
delivery model, rate limits, optional events, and revoking it.

They call the use cases `/_sandbox/clients` calls (services/clients.py ClientAdminService,
services/notifications.py `configure`). A secret the server makes (the client's, a new
signing secret) is shown once, on the page answering the form, so that answer is rendered
directly instead of redirected: a redirect would have to carry the secret in its URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import HTMLResponse, Response

from dpi_server.domain.errors import DomainError, FieldErrors
from dpi_server.domain.notifications import (
    DEFAULT_API_KEY_HEADER,
    OPTIONAL_EVENTS,
    DeliverySettings,
)
from dpi_server.sandbox.pages import console_forms as cf
from dpi_server.sandbox.pages.console import (
    CLIENTS_URL,
    CONSOLE_URL,
    clients_page,
    render_console,
)
from dpi_server.sandbox.pages.forms import MAX_FORM_FIELDS, read_form
from dpi_server.sandbox.pages.rendering import (
    act,
    error_page,
    error_text,
    see_other,
    status_of,
)
from dpi_server.sandbox.pages.session import PageServices, operator_page
from dpi_server.services.notifications import DeliveryChange
from dpi_server.services.registry import Services

# Every page here acts as the operator: no route of this router answers without a session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator_page)])
ClientId = Annotated[str, Path(max_length=80)]
CLIENT_PATH = CLIENTS_URL + "/{client_id}"


def client_url(client_id: str) -> str:
    return f"{CLIENTS_URL}/{client_id}"


async def _client_page(
    request: Request,
    services: Services,
    client_id: str,
    *,
    status: int = 200,
    error: str | None = None,
    shown_once: tuple[str, str] | None = None,
) -> HTMLResponse:
    """One client and its forms; `shown_once` is a (label, secret) the server just made."""
    try:
        [details] = await services.clients.details(client_id)
    except DomainError as exc:
        return error_page(request, exc)
    delivery = details.delivery
    return render_console(
        request,
        "console_client.html",
        details.client.name,
        {
            "section": CONSOLE_URL,
            "details": details,
            "url": client_url(client_id),
            "facilities": sorted(details.estate.facility_ids),
            "api_key_header": delivery.api_key_header or DEFAULT_API_KEY_HEADER,
            "optional_events": sorted(OPTIONAL_EVENTS),
            "shown_once": shown_once,
        },
        status=status,
        error=error,
    )


@router.post(CLIENTS_URL)
async def create_client(request: Request, services: PageServices) -> Response:
    """A new client with its facilities; the answer shows its secret, once."""
    # Read once with the pages' limits; read_form sees the same parsed form.
    posted = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    try:
        form = await read_form(request, cf.NewClientForm)
        created = await services.clients.create(
            form.name,
            form.locale,
            environment=form.environment,
            facilities=[(f, form.can_edit) for f in dict.fromkeys(form.facility)],
        )
    except DomainError as exc:
        return await clients_page(
            request, services, status=status_of(exc), error=error_text(exc), posted=posted
        )
    client_id = created.client.client_id
    return await _client_page(
        request,
        services,
        client_id,
        status=201,
        shown_once=("Client secret", created.client_secret),
    )


@router.get(CLIENT_PATH)
async def client_page(request: Request, client_id: ClientId, services: PageServices) -> Response:
    """One client: its estate, delivery, limits and events, each with its form."""
    return await _client_page(request, services, client_id)


async def _act(
    request: Request,
    services: Services,
    client_id: str,
    action: Callable[[], Awaitable[None]],
    done: str,
) -> Response:
    """Run `action()`; a refusal answers the client's page with the error, changing nothing."""

    async def run() -> str:
        await action()
        return f"{client_url(client_id)}?done={done}"

    async def refused(status: int, error: str) -> Response:
        return await _client_page(request, services, client_id, status=status, error=error)

    return await act(run, refused)


@router.post(CLIENT_PATH + "/revoke")
async def revoke(request: Request, client_id: ClientId, services: PageServices) -> Response:
    async def action() -> None:
        (await read_form(request, cf.ConfirmForm)).check("revoking the client")
        await services.clients.revoke(client_id)

    return await _act(request, services, client_id, action, "client-revoked")


@router.post(CLIENT_PATH + "/environment")
async def environment(request: Request, client_id: ClientId, services: PageServices) -> Response:
    async def action() -> None:
        form = await read_form(request, cf.EnvironmentForm)
        await services.clients.set_environment(client_id, form.environment)

    return await _act(request, services, client_id, action, "environment-set")


@router.post(CLIENT_PATH + "/limits")
async def limits(request: Request, client_id: ClientId, services: PageServices) -> Response:
    async def action() -> None:
        form = await read_form(request, cf.LimitsForm)
        await services.clients.set_limits(
            client_id,
            enabled=form.enabled,
            read_limit=form.read_limit,
            read_window_seconds=form.read_window_seconds,
            write_limit=form.write_limit,
            write_window_seconds=form.write_window_seconds,
        )

    return await _act(request, services, client_id, action, "limits-set")


@router.post(CLIENT_PATH + "/events")
async def events(request: Request, client_id: ClientId, services: PageServices) -> Response:
    """Exactly the ticked optional events: the others are turned off."""

    async def action() -> None:
        form = await read_form(request, cf.EventsForm)
        ticked = frozenset(form.event)
        change = DeliveryChange(enable_events=ticked, disable_events=OPTIONAL_EVENTS - ticked)
        await services.notification_admin.configure(client_id, change)

    return await _act(request, services, client_id, action, "events-set")


@router.post(CLIENT_PATH + "/delivery")
async def delivery(request: Request, client_id: ClientId, services: PageServices) -> Response:
    """The delivery form holds the whole model: what it shows is what is saved, except the
    API key's value (never shown: left empty, it stays) and signing's `keep`."""
    try:
        form = await read_form(request, cf.DeliveryForm)
        change = _delivery_change(form, await services.notification_admin.delivery_of(client_id))
        done = await services.notification_admin.configure(client_id, change)
    except DomainError as exc:
        return await _client_page(
            request, services, client_id, status=status_of(exc), error=error_text(exc)
        )
    if done.new_signing_secret is not None:
        shown = ("Signing secret", done.new_signing_secret)
        return await _client_page(request, services, client_id, shown_once=shown)
    return see_other(f"{client_url(client_id)}?done=delivery-set")


def _delivery_change(form: cf.DeliveryForm, current: DeliverySettings) -> DeliveryChange:
    if form.mode == "push" and not form.push_url:
        raise FieldErrors({"push_url": ["The push model needs a push URL."]})
    # The same URL again would forget the endpoint's health: only a change is sent.
    new_push = form.push_url if form.mode == "push" and form.push_url != current.push_url else None
    return DeliveryChange(
        push_url=new_push,
        pull=form.mode == "pull",
        api_key_header=form.api_key_header or "",
        api_key="" if form.clear_api_key else form.api_key,
        realtime_url=form.realtime_url,
        no_realtime=form.realtime_url is None,
        sign={"keep": None, "new": True, "off": False}[form.signing],
    )
