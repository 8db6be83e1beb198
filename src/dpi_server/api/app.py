"""The ASGI application: routers, the error seam and the pure-ASGI middleware stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from dpi_server.api.body import add_request_schemas
from dpi_server.api.clock_sync import ClockSyncMiddleware
from dpi_server.api.contract import apply_contract
from dpi_server.api.docs import install_docs
from dpi_server.api.errors import install_error_handlers
from dpi_server.api.faults import FaultMiddleware
from dpi_server.api.hot_booking import HotBookingMiddleware
from dpi_server.api.hot_reads import HotReadMiddleware
from dpi_server.api.journal import JournalMiddleware
from dpi_server.api.middleware import (
    API_PREFIX,
    BearerAuthMiddleware,
    BodyLimitMiddleware,
    HostGuardMiddleware,
    HttpsRedirectMiddleware,
)
from dpi_server.api.operations import OperationTable
from dpi_server.api.request_id import install_request_id
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
from dpi_server.sandbox.api import install_sandbox_api
from dpi_server.sandbox.pages import PagesOptions, install_pages
from dpi_server.services.registry import Services

API_VERSION = "1.14.0"
OPENAPI_URL = "/openapi.json"


@dataclass(frozen=True, slots=True)
class ApiOptions:
    default_locale: str = "pl"
    https_port: int = 443
    redirect_plain_http: bool = True
    max_body_bytes: int = 8 * 1024 * 1024
    # The host redirects and absolute URLs name when a request's Host is not a known one;
    # `trusted_hosts` are accepted besides it, the marketplace domains and loopback names.
    public_host: str = "127.0.0.1"
    trusted_hosts: tuple[str, ...] = ()
    # Wraps the router inside authentication (it needs the principal); see api/ratelimit.py.
    rate_limit: Callable[[ASGIApp], ASGIApp] | None = None
    on_shutdown: Callable[[], Awaitable[None]] | None = None
    # Outermost wrapper, for diagnostics that must see the whole request (statement counts).
    outermost: Callable[[ASGIApp], ASGIApp] | None = None
    # Where `dpi serve` wrote demo-credentials.json: the home page says where the secret is.
    credentials_file: str | None = None
    # The lean paths of the hottest reads and of bookSlot (api/hot_reads.py,
    # api/hot_booking.py); off only to compare with them.
    hot_reads: bool = True


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
            "from `POST /oauth/v2/token` (OAuth2 client credentials). Success bodies are "
            "`application/vnd.docplanner+json; charset=UTF-8`, errors "
            '`application/vnd.error+docplanner+json` (`{"errors": ..., "message": ...}`). '
            "Plain-HTTP requests are answered `308` to the same URL on HTTPS, and a method a "
            "path does not support answers `405` with the error envelope and `Allow`."
        ),
        lifespan=lifespan,
        # dpi exports no OpenTelemetry; with it off FastAPI skips its per-request probe of
        # the global providers (issue #8: a tenth of the hottest read's time).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        # Served by install_docs with bundled assets instead of FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    app.state.services = services_
    _install_contract(app)
    install_docs(app, OPENAPI_URL)
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
    install_sandbox_api(app)
    install_pages(app, PagesOptions(credentials_file=opts.credentials_file))
    app.state.operations = operations = OperationTable(app.routes)

    # Starlette applies add_middleware in reverse: the last added runs first. Per request:
    # the request id, statement counts (diagnostics only), the clock sync, host check, HTTPS
    # redirect, body limit, bearer authentication, the journal, sandbox faults, rate limit,
    # the hot reads and bookSlot, then FastAPI's router.
    if opts.hot_reads:
        app.add_middleware(HotBookingMiddleware, services=lambda: services_)
        app.add_middleware(HotReadMiddleware, services=lambda: services_)
    if opts.rate_limit is not None:
        app.add_middleware(_Wrap, wrap=opts.rate_limit)
    # Sandbox faults and the journal: after authentication, before the rate limiter (a faulted
    # request is not counted; the journal sees the quota headers and every injected answer).
    app.add_middleware(FaultMiddleware, services=services_, operations=operations)
    app.add_middleware(JournalMiddleware, services=services_)
    app.add_middleware(
        BearerAuthMiddleware,
        auth=lambda: services_.auth,
        default_locale=opts.default_locale,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=opts.max_body_bytes)
    if opts.redirect_plain_http:
        app.add_middleware(HttpsRedirectMiddleware, https_port=opts.https_port)
    app.add_middleware(
        HostGuardMiddleware,
        fallback=opts.public_host,
        fallback_port=opts.https_port,
        extra_hosts=opts.trusted_hosts,
        default_locale=opts.default_locale,
    )
    # Before anything reads the clock (the rate limiter, token expiry, the routes).
    app.add_middleware(ClockSyncMiddleware, sync=lambda: services_.time_travel.sync())
    if opts.outermost is not None:
        app.add_middleware(_Wrap, wrap=opts.outermost)
    # Around everything, Starlette's error middleware included: X-Request-Id on every answer.
    install_request_id(app)
    return app


def _install_contract(app: FastAPI) -> None:
    """`app.openapi()` answers the contract (api/contract), built once from FastAPI's own
    document. Bodies are read by a dependency (api/body.py), so FastAPI cannot see their
    models: they are added first."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "contract_document", None) is None:
            document = generate()
            add_request_schemas(document)
            notifications.add_notification_schemas(document)
            app.state.contract_document = apply_contract(document)
            app.openapi_schema = app.state.contract_document
        contract: dict[str, Any] = app.state.contract_document
        return contract

    app.openapi = openapi  # type: ignore[method-assign]


class _Wrap:
    """Adapts a `wrap(app) -> app` factory to Starlette's middleware registration."""

    def __init__(self, app: ASGIApp, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        self._inner = wrap(app)

    async def __call__(self, scope: object, receive: object, send: object) -> None:
        await self._inner(scope, receive, send)  # type: ignore[arg-type]
