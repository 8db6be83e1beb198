"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.clock import SystemClock
from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.adapters.ratelimit_redis import RedisRateLimitStore
from dpi_server.adapters.webhooks import HttpxWebhookSender
from dpi_server.api.app import ApiOptions, create_app
from dpi_server.api.ratelimit import RateLimitMiddleware
from dpi_server.config import Settings
from dpi_server.domain.notifications import RetrySchedule
from dpi_server.services.access import AccessService
from dpi_server.services.address_services import AddressServicesService
from dpi_server.services.auth import AuthService
from dpi_server.services.bookings import BookingService
from dpi_server.services.calendar import CalendarService
from dpi_server.services.clients import ClientAdminService
from dpi_server.services.delivery import DeliveryConfig, DeliveryService
from dpi_server.services.directory import DirectoryService
from dpi_server.services.insurance import InsuranceService
from dpi_server.services.marketplace import MarketplaceService
from dpi_server.services.notification_ports import WebhookSender
from dpi_server.services.notifications import NotificationService
from dpi_server.services.ports import Clock
from dpi_server.services.ratelimit import RateLimiter, RateLimitStore
from dpi_server.services.registry import Services
from dpi_server.services.repositories import UnitOfWorkFactory


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    services: Services
    redis_store: RedisRateLimitStore | None = None
    sender: HttpxWebhookSender | None = None

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        if self.redis_store is not None:
            await self.redis_store.aclose()
        if self.sender is not None:
            await self.sender.aclose()
        await self.engine.dispose()


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
    sender: WebhookSender | None = None,
    delivery: DeliveryConfig | None = None,
) -> Container:
    """Wire adapters and use cases. Nothing connects until first used.

    `uow_factory` replaces the SQL unit of work (tests pass `testing.InMemoryUnitOfWork`);
    `sender` the outbound HTTP client, `delivery` the dispatcher's tuning."""
    engine = create_engine(settings.effective_database_url, echo=settings.sql_echo)
    the_clock: Clock = clock or SystemClock()

    def sql_uow(*, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, write=write)

    uow: UnitOfWorkFactory = uow_factory or sql_uow

    redis_store = (
        RedisRateLimitStore(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else None
    )
    store: RateLimitStore = redis_store or MemoryRateLimitStore()
    http_sender: HttpxWebhookSender | None = None
    outbound: WebhookSender
    if sender is None:
        http_sender = HttpxWebhookSender(
            max_concurrency=settings.notify_concurrency, verify=settings.notify_verify_tls
        )
        outbound = http_sender
    else:
        outbound = sender
    bookings = BookingService(uow, the_clock)
    delivery_config = delivery or DeliveryConfig(
        retry=RetrySchedule.parse(settings.notify_retry_minutes),
        push_timeout=settings.notify_push_timeout_seconds,
        batch_size=settings.notify_batch_size,
        lease_margin=settings.notify_lease_margin_seconds,
        health_checks=settings.notify_health_checks,
    )

    services = Services(
        clock=the_clock,
        uow=uow,
        access=AccessService(uow),
        auth=AuthService(uow, the_clock, settings.token_lifetime_seconds),
        clients=ClientAdminService(uow, the_clock),
        directory=DirectoryService(uow, the_clock),
        address_services=AddressServicesService(uow, the_clock),
        insurance=InsuranceService(uow),
        rate_limiter=RateLimiter(store),
        calendar=CalendarService(uow, the_clock),
        bookings=bookings,
        notifications=NotificationService(uow, the_clock),
        delivery=DeliveryService(uow, the_clock, outbound, delivery_config),
        marketplace=MarketplaceService(
            uow, the_clock, bookings, outbound, settings.notify_realtime_timeout_seconds
        ),
    )
    return Container(
        settings=settings,
        engine=engine,
        services=services,
        redis_store=redis_store,
        sender=http_sender,
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
        ),
    )
