"""Notifications: the 17 typed events and unknown ones, the pull endpoints against the real app
(skipped while the server lacks them, issue #9), the consumer loop, and `WebhookApp`
(behaviour.md §11-12)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

import dpi
from dpi_server.bootstrap import build_app
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api
from tests.sdk.conftest import place

WHERE = {
    "facility": {"id": "1", "name": "Sample hospital"},
    "doctor": {"id": "123", "name": "Sample", "surname": "Doctor 123"},
    "address": {
        "id": "111",
        "name": "Example hospital",
        "street": "Some street",
        "post_code": "xx",
    },
}
VISIT = {
    "id": "6263715",
    "status": "booked",
    "start_at": "2021-05-26T16:00:00+01:00",
    "end_at": "2021-05-26T16:30:00+01:00",
    "duration": 30,
    "booked_by": "user",
    "canceled_by": "",
    "booked_at": "2021-05-12T10:18:24+01:00",
    "canceled_at": None,
    "address_service": {"id": "243665", "name": "USG", "price": 50, "is_price_from": False},
    "patient": {"name": "A", "surname": "L", "phone": "+48123123123", "birth_date": "1985-01-01"},
    "signature": "699c9b15-a72f-741b-cd24-fdef7b00551e",
    "insurance": {"insurance_provider_id": "1", "name": "Sample Insurance 1", "plan": ""},
}
REQUEST = {k: VISIT[k] for k in ("duration", "start_at", "end_at", "patient", "signature")} | {
    "booking_at": "2021-05-12T10:18:24+01:00",
    "booking_by": "user",
}
BREAK = {
    "break": {"id": "9", "since": "2021-05-26T12:00:00+01:00", "till": "2021-05-26T13:00:00+01:00"}
}
SERVICE = {"address_service": {"id": "5", "name": "USG", "price": 50}}
DATA: dict[str, dict[str, Any]] = {
    "slot-booking": {"visit_booking_request": REQUEST},
    "slot-booked": {"visit_booking": VISIT},
    "booking-canceled": {"visit_booking": {**VISIT, "status": "canceled", "canceled_by": "user"}},
    "booking-moved": {"old_visit_booking": VISIT, "new_visit_booking": {**VISIT, "id": "2"}},
    "booking-moving": {"canceling_booking": VISIT, "creating_booking": REQUEST},
    "booking-confirmed": {"visit_booking": VISIT},
    "booking-payment-status-changed": {
        "visit_booking": VISIT,
        "visit_payment_status": {
            "status_from": "not-paid",
            "status_to": "paid",
            "changed_at": "2021-05-12T10:20:00+01:00",
        },
    },
    "break-created": BREAK,
    "break-moved": BREAK,
    "break-removed": BREAK,
    "presence-marked": {"visit_booking": VISIT, "presence": "ABSENT"},
    "address-service-created": SERVICE,
    "address-service-changed": SERVICE,
    "address-service-deleted": SERVICE,
    "address-commercial-type-changed": {},
    "address-assigned": {},
    "address-unassigned": {},
}


def envelope(name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "data": {**WHERE, **(data or {})},
        "created_at": "2021-05-12T10:18:34+01:00",
    }


class TestParsing:
    def test_all_seventeen_types_are_known(self) -> None:
        """The 17 event names of OAS 1.14.0 each have a model (§11.1)."""
        assert set(dpi.NOTIFICATION_TYPES) == set(DATA)
        assert len(DATA) == 17

    @pytest.mark.parametrize("name", sorted(DATA))
    def test_each_type_parses_into_its_model(self, name: str) -> None:
        """Each sample becomes its model with aware datetimes and the common facility, doctor
        and address (§11.1, wire.md §3.5)."""
        parsed = dpi.parse_notification(json.dumps(envelope(name, DATA[name])).encode())

        assert type(parsed) is dpi.NOTIFICATION_TYPES[name]
        assert parsed.name == name
        assert parsed.created_at is not None
        assert parsed.created_at.utcoffset() is not None
        assert not isinstance(parsed, dpi.UnknownNotification)
        assert parsed.data.doctor is not None
        assert parsed.data.doctor.surname == "Doctor 123"

    def test_typed_fields(self) -> None:
        """Nested data is typed: `break` is `break_`, the old insurance id is read as `id`."""
        moved = dpi.parse_notification(envelope("booking-moved", DATA["booking-moved"]))
        brk = dpi.parse_notification(envelope("break-created", BREAK))

        assert isinstance(moved, dpi.BookingMovedNotification)
        assert moved.data.new_visit_booking is not None
        assert moved.data.new_visit_booking.id == "2"
        assert moved.data.old_visit_booking is not None
        assert moved.data.old_visit_booking.insurance is not None
        assert moved.data.old_visit_booking.insurance.id == "1"
        assert isinstance(brk, dpi.BreakCreatedNotification)
        assert brk.data.break_ is not None
        assert brk.data.break_.since is not None

    def test_unknown_names_are_kept(self) -> None:
        """A new event type never raises: it is an UnknownNotification with the raw data (a
        pulled notification is gone from the server)."""
        parsed = dpi.parse_notification(envelope("visit-teleported", {"where": "Mars"}))

        assert isinstance(parsed, dpi.UnknownNotification)
        assert parsed.name == "visit-teleported"
        assert parsed.data["where"] == "Mars"

    def test_drifted_payloads_are_kept(self) -> None:
        """A known name whose data no longer fits its model is kept as unknown, not raised."""
        parsed = dpi.parse_notification({"name": "slot-booked", "data": {"visit_booking": 7}})

        assert isinstance(parsed, dpi.UnknownNotification)
        assert parsed.data == {"visit_booking": 7}

    def test_a_pulled_batch_never_fails(self) -> None:
        """Pulled items without a name or with an unreadable time are kept as unknown: they
        are consumed on the server, so the batch must not be lost (wire.md §4.2 warning)."""
        response = httpx.Response(
            200,
            json={
                "notifications": [
                    {"data": {"x": 1}},
                    {"name": "slot-booked", "created_at": "yesterday", "data": []},
                    "garbage",
                ],
                "remaining": 0,
            },
        )

        batch = dpi.NotificationBatch.from_response(response)

        assert [type(n) for n in batch.notifications] == [dpi.UnknownNotification] * 3
        assert [n.name for n in batch.notifications] == ["", "slot-booked", ""]
        assert batch.notifications[2].data == {"raw": "garbage"}

    def test_not_a_notification(self) -> None:
        """Only a body that is no notification at all raises (ValueError)."""
        with pytest.raises(ValueError, match="string `name`"):
            dpi.parse_notification(b"[1, 2]")


async def _route_missing(client: dpi.AsyncClient) -> None:
    """Skip while the server has no notification routes (they answer `Object not found`)."""
    try:
        await client.notifications.pull_many(1)
    except dpi.NotFound as error:
        if error.message == "Object not found":
            pytest.skip(
                "GET /notifications/multiple answers 404 `Object not found`: the server has no"
                " notification routes yet (issue #9); this test runs once they land"
            )
        raise


class TestPullAgainstTheServer:
    async def test_empty_queue(self, client: dpi.AsyncClient) -> None:
        """An empty queue is `None` / an empty batch, not an error (§11.2: 404 `No
        notifications found`)."""
        await _route_missing(client)

        single = await client.notifications.pull()
        batch = await client.notifications.pull_many(limit=10)

        assert single is None
        assert batch == dpi.NotificationBatch(notifications=[], remaining=0)

    async def test_limit_out_of_range(self, client: dpi.AsyncClient) -> None:
        """limit outside 1..100 raises ValidationError (decisions.md "Notifications")."""
        await _route_missing(client)

        with pytest.raises(dpi.ValidationError):
            await client.notifications.pull_many(limit=101)

    async def test_release_is_for_push_clients(self, client: dpi.AsyncClient) -> None:
        """A pull client's release is 403 `You are not allowed to use this method` (§11.3)."""
        await _route_missing(client)

        with pytest.raises(dpi.Forbidden) as refused:
            await client.notifications.release()

        assert refused.value.message == "You are not allowed to use this method"

    async def test_another_clients_booking_reaches_the_queue(
        self, api: Api, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """A second client of the same facilities books and cancels through the API: this
        client's queue gets typed notifications of both, oldest first, and `consume` drains
        it (decisions.md "Notifications": no echo to the originator, copies to the others)."""
        await _route_missing(client)
        other = await api.container.services.clients.create("Other PMS", "pl")
        for facility_id in estate.facility_ids:
            await api.container.services.clients.assign_facility(
                other.client.client_id, facility_id
            )
        p = place(estate).ids
        tuesday = datetime(2026, 1, 6, 10, tzinfo=ZoneInfo("Europe/Warsaw"))
        async with dpi.AsyncClient(
            other.client.client_id,
            other.client_secret,
            base_url="https://testserver",
            transport=httpx.ASGITransport(app=build_app(api.container)),
        ) as originator:
            await originator.slots.replace(
                *p,
                [
                    dpi.WorkPeriod(
                        start=tuesday,
                        end=tuesday + timedelta(hours=1),
                        address_services=[
                            dpi.PeriodService(
                                address_service_id=str(estate.address_service_ids[0]),
                                duration=30,
                            )
                        ],
                    )
                ],
            )
            booked = await originator.slots.book(
                *p,
                tuesday,
                address_service_id=estate.address_service_ids[0],
                duration=30,
                patient={"name": "Ewa", "phone": "+48500000002"},
            )
            await originator.bookings.cancel(*p, booked.id)
        received: list[dpi.Notification] = []

        async def keep(notification: dpi.Notification) -> None:
            received.append(notification)

        handled = await client.notifications.consume(keep, stop_when_empty=True)

        assert handled == len(received) >= 2
        assert not any(isinstance(n, dpi.UnknownNotification) for n in received)
        assert {"slot-booked", "booking-canceled"} <= {n.name for n in received}
        assert await client.notifications.pull() is None


class MockQueue:
    """A mock pull queue handing out `batches`, then 404 `No notifications found`."""

    def __init__(self, *batches: list[str]) -> None:
        self.batches = list(batches)
        self.pulls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t" * 40, "expires_in": 3600})
        self.pulls += 1
        if not self.batches:
            return httpx.Response(404, json={"errors": [], "message": "No notifications found"})
        names = self.batches.pop(0)
        return httpx.Response(
            200,
            json={
                "notifications": [envelope(n, DATA.get(n)) for n in names],
                "remaining": sum(len(b) for b in self.batches),
            },
        )


class TestConsumer:
    def test_sync_loop_until_empty(self) -> None:
        """The loop hands over every notification oldest first, unknown ones included, and
        with `stop_when_empty` returns when the queue is drained (§11.2)."""
        queue = MockQueue(["slot-booked", "something-new"], ["break-created"])
        client = dpi.Client(
            "id", "s", base_url="https://dp.test", transport=httpx.MockTransport(queue)
        )
        seen: list[str] = []

        handled = client.notifications.consume(lambda n: seen.append(n.name), stop_when_empty=True)

        assert handled == 3
        assert seen == ["slot-booked", "something-new", "break-created"]

    def test_a_failing_handler_hands_back_the_rest_of_the_batch(self) -> None:
        """Pulled notifications are consumed: when the handler raises, HandlerFailed carries
        the one that failed and the rest of the batch, with the original error as cause."""
        queue = MockQueue(["slot-booked", "break-created", "break-moved"])
        client = dpi.Client(
            "id", "s", base_url="https://dp.test", transport=httpx.MockTransport(queue)
        )

        def handler(notification: dpi.Notification) -> None:
            if notification.name == "break-created":
                raise RuntimeError("disk full")

        with pytest.raises(dpi.HandlerFailed) as failed:
            client.notifications.consume(handler, stop_when_empty=True)

        assert failed.value.notification.name == "break-created"
        assert [n.name for n in failed.value.unhandled] == ["break-moved"]
        assert isinstance(failed.value.__cause__, RuntimeError)

    async def test_async_loop_backs_off(self) -> None:
        """An empty queue is polled with pauses that double up to `max_idle_delay`, not in a
        busy loop (issue #11 §6)."""
        queue = MockQueue(["slot-booked"])
        client = dpi.AsyncClient(
            "id", "s", base_url="https://dp.test", transport=httpx.MockTransport(queue)
        )
        stop = asyncio.Event()
        seen: list[str] = []

        async def handler(notification: dpi.Notification) -> None:
            seen.append(notification.name)

        task = asyncio.create_task(
            client.notifications.consume(handler, idle_delay=0.05, max_idle_delay=0.2, stop=stop)
        )
        await asyncio.sleep(0.5)
        stop.set()
        handled = await task

        assert handled == 1
        assert seen == ["slot-booked"]
        assert 3 <= queue.pulls <= 8  # pauses of 0.05, 0.1, 0.2, 0.2...

    async def test_stop_cuts_a_long_pause_short(self) -> None:
        """Setting `stop` ends the loop at once, even in the middle of a long idle pause."""
        client = dpi.AsyncClient(
            "id", "s", base_url="https://dp.test", transport=httpx.MockTransport(MockQueue())
        )
        stop = asyncio.Event()

        async def handler(notification: dpi.Notification) -> None:
            raise AssertionError("the queue is empty")

        task = asyncio.create_task(client.notifications.consume(handler, idle_delay=30, stop=stop))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        stop.set()
        handled = await asyncio.wait_for(task, timeout=5)

        assert handled == 0
        assert time.monotonic() - started < 2


def _booking_call() -> bytes:
    return json.dumps(envelope("slot-booking", DATA["slot-booking"])).encode()


class TestWebhookApp:
    async def post(self, app: dpi.WebhookApp, body: bytes, **headers: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://vendor.test") as http:
            return await http.post("/docplanner", content=body, headers=headers)

    async def test_push_reaches_the_handler(self) -> None:
        """A pushed event is parsed and handed over; the answer is 200 (§11.3)."""
        received: list[dpi.Notification] = []
        app = dpi.WebhookApp(on_notification=received.append)

        response = await self.post(
            app, json.dumps(envelope("slot-booked", DATA["slot-booked"])).encode()
        )

        assert response.status_code == 200
        assert isinstance(received[0], dpi.SlotBookedNotification)

    async def test_failing_handler_answers_500(self) -> None:
        """A handler exception answers 500, so Docplanner retries the push (§11.3)."""

        def fail(notification: dpi.Notification) -> None:
            raise RuntimeError("database down")

        response = await self.post(
            dpi.WebhookApp(on_notification=fail),
            json.dumps(envelope("break-moved", BREAK)).encode(),
        )

        assert response.status_code == 500

    async def test_realtime_allow_and_deny(self) -> None:
        """slot-booking is allowed with a 2xx, denied with a 4xx `{"error_code": N}` (§12)."""

        async def decide(call: dpi.RealtimeNotification) -> dpi.Decision:
            assert isinstance(call, dpi.SlotBookingNotification)
            request = call.data.visit_booking_request
            return dpi.Deny(error_code=3) if request and request.duration == 30 else dpi.Allow()

        allowed = await self.post(dpi.WebhookApp(), _booking_call())
        denied = await self.post(dpi.WebhookApp(on_realtime=decide), _booking_call())

        assert allowed.status_code == 200
        assert (denied.status_code, denied.json()) == (409, {"error_code": 3})
        assert denied.headers["content-type"] == "application/json"

    async def test_signatures(self) -> None:
        """With a signing secret only correctly signed, fresh bodies are accepted (Standard
        Webhooks `v1`)."""
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        body = _booking_call()
        now = int(time.time())
        good = dpi.sign_webhook(secret, "msg_1", now, body)
        app = dpi.WebhookApp(signing_secret=secret)
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now)}

        ok = await self.post(app, body, **headers, **{"webhook-signature": f"v1,bad {good}"})
        tampered = await self.post(app, body + b" ", **headers, **{"webhook-signature": good})
        stale = await self.post(
            app,
            body,
            **{**headers, "webhook-timestamp": str(now - 3600)},
            **{"webhook-signature": good},
        )
        unsigned = await self.post(app, body)

        assert ok.status_code == 200
        assert [r.status_code for r in (tampered, stale, unsigned)] == [401, 401, 401]

    async def test_api_key_method_and_garbage(self) -> None:
        """The optional API-key header is checked; GET is 405; a body that is no notification
        is 400."""
        app = dpi.WebhookApp(api_key=("X-Api-Key", "k1"))

        no_key = await self.post(app, _booking_call())
        keyed = await self.post(app, _booking_call(), **{"X-Api-Key": "k1"})
        garbage = await self.post(app, b"not json", **{"X-Api-Key": "k1"})
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://v"
        ) as h:
            wrong_method = await h.get("/")

        assert [no_key.status_code, keyed.status_code, garbage.status_code] == [401, 200, 400]
        assert wrong_method.status_code == 405


async def test_webhook_app_lifespan_and_large_bodies() -> None:
    """The app completes ASGI lifespan (so any server can run it) and refuses bodies over
    8 MiB with 413."""
    app = dpi.WebhookApp()
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://v") as http:
        too_big = await http.post("/", content=b" " * (8 * 1024 * 1024 + 1))

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert too_big.status_code == 413


def test_deny_must_be_a_4xx() -> None:
    """A denial with a non-4xx status is refused when built (§12: 4xx with error_code)."""
    with pytest.raises(ValueError, match="4xx"):
        dpi.Deny(error_code=1, status=500)
