"""The use cases the entry points (HTTP, CLI, sandbox) are given by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from dpi_server.services.access import AccessService
from dpi_server.services.address_services import AddressServicesService
from dpi_server.services.auth import AuthService
from dpi_server.services.bookings import BookingService
from dpi_server.services.calendar import CalendarService
from dpi_server.services.clients import ClientAdminService
from dpi_server.services.delivery import DeliveryService
from dpi_server.services.directory import DirectoryService
from dpi_server.services.estate_admin import EstateAdminService
from dpi_server.services.faults import FaultInjector
from dpi_server.services.insurance import InsuranceService
from dpi_server.services.journal import RequestJournal
from dpi_server.services.marketplace import MarketplaceService
from dpi_server.services.notifications import NotificationAdminService, NotificationService
from dpi_server.services.operator_auth import OperatorAuthService
from dpi_server.services.ports import Clock
from dpi_server.services.ratelimit import RateLimiter
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.reset import ResetService
from dpi_server.services.scheduler import Scheduler
from dpi_server.services.time_travel import TimeTravelService


@dataclass(frozen=True, slots=True)
class Services:
    clock: Clock
    uow: UnitOfWorkFactory
    access: AccessService
    auth: AuthService
    clients: ClientAdminService
    estate_admin: EstateAdminService
    directory: DirectoryService
    address_services: AddressServicesService
    insurance: InsuranceService
    rate_limiter: RateLimiter
    calendar: CalendarService
    bookings: BookingService
    notifications: NotificationService
    notification_admin: NotificationAdminService
    delivery: DeliveryService
    marketplace: MarketplaceService
    operator_auth: OperatorAuthService
    # All due work, in real time and under time travel (services/scheduler.py).
    scheduler: Scheduler
    # The sandbox clock's controls; `services.clock` is that clock.
    time_travel: TimeTravelService
    # The sandbox's reset; parts with process state register hooks (`on_reset`).
    reset: ResetService
    # In-process sandbox state (docs/decisions.md "Faults and the request journal").
    faults: FaultInjector = field(default_factory=FaultInjector)
    journal: RequestJournal = field(default_factory=RequestJournal)
