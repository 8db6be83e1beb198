"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.clock import SystemClock
from dpi_server.adapters.db import stats
from dpi_server.adapters.db.engine import create_engine, is_sqlite
from dpi_server.adapters.db.generations import SqlGenerationReader
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.adapters.ratelimit_redis import RedisRateLimitStore
from dpi_server.api.app import ApiOptions, create_app
from dpi_server.api.diagnostics import StatementCountMiddleware
from dpi_server.api.ratelimit import RateLimitMiddleware
from dpi_server.config import Settings
from dpi_server.services.address_services import AddressServicesService, InsuranceService
from dpi_server.services.auth import AuthService
from dpi_server.services.bookings import BookingService
from dpi_server.services.cache import HotPathCache
from dpi_server.services.calendar import CalendarService
from dpi_server.services.clients import ClientAdminService
from dpi_server.services.directory import DirectoryService
from dpi_server.services.ports import Clock
from dpi_server.services.ratelimit import RateLimiter, RateLimitStore
from dpi_server.services.registry import Services


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    services: Services
    redis_store: RedisRateLimitStore | None = None
    inline_sqlite: InlineSqlite | None = None
    # Principals and estates (services/cache.py); use cases that check paths read estates here.
    cache: HotPathCache | None = None

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        if self.redis_store is not None:
            await self.redis_store.aclose()
        if self.inline_sqlite is not None:
            self.inline_sqlite.dispose()
        await self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    """Wire adapters and use cases. Nothing connects until first used."""
    engine = create_engine(settings.effective_database_url, echo=settings.sql_echo)
    url = settings.effective_database_url
    inline = InlineSqlite(url) if is_sqlite(url) and settings.sqlite_inline else None
    if settings.count_statements:
        stats.install(engine)
        if inline is not None:
            stats.install(inline.engine)
    the_clock: Clock = clock or SystemClock()

    def uow(*, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, write=write, inline=inline)

    redis_store = (
        RedisRateLimitStore(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else None
    )
    store: RateLimitStore = redis_store or MemoryRateLimitStore()
    cache = HotPathCache(uow, SqlGenerationReader(engine, inline))

    services = Services(
        clock=the_clock,
        uow=uow,
        auth=AuthService(uow, the_clock, settings.token_lifetime_seconds, cache),
        clients=ClientAdminService(uow, the_clock, cache),
        directory=DirectoryService(uow, the_clock),
        address_services=AddressServicesService(uow, the_clock),
        insurance=InsuranceService(uow),
        rate_limiter=RateLimiter(store),
        calendar=CalendarService(uow, the_clock),
        bookings=BookingService(uow, the_clock),
    )
    return Container(
        settings=settings,
        engine=engine,
        services=services,
        redis_store=redis_store,
        inline_sqlite=inline,
        cache=cache,
    )


def build_app(container: Container) -> FastAPI:
    settings = container.settings
    return create_app(
        container.services,
        ApiOptions(
            default_locale=settings.default_locale,
            https_port=settings.https_port,
            redirect_plain_http=not settings.insecure_http,
            max_body_bytes=settings.max_body_bytes,
            rate_limit=lambda app: RateLimitMiddleware(
                app, container.services.rate_limiter, container.services.clock
            ),
            on_shutdown=container.close,
            outermost=(
                (lambda app: StatementCountMiddleware(app, stats.begin_tally))
                if settings.count_statements
                else None
            ),
        ),
    )
