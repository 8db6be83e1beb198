"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.clock import SystemClock
from dpi_server.adapters.db import cache_writes, stats
from dpi_server.adapters.db.clock_store import SqlClockStore
from dpi_server.adapters.db.engine import create_engine, is_sqlite
from dpi_server.adapters.db.generations import SqlGenerationReader
from dpi_server.adapters.db.migrate import migrate
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.adapters.leader import FileLease, PostgresLease
from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.adapters.ratelimit_redis import RedisRateLimitStore
from dpi_server.adapters.ratelimit_sql import (
    PostgresRateLimitStore,
    SqliteFileRateLimitStore,
    ratelimit_file,
)
from dpi_server.adapters.webhooks import HttpxWebhookSender
from dpi_server.api.app import ApiOptions, create_app
from dpi_server.api.diagnostics import StatementCountMiddleware
from dpi_server.api.ratelimit import RateLimitMiddleware
from dpi_server.config import Settings
from dpi_server.domain.notifications import RetrySchedule
from dpi_server.services.access import AccessService
from dpi_server.services.address_services import AddressServicesService
from dpi_server.services.auth import AuthService
from dpi_server.services.auto_cancel import AutoCancelService
from dpi_server.services.bookings import BookingService
from dpi_server.services.cache import HotPathCache, NoSharedGeneration
from dpi_server.services.calendar import CalendarService
from dpi_server.services.clients import ClientAdminService
from dpi_server.services.delivery import DeliveryConfig, DeliveryService
from dpi_server.services.directory import DirectoryService
from dpi_server.services.estate_admin import EstateAdminService
from dpi_server.services.fault_sender import FaultingSender
from dpi_server.services.faults import PUSH, REALTIME, FaultInjector
from dpi_server.services.insurance import InsuranceService
from dpi_server.services.journal import RequestJournal
from dpi_server.services.leadership import Lease
from dpi_server.services.marketplace import MarketplaceService
from dpi_server.services.notification_ports import WebhookSender
from dpi_server.services.notifications import NotificationAdminService, NotificationService
from dpi_server.services.operator_auth import OperatorAuthService
from dpi_server.services.ports import Clock
from dpi_server.services.ratelimit import RateLimiter, RateLimitStore
from dpi_server.services.registry import Services
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.reset import ResetService
from dpi_server.services.scheduler import Scheduler
from dpi_server.services.shared_clock import ClockStore, SharedClock
from dpi_server.services.time_travel import TimeTravelService
from dpi_server.testing.memory_clock import MemoryClockStore


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    services: Services
    redis_store: RedisRateLimitStore | None = None
    file_store: SqliteFileRateLimitStore | None = None
    inline_sqlite: InlineSqlite | None = None
    # Principals and estates (services/cache.py); use cases that check paths read estates here.
    cache: HotPathCache | None = None
    # Background work runs under this lease, so once however many processes serve
    # (services/leadership.py `run_as_leader`).
    leader_lease: Lease | None = None
    sender: HttpxWebhookSender | None = None

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        if self.redis_store is not None:
            await self.redis_store.aclose()
        if self.file_store is not None:
            await self.file_store.aclose()
        if self.inline_sqlite is not None:
            self.inline_sqlite.dispose()
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
    engine = create_engine(
        settings.effective_database_url,
        echo=settings.sql_echo,
        synchronous=settings.sqlite_synchronous,
    )
    url = settings.effective_database_url
    # An in-memory database is private to each connection, so it must stay on one (aiosqlite's).
    file_backed = make_url(url).database not in (None, "", ":memory:")
    inline = (
        InlineSqlite(url, synchronous=settings.sqlite_synchronous)
        if is_sqlite(url) and file_backed and settings.sqlite_inline
        else None
    )
    if settings.count_statements:
        stats.install(engine)
        if inline is not None:
            stats.install(inline.engine)
    cache_writes.install(engine)
    if inline is not None:
        cache_writes.install(inline.engine)
    # Every process of a deployment tells the same (sandbox) time: its state is in the
    # database; the wall clock underneath is the system's, or the test's fake.
    clock_store: ClockStore = MemoryClockStore() if uow_factory else SqlClockStore(engine, inline)
    wall_clock: Clock = clock or SystemClock()
    shared_clock = SharedClock(wall_clock, clock_store)
    the_clock: Clock = shared_clock

    def written(families: frozenset[str]) -> None:
        if cache_writes.CLIENTS in families:
            cache.invalidate()
        else:
            cache.invalidate_calendar()

    def sql_uow(*, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, write=write, inline=inline, on_cache_write=written)

    uow: UnitOfWorkFactory = uow_factory or sql_uow

    store, redis_store, file_store = _rate_limit_store(settings, engine)
    # An in-memory unit of work (tests) shares its state with no other process.
    generations = NoSharedGeneration() if uow_factory else SqlGenerationReader(engine, inline)
    # Directory answers are kept only where the unit of work reports writes to them.
    cache = HotPathCache(uow, generations, keep_answers=uow_factory is None)
    http_sender: HttpxWebhookSender | None = None
    outbound: WebhookSender
    if sender is None:
        http_sender = HttpxWebhookSender(
            max_concurrency=settings.notify_concurrency, verify=settings.notify_verify_tls
        )
        outbound = http_sender
    else:
        outbound = sender
    # Sandbox faults reach outbound calls through the sender port (services/fault_sender.py).
    faults = FaultInjector()
    journal = RequestJournal(size=settings.journal_size, body_bytes=settings.journal_body_bytes)
    bookings = BookingService(uow, the_clock)
    calendar = CalendarService(uow, the_clock, cache)
    rate_limiter = RateLimiter(store)
    reset = ResetService(uow, the_clock)
    # What a reset must forget besides the database (services/reset.py); other processes
    # drop their caches through the generation bump the restore makes.
    reset.on_reset("hot-path cache", cache.invalidate)
    reset.on_reset("rate-limit counters", rate_limiter.reset)
    reset.on_reset("replaceSlots in-flight markers", calendar.forget_in_flight)
    delivery_config = delivery or DeliveryConfig(
        retry=RetrySchedule.parse(settings.notify_retry_minutes),
        push_timeout=settings.notify_push_timeout_seconds,
        batch_size=settings.notify_batch_size,
        lease_margin=settings.notify_lease_margin_seconds,
        health_checks=settings.notify_health_checks,
    )

    delivery_service = DeliveryService(
        uow, the_clock, FaultingSender(outbound, faults, PUSH), delivery_config
    )
    scheduler = Scheduler(
        the_clock, delivery_service, AutoCancelService(uow, the_clock), shared_clock.refresh
    )
    clients = ClientAdminService(uow, the_clock, cache)
    time_travel = TimeTravelService(shared_clock, scheduler, clients)

    async def clock_to_real_time() -> None:
        await time_travel.real()

    reset.on_reset("clock back to real time", clock_to_real_time)
    reset.on_reset("faults off", faults.clear)
    reset.on_reset("request journal", journal.clear)
    services = Services(
        clock=the_clock,
        uow=uow,
        access=AccessService(uow, cache),
        auth=AuthService(uow, the_clock, settings.token_lifetime_seconds, cache),
        clients=clients,
        estate_admin=EstateAdminService(uow, the_clock),
        directory=DirectoryService(uow, the_clock, cache),
        address_services=AddressServicesService(uow, the_clock),
        insurance=InsuranceService(uow),
        rate_limiter=rate_limiter,
        calendar=calendar,
        bookings=bookings,
        notifications=NotificationService(uow, the_clock),
        notification_admin=NotificationAdminService(uow, the_clock),
        delivery=delivery_service,
        marketplace=MarketplaceService(
            uow,
            the_clock,
            bookings,
            FaultingSender(outbound, faults, REALTIME),
            settings.notify_realtime_timeout_seconds,
        ),
        # The operator's sessions last 12 hours of the wall clock: time travel on the
        # console must not sign the operator out (or in for longer).
        operator_auth=OperatorAuthService(uow, wall_clock, settings.operator_token),
        scheduler=scheduler,
        time_travel=time_travel,
        reset=reset,
        faults=faults,
        journal=journal,
    )
    return Container(
        settings=settings,
        engine=engine,
        services=services,
        redis_store=redis_store,
        file_store=file_store,
        inline_sqlite=inline,
        cache=cache,
        leader_lease=_leader_lease(engine),
        sender=http_sender,
    )


def _rate_limit_store(
    settings: Settings, engine: AsyncEngine
) -> tuple[RateLimitStore, RedisRateLimitStore | None, SqliteFileRateLimitStore | None]:
    """The store `DPI_RATE_LIMIT_STORE` asks for; `auto` is Redis when configured, else the
    shared database store for `--workers` above 1, else process memory (docs/decisions.md
    "Several processes")."""
    kind = settings.rate_limit_store
    if kind == "auto":
        kind = "redis" if settings.redis_url else "database" if settings.workers > 1 else "memory"
    if kind == "redis":
        if not settings.redis_url:
            raise ValueError("DPI_RATE_LIMIT_STORE=redis needs DPI_REDIS_URL")
        redis = RedisRateLimitStore(settings.redis_url, prefix=settings.redis_prefix)
        return redis, redis, None
    if kind == "database":
        url = engine.url
        if not is_sqlite(str(url)):
            return PostgresRateLimitStore(engine), None, None
        if url.database and url.database != ":memory:":
            file_store = SqliteFileRateLimitStore(ratelimit_file(url.database))
            return file_store, None, file_store
    return MemoryRateLimitStore(), None, None


def _leader_lease(engine: AsyncEngine) -> Lease | None:
    url = engine.url
    if not is_sqlite(str(url)):
        return PostgresLease(engine, "dpi:background")
    if url.database and url.database != ":memory:":
        return FileLease(Path(f"{url.database}.leader"))
    return None


def build_app(container: Container, *, hot_reads: bool = True) -> FastAPI:
    """The API app; `hot_reads=False` leaves every request to the full stack (tests compare
    the two)."""
    settings = container.settings
    return create_app(
        container.services,
        ApiOptions(
            default_locale=settings.default_locale,
            https_port=settings.https_port,
            redirect_plain_http=not settings.insecure_http,
            max_body_bytes=settings.max_body_bytes,
            public_host=settings.effective_public_host,
            trusted_hosts=tuple(
                h for h in (settings.public_host, settings.host) if h and h not in ("0.0.0.0", "::")
            ),
            rate_limit=lambda app: RateLimitMiddleware(
                app, container.services.rate_limiter, container.services.clock
            ),
            on_shutdown=container.close,
            credentials_file=str(settings.credentials_file.resolve()),
            hot_reads=hot_reads,
            outermost=(
                (lambda app: StatementCountMiddleware(app, stats.begin_tally))
                if settings.count_statements
                else None
            ),
        ),
    )
