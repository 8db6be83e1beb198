"""What the notification tests share: a real local HTTP receiver standing for the vendor's
endpoint, schema validation of every payload, and the marketplace-side actions that produce
each of the 17 notification types (acting as patient or doctor where the API cannot)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema_rs

from dpi_server.api.routes.notifications import notification_schemas
from dpi_server.domain.actors import DoctorActor, PatientActor
from dpi_server.domain.booking_rules import VisitDetails
from dpi_server.domain.bookings import Patient
from dpi_server.services.access import AddressRef
from dpi_server.services.bookings import BookingView, BookSlot, MoveBooking
from dpi_server.services.notifications import DeliveryChange
from dpi_server.services.registry import Services
from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, Cal, at, period
from tests.api.support import success
from tests.conftest import Api


class _Server(ThreadingHTTPServer):
    # The dispatcher opens many connections at once; the default backlog of 5 drops some.
    request_queue_size = 256
    daemon_threads = True


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers as told."""

    answer: Callable[[Received], Answer] = lambda _r: Answer()
    requests: list[Received] = field(default_factory=list)
    gate: threading.Event | None = None

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                    time.time(),
                )
                receiver.requests.append(got)
                if receiver.gate is not None and self.command == "POST":
                    receiver.gate.wait(30)
                reply = receiver.answer(got) if self.command == "POST" else Answer()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the caller gave up (timeout): nothing to answer

            do_POST = _handle
            do_GET = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()


def validate(notification: Any) -> str:
    """Check a notification against the JSON Schema of its type; returns its name."""
    name = notification["name"]
    schema = notification_schemas()[name]
    jsonschema_rs.validator_for(schema).validate(notification)
    return str(name)


async def pull_all(api: Api, estate: TestEstate) -> list[Any]:
    """Everything queued for the estate's client, oldest first."""
    found: list[Any] = []
    while True:
        response = await api.http.get(
            "/api/v3/integration/notifications/multiple?limit=100", headers=estate.headers
        )
        if response.status_code == 404:
            return found
        found.extend(success(response)["notifications"])


async def configure(api: Api, estate: TestEstate, **change: Any) -> None:
    await api.container.services.notification_admin.configure(
        estate.client_id, DeliveryChange(**change)
    )


def ref(estate: TestEstate, index: int = 0) -> AddressRef:
    return AddressRef(*estate.extra["address_paths"][index])


PATIENT = PatientActor()
DOCTOR = DoctorActor()
VISIT = VisitDetails(Patient(name="Anna", phone="+48500100200", surname="Nowak"), comment="hi")


class Marketplace:
    """The patient's and the doctor's side of one estate, driven through the use cases."""

    def __init__(self, api: Api, estate: TestEstate) -> None:
        self.api = api
        self.estate = estate
        self.cal = Cal(api, estate)

    @property
    def services(self) -> Services:
        return self.api.container.services

    async def open_tuesday(self, address: int = 0) -> None:
        """Availability on Tuesday 09:00-12:00 for both services of the address (no events)."""
        success_sid = self.cal.sid(address), self.cal.sid(address, 1)
        await self.cal.enable(address)
        await self.cal.publish(
            period(at(TUE, "09:00"), at(TUE, "12:00"), (success_sid[0], 30), (success_sid[1], 20)),
            address=address,
        )

    async def book(
        self, hhmm: str = "09:00", address: int = 0, actor: Any = PATIENT, **details: Any
    ) -> BookingView:
        scope = await self.services.access.address(actor, ref(self.estate, address))
        visit = VisitDetails(VISIT.patient, comment="hi", **details)
        request = BookSlot(int(self.cal.sid(address)), 30, visit)
        start = datetime.fromisoformat(at(TUE, hhmm))
        return await self.services.marketplace.book(scope, start, request)

    async def booking_scope(self, booking_id: int, address: int = 0, actor: Any = DOCTOR) -> Any:
        return await self.services.access.booking(actor, ref(self.estate, address), booking_id)

    async def move(self, booking_id: int, hhmm: str, actor: Any = PATIENT) -> BookingView:
        found = await self.booking_scope(booking_id, actor=actor)
        request = MoveBooking(datetime.fromisoformat(at(TUE, hhmm)), int(self.cal.sid()))
        return await self.services.marketplace.move(found, request)


def after(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


@dataclass
class OtherClient:
    """A second API client of the same locale, with a token."""

    client_id: str
    client_pk: int
    headers: dict[str, str]


async def other_client(api: Api, facility_ids: list[int]) -> OtherClient:
    admin = api.container.services.clients
    created = await admin.create(f"Other {time.monotonic_ns()}", "pl")
    for facility_id in facility_ids:
        await admin.assign_facility(created.client.client_id, facility_id)
    issued = await api.container.services.auth.issue_token(
        grant_type="client_credentials",
        scope="integration",
        client_id=created.client.client_id,
        client_secret=created.client_secret,
    )
    return OtherClient(
        created.client.client_id,
        created.client.pk,
        {"Authorization": f"Bearer {issued.access_token}"},
    )


async def pull_with(api: Api, headers: dict[str, str]) -> list[Any]:
    found: list[Any] = []
    while True:
        response = await api.http.get(
            "/api/v3/integration/notifications/multiple?limit=100", headers=headers
        )
        if response.status_code == 404:
            return found
        found.extend(success(response)["notifications"])


async def doctor_break(api: Api, estate: TestEstate, address: int = 0, hour: int = 12) -> int:
    """The doctor adds a one-hour break on Wednesday: one `break-created`."""
    from dpi_server.services.calendar import NewBreak

    scope = await api.container.services.access.address(DOCTOR, ref(estate, address))
    since = datetime.fromisoformat(at("2026-01-07", f"{hour:02d}:00"))
    created = await api.container.services.calendar.add_break(
        scope, NewBreak(since, since + timedelta(hours=1))
    )
    return created.id


async def enqueue_breaks(
    services: Services, estate: TestEstate, count: int, first: int = 1
) -> None:
    """`count` break-created events at the estate's first address, numbered from `first` in
    their break id, stored through the real unit of work in chunks (fan-out included).

    The breaks themselves are not stored: the events carry their snapshot, which is all a
    notification needs; this keeps large delivery tests fast to arrange."""
    from dpi_server.domain.calendar.records import CalendarBreak
    from dpi_server.domain.change_events import break_event
    from dpi_server.domain.events import BreakCreated

    scope = await services.access.address(DOCTOR, ref(estate))
    since = datetime.fromisoformat(at("2026-01-07", "12:00"))
    number = first
    while number < first + count:
        chunk = min(500, first + count - number)
        async with services.uow(write=True) as uow:
            now = services.clock.now()
            uow.collect(
                break_event(
                    BreakCreated,
                    CalendarBreak(i, scope.address.id, since, since + timedelta(hours=1), None),
                    scope.address,
                    DOCTOR,
                    now,
                )
                for i in range(number, number + chunk)
            )
            await uow.commit()
        number += chunk


async def configure_client(services: Services, client_id: str, **change: Any) -> None:
    await services.notification_admin.configure(client_id, DeliveryChange(**change))
