"""The marketplace side's commands that the public API has no operation for: a patient books
or moves a visit (through the real-time gate), and the doctor's address changes (commercial
type, an address assigned or unassigned). The sandbox API and the tests call them.

Real-time gate (behaviour.md §12, decisions.md "Notifications"): before a patient's booking or
move is stored, every client holding the facility that asked for real-time calls gets
`slot-booking` / `booking-moving` and has 5 s to answer. Meanwhile the slot is *held*: a hold
row that every availability check counts as busy, so nobody else can take it. The hold is
written and committed before the call and released in the transaction that stores the
booking, or on denial, timeout or error; no transaction stays open across the call.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from dpi_server.domain import booking_rules as rules
from dpi_server.domain import errors
from dpi_server.domain.actors import Actor, PatientActor, origin_of
from dpi_server.domain.calendar import slot_at
from dpi_server.domain.change_events import commercial_type_changed
from dpi_server.domain.directory import COMMERCIAL_TYPES, Address
from dpi_server.domain.events import AddressAssigned, AddressUnassigned, at_address
from dpi_server.domain.notification_payloads import (
    Directory,
    Json,
    booking_moving,
    slot_booking,
    to_body,
)
from dpi_server.domain.notifications import (
    REALTIME_TIMEOUT_SECONDS,
    BookingDeniedByVendor,
    DeliverySettings,
    is_delivered,
)
from dpi_server.domain.timefmt import format_datetime
from dpi_server.services.access import AddressScope, BookingScope, DoctorScope
from dpi_server.services.availability import load_availability
from dpi_server.services.bookings import (
    BookingService,
    BookingView,
    BookSlot,
    MoveBooking,
    plan_booking,
    plan_move,
)
from dpi_server.services.delivery import push_headers
from dpi_server.services.estate_admin import NewAddress, check_new_address
from dpi_server.services.notification_ports import WebhookSender
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory
from dpi_server.services.transactions import retrying

# A hold outlives the call by this much, so a process that dies holding one frees the slot
# soon (housekeeping drops expired holds) while a live caller always finishes first.
HOLD_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    error_code: int | None = None
    reason: str = ""


class MarketplaceService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        bookings: BookingService,
        sender: WebhookSender,
        realtime_timeout: float = REALTIME_TIMEOUT_SECONDS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._bookings = bookings
        self._sender = sender
        self._timeout = realtime_timeout

    # --- visits -------------------------------------------------------------------------------
    async def book(self, scope: AddressScope, start: datetime, request: BookSlot) -> BookingView:
        """A patient (or the doctor) books on the marketplace; a patient's booking passes the
        real-time gate first. A denial raises `BookingDeniedByVendor` and leaves the slot free."""
        wanted = rules.RequestedStart(start, format_datetime(start, scope.zone))
        gates = await self._gates(scope.actor, scope.address.facility_id)
        if not gates:
            return await self._bookings.book(scope, wanted, request)
        token, payload = await retrying(lambda: self._hold_booking(scope, wanted, request))
        return await self._through_gate(
            gates, payload, token, lambda: self._bookings.book(scope, wanted, request, hold=token)
        )

    async def move(self, found: BookingScope, request: MoveBooking) -> BookingView:
        """A patient (or the doctor) moves a visit; a patient's move passes the gate first."""
        gates = await self._gates(found.at.actor, found.booking.facility_id)
        if not gates:
            return await self._bookings.move(found, request)
        token, payload = await retrying(lambda: self._hold_move(found, request))
        return await self._through_gate(
            gates, payload, token, lambda: self._bookings.move(found, request, hold=token)
        )

    async def _through_gate(
        self,
        gates: list[DeliverySettings],
        payload: Json,
        token: str,
        store: Callable[[], Awaitable[BookingView]],
    ) -> BookingView:
        try:
            verdicts = await asyncio.gather(*(self._ask(g, payload) for g in gates))
            denied = next((v for v in verdicts if not v.allowed), None)
            if denied is not None:
                raise BookingDeniedByVendor(denied.error_code, denied.reason)
            view = await store()
        except BaseException:
            # Denied, timed out, failed or canceled: the slot is free again at once.
            await self._release(token)
            raise
        return view

    async def _gates(self, actor: Actor, facility_id: int) -> list[DeliverySettings]:
        if not isinstance(actor, PatientActor):
            return []
        async with self._uow() as uow:
            return await uow.notifications.realtime_clients(facility_id)

    async def _hold_booking(
        self, scope: AddressScope, wanted: rules.RequestedStart, request: BookSlot
    ) -> tuple[str, Json]:
        """bookSlot's checks, then a hold on the slot, committed before anyone is asked."""
        async with self._uow(write=True) as uow:
            now = self._clock.now()
            planned = await plan_booking(uow, scope, wanted, request, now)
            draft = planned.draft
            token = await self._hold(uow, scope.address.id, draft.start, draft.end, now)
            await uow.commit()
        services = {planned.service.id: planned.service}
        directory = Directory(scope.facility, scope.doctor, scope.address, scope.zone, services)
        return token, slot_booking(draft, directory, now)

    async def _hold_move(self, found: BookingScope, request: MoveBooking) -> tuple[str, Json]:
        """moveBooking's checks, then a hold on the target slot, as for a booking."""
        async with self._uow(write=True) as uow:
            now = self._clock.now()
            planned = await plan_move(uow, found, request, now)
            booking, draft = planned.booking, planned.draft
            services = {planned.service.id: planned.service}
            if booking.address_service_id is not None:
                own = await uow.address_services.get(booking.address_service_id)
                if own is not None:
                    services[own.id] = own
            token = await self._hold(uow, planned.target.id, draft.start, draft.end, now)
            await uow.commit()
        directory = Directory(
            found.at.facility, planned.target_doctor, planned.target, found.at.zone, services
        )
        return token, booking_moving(booking, draft, directory, now)

    async def _hold(
        self, uow: UnitOfWork, address_id: int, start: datetime, end: datetime, now: datetime
    ) -> str:
        token = str(uuid.uuid4())
        expires = now + timedelta(seconds=self._timeout) + HOLD_MARGIN
        await uow.notifications.add_hold(token, address_id, start, end, expires)
        return token

    async def _release(self, token: str) -> None:
        async with self._uow(write=True) as uow:
            await uow.notifications.release_hold(token)
            await uow.commit()

    async def _ask(self, gate: DeliverySettings, payload: Json) -> Verdict:
        """2xx within the timeout allows; anything else denies, a 4xx JSON `error_code`
        telling the patient why."""
        assert gate.realtime_url is not None
        body = to_body(payload).encode()
        # Real-time calls are not stored copies: each has a message id of its own.
        headers = push_headers(gate, f"rt_{uuid.uuid4().hex}", body, self._clock.now())
        answer = await self._sender.post(gate.realtime_url, body, headers, self._timeout)
        if is_delivered(answer.status_code):
            return Verdict(True)
        code = None
        if answer.status_code is not None and 400 <= answer.status_code < 500:
            code = _error_code(answer.body, answer.content_type)
        return Verdict(False, code, answer.error or f"HTTP {answer.status_code}")

    # --- the doctor's addresses ---------------------------------------------------------------
    async def change_commercial_type(self, scope: AddressScope, commercial_type: str) -> Address:
        if commercial_type not in COMMERCIAL_TYPES:
            raise errors.FieldErrors(
                {"commercial_type": [f"The value must be one of: {', '.join(COMMERCIAL_TYPES)}."]}
            )

        async def attempt() -> Address:
            async with self._uow(write=True) as uow:
                await uow.directory.update_address(
                    scope.address.id, commercial_type=commercial_type
                )
                updated = await uow.directory.get_address(scope.address.id)
                assert updated is not None
                if updated.commercial_type != scope.address.commercial_type:
                    uow.collect([commercial_type_changed(updated, scope.actor, self._clock.now())])
                await uow.commit()
            return updated

        return await retrying(attempt)

    async def assign_address(self, scope: DoctorScope, new: NewAddress) -> Address:
        """A new address of the doctor at the scope's facility: `address-assigned`."""
        check_new_address(new)

        async def attempt() -> Address:
            async with self._uow(write=True) as uow:
                address_id = await uow.estate_writer.add_address(
                    scope.facility.id, scope.doctor.id, **asdict(new)
                )
                created = await uow.directory.get_address(address_id)
                assert created is not None
                context = at_address(created, origin_of(scope.actor), self._clock.now())
                uow.collect([AddressAssigned(context=context, address=created)])
                await uow.commit()
            return created

        return await retrying(attempt)

    async def reassign_address(self, scope: AddressScope) -> Address:
        """The doctor works at an address again after it was unassigned: it is enabled and
        `address-assigned` is raised; 409 when it is assigned already."""
        return await self._set_assigned(scope, True)

    async def unassign_address(self, scope: AddressScope) -> Address:
        """The doctor no longer works at the address: it is disabled (no calendar can be
        enabled there) and `address-unassigned` is raised; 409 when it is unassigned already."""
        return await self._set_assigned(scope, False)

    async def _set_assigned(self, scope: AddressScope, assigned: bool) -> Address:
        async def attempt() -> Address:
            async with self._uow(write=True) as uow:
                current = await uow.directory.get_address(scope.address.id)
                assert current is not None
                if current.is_enabled == assigned:
                    raise (
                        errors.AddressAlreadyAssigned()
                        if assigned
                        else errors.AddressAlreadyUnassigned()
                    )
                await uow.directory.update_address(scope.address.id, is_enabled=assigned)
                updated = await uow.directory.get_address(scope.address.id)
                assert updated is not None
                context = at_address(updated, origin_of(scope.actor), self._clock.now())
                event = AddressAssigned if assigned else AddressUnassigned
                uow.collect([event(context=context, address=updated)])
                await uow.commit()
            return updated

        return await retrying(attempt)

    async def offered_duration(
        self, scope: AddressScope, start: datetime, address_service_id: int
    ) -> int:
        """How long a visit of this service lasts when booked in the slot at `start`: a
        patient picks a slot, not a duration. A slot that does not offer the service is
        bookSlot's 404s (unknown service, no such slot, service not supported)."""
        async with self._uow() as uow:
            service = await uow.address_services.get(address_service_id)
            if (
                service is None
                or service.deleted_at is not None
                or service.address_id != scope.address.id
            ):
                raise errors.ServiceDoesNotExist()
            availability = await load_availability(
                uow, scope.address.id, start, start + timedelta(minutes=1)
            )
        slot = slot_at(availability.periods, availability.busy, start, self._clock.now())
        shown = format_datetime(start, scope.zone)
        if slot is None:
            raise errors.UnableToPerformBookingWithSlot(shown)
        for offered in slot.services:
            if offered.address_service_id == address_service_id:
                return offered.duration
        raise errors.UnableToPerformBookingWithService(shown, address_service_id)


def _error_code(body: bytes, content_type: str) -> int | None:
    if "json" not in content_type:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    code = parsed.get("error_code") if isinstance(parsed, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None
