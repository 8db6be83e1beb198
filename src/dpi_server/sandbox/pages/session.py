"""Signing in to the pages, and the CSRF check of every form they post.

The session cookie holds a value signed by `OperatorAuthService.open_session` (expiry and an
HMAC keyed by the operator token's stored hash): `HttpOnly` (no script reads it), `Secure`
(HTTPS only; browsers treat `localhost` as secure too) and `SameSite=Strict` (never sent on a
request another site starts). Posted forms are refused unless their `Origin` (or, without
one, `Referer`) is this server's own origin: with the cookie's SameSite rule that closes
cross-site form posts, login CSRF included.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.responses import Response

from dpi_server.domain.actors import OperatorActor
from dpi_server.services.access import AddressRef
from dpi_server.services.operator_auth import SESSION_LIFETIME
from dpi_server.services.registry import Services

COOKIE = "dpi_console"
SIGN_IN_URL = "/sign-in"


class SignInRequired(Exception):
    """A protected page without a session: answered by a redirect to the sign-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in first")
        self.location = f"{SIGN_IN_URL}?next={quote(next_url, safe='')}"


class ForeignOrigin(Exception):
    """A form posted from another origin (or with neither `Origin` nor `Referer`): 403."""

    message = "This form was not posted from this server's own pages."


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def check_origin(request: Request) -> None:
    """403 unless the posting page is one of ours (`Origin`, else `Referer`)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = urlsplit(request.headers.get("referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else None
    if origin != own_origin(request):
        raise ForeignOrigin()


async def current_operator(request: Request) -> OperatorActor | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    return await services_of(request).operator_auth.session(value)


async def operator_page(request: Request) -> OperatorActor:
    """A page that acts as the operator: the signed-in operator, else a redirect to sign in.
    A POST must also come from our own origin."""
    if request.method == "POST":
        check_origin(request)
    actor = await current_operator(request)
    if actor is None:
        target = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        raise SignInRequired(target)
    request.state.signed_in = True
    return actor


def set_session_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")


PageServices = Annotated[Services, Depends(services_of)]


def address_path(facility_id: int, doctor_id: int, address_id: int) -> AddressRef:
    """The address a marketplace or doctor page's path names."""
    return AddressRef(facility_id, doctor_id, address_id)


AddressPath = Annotated[AddressRef, Depends(address_path)]
