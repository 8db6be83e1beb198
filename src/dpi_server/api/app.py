"""The ASGI application: routers, the error seam and the pure-ASGI middleware stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from dpi_server.api.body import add_request_schemas
from dpi_server.api.errors import install_error_handlers
from dpi_server.api.middleware import (
    API_PREFIX,
    BearerAuthMiddleware,
    BodyLimitMiddleware,
    HttpsRedirectMiddleware,
)
from dpi_server.api.routes import (
    addresses,
    bookings,
    breaks,
    calendar,
    facilities,
    insurance,
    notifications,
    oauth,
    services,
)
from dpi_server.services.registry import Services

API_VERSION = "1.14.0"


@dataclass(frozen=True, slots=True)
class ApiOptions:
    default_locale: str = "pl"
    https_port: int = 443
    redirect_plain_http: bool = True
    max_body_bytes: int = 8 * 1024 * 1024
    # Wraps the router inside authentication (it needs the principal); see api/ratelimit.py.
    rate_limit: Callable[[ASGIApp], ASGIApp] | None = None
    on_shutdown: Callable[[], Awaitable[None]] | None = None


def create_app(services_: Services, options: ApiOptions | None = None) -> FastAPI:
    opts = options or ApiOptions()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if opts.on_shutdown is not None:
            await opts.on_shutdown()

    app = FastAPI(
        title="dpi: Docplanner Integrations API",
        version=API_VERSION,
        description=(
            "A self-hostable implementation of the Docplanner Integrations API. "
            "Every path below `/api/v3/integration` needs `Authorization: Bearer <token>` "
            "from `POST /oauth/v2/token`."
        ),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services_
    _document_request_bodies(app)
    install_error_handlers(app)
    app.include_router(oauth.router)
    for module in (
        facilities,
        addresses,
        services,
        insurance,
        calendar,
        breaks,
        bookings,
        notifications,
    ):
        app.include_router(module.router, prefix=API_PREFIX)

    # Starlette applies add_middleware in reverse: the last added runs first.
    if opts.rate_limit is not None:
        app.add_middleware(_Wrap, wrap=opts.rate_limit)
    app.add_middleware(
        BearerAuthMiddleware,
        auth=lambda: services_.auth,
        default_locale=opts.default_locale,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=opts.max_body_bytes)
    if opts.redirect_plain_http:
        app.add_middleware(HttpsRedirectMiddleware, https_port=opts.https_port)
    return app


def _document_request_bodies(app: FastAPI) -> None:
    """Bodies are read by a dependency (api/body.py), so FastAPI cannot see their models:
    add them to the generated document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            add_request_schemas(document)
            notifications.add_notification_schemas(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class _Wrap:
    """Adapts a `wrap(app) -> app` factory to Starlette's middleware registration."""

    def __init__(self, app: ASGIApp, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        self._inner = wrap(app)

    async def __call__(self, scope: object, receive: object, send: object) -> None:
        await self._inner(scope, receive, send)  # type: ignore[arg-type]
