"""Rendering the pages: one Jinja2 environment, the layout's context, and errors as text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dpi_server.domain.errors import DomainError
from dpi_server.domain.notifications import BookingDeniedByVendor

STATIC_URL = "/static/pages"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Messages a redirect after a successful form may show (`?done=<key>`): a fixed list, so a
# link can never make the page say something of an outsider's choosing.
DONE = {
    "signed-in": "Signed in as the operator.",
    "signed-out": "Signed out.",
    "booked": "The visit is booked.",
    "canceled": "The visit is canceled.",
    "moved": "The visit is moved.",
    "break-added": "The break is added.",
    "break-moved": "The break is moved.",
    "break-removed": "The break is removed.",
    "presence": "Presence is recorded.",
    "service-added": "The service is added.",
    "service-changed": "The service is changed.",
    "service-removed": "The service is removed.",
    "client-revoked": "The client is revoked: its tokens no longer work.",
    "environment-set": "The environment is set.",
    "delivery-set": "The delivery is saved.",
    "events-set": "The optional events are saved.",
    "limits-set": "The rate limits are saved.",
    "clock-frozen": "The clock is frozen.",
    "clock-real": "The clock is back to real time.",
    "clock-moved": "The clock moved forward.",
    "reset": "The sandbox is back to its snapshot.",
    "faults-set": "The fault plan is in force (its random streams start again from the seed).",
    "faults-cleared": "Faults are off.",
}


# Only our own scripts, styles and images run; no other site may frame a page; the pages
# show the operator's data, so no shared cache keeps them.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class PagesOptions:
    """What the pages tell besides the database: where `dpi serve` keeps the demo secrets."""

    credentials_file: str | None = None


def options_of(request: Request) -> PagesOptions:
    options: PagesOptions = request.app.state.pages_options
    return options


def error_text(error: DomainError) -> str:
    """A DomainError as one clear sentence (field errors listed), never a trace."""
    text = error.message
    fields = error.field_errors
    if fields:
        listed = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        text = f"{text}: {listed}"
    if isinstance(error, BookingDeniedByVendor):
        code = "none" if error.error_code is None else str(error.error_code)
        text = f"{text} (error_code {code}; {error.reason})"
    return text


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    done = DONE.get(request.query_params.get("done", ""))
    values = {
        "error": error,
        "done": None if error else done,
        "static": STATIC_URL,
        "signed_in": getattr(request.state, "signed_in", False),
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def error_page(request: Request, error: DomainError, *, status: int | None = None) -> HTMLResponse:
    """A page that could not be shown at all (unknown doctor, address...)."""
    code = status or (error.status if 400 <= error.status < 600 else 400)
    return render(
        request, "error.html", {"title": "Not available"}, status=code, error=error_text(error)
    )


def see_other(url: str) -> RedirectResponse:
    """After a successful form: the page again by GET (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def status_of(error: DomainError) -> int:
    """A refused form answers the page again with the error's 4xx (400 if it has none)."""
    return error.status if 400 <= error.status < 500 else 400


async def act(
    action: Callable[[], Awaitable[str]],
    refused: Callable[[int, str], Awaitable[Response]],
) -> Response:
    """A form's work: `action()` answers the URL to redirect to; a DomainError (a bad field,
    a rule's refusal) answers `refused(status, message)`, the page again with the error."""
    try:
        target = await action()
    except DomainError as exc:
        return await refused(status_of(exc), error_text(exc))
    return see_other(target)


def local(moment: datetime | None, zone: tzinfo, fmt: str = "%a %d %b %H:%M") -> str:
    return "" if moment is None else moment.astimezone(zone).strftime(fmt)
