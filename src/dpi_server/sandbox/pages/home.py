"""`/` (what this server is, the estate, the credentials), signing in and signing out."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.errors import FieldErrors
from dpi_server.sandbox.pages import forms
from dpi_server.sandbox.pages.rendering import error_text, options_of, render, see_other
from dpi_server.sandbox.pages.session import (
    COOKIE,
    SIGN_IN_URL,
    PageServices,
    check_origin,
    clear_session_cookie,
    current_operator,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path of this server: `next` never sends anyone to another site."""
    parts = urlsplit(target)
    # Browsers read `/\\host` as `//host`, another site; control characters are never ours.
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return "/"
    return target


@router.get("/")
async def home(request: Request, services: PageServices) -> HTMLResponse:
    """What this server is, its estate, and (signed in) the credentials to use."""
    operator = await current_operator(request)
    request.state.signed_in = operator is not None
    base = str(request.base_url).rstrip("/")
    clients = []
    if operator is not None:
        clients = [c for c, _ in await services.clients.list() if c.usable]
    return render(
        request,
        "home.html",
        {
            "title": "dpi",
            "estate": await services.estate_admin.overview(OperatorActor()),
            "clients": clients,
            "urls": {
                "Token URL": f"{base}/oauth/v2/token",
                "API base URL": f"{base}/api/v3/integration",
                "Sandbox API URL": f"{base}/_sandbox",
            },
            "credentials_file": options_of(request).credentials_file,
        },
    )


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _sign_in_context(request: Request, target: str) -> dict[str, object]:
    # The session cookie is Secure: over plain HTTP a browser keeps it only for loopback.
    lost = request.url.scheme == "http" and request.url.hostname not in _LOOPBACK
    return {"title": "Sign in", "next": target, "cookie_lost": lost}


@router.get(SIGN_IN_URL)
async def sign_in_form(request: Request) -> HTMLResponse:
    target = _safe_next(request.query_params.get("next", "/"))
    return render(request, "sign_in.html", _sign_in_context(request, target))


@router.post(SIGN_IN_URL)
async def sign_in(request: Request, services: PageServices) -> Response:
    """The operator token becomes a session cookie; a wrong one answers the form again."""
    check_origin(request)
    try:
        form = await forms.read_form(request, forms.SignInForm)
    except FieldErrors as exc:
        return render(
            request,
            "sign_in.html",
            _sign_in_context(request, "/"),
            status=400,
            error=error_text(exc),
        )
    target = _safe_next(form.next)
    value = await services.operator_auth.open_session(form.token)
    if value is None:
        return render(
            request,
            "sign_in.html",
            _sign_in_context(request, target),
            status=400,
            error="That is not an operator token (see operator_token in demo-credentials.json).",
        )
    separator = "&" if "?" in target else "?"
    response = see_other(f"{target}{separator}done=signed-in")
    set_session_cookie(response, value)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, services: PageServices) -> RedirectResponse:
    check_origin(request)
    value = request.cookies.get(COOKIE)
    if value:
        services.operator_auth.close_session(value)
    response = see_other("/?done=signed-out")
    clear_session_cookie(response)
    return response
