"""Every one of the 17 notification types, produced by the action that raises it and checked
against its JSON Schema, for a pull client and for a push client whose endpoint is a real
local HTTP server (behaviour.md §11.1, wire.md §3.5 and §4.2, issue #9 §1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dpi_server.domain.notifications import OPTIONAL_EVENTS
from dpi_server.services.access import DoctorRef
from dpi_server.services.address_services import AddressServiceChanges, NewAddressService
from dpi_server.services.calendar import NewBreak
from dpi_server.services.estate_admin import NewAddress
from tests.api.calendar_support import WED, at
from tests.api.notification_support import (
    DOCTOR,
    PATIENT,
    Marketplace,
    Receiver,
    configure,
    pull_all,
    ref,
    validate,
)
from tests.conftest import Api

ALL_TYPES = {
    "slot-booking",
    "slot-booked",
    "booking-canceled",
    "booking-moved",
    "booking-moving",
    "booking-confirmed",
    "booking-payment-status-changed",
    "break-created",
    "break-moved",
    "break-removed",
    "presence-marked",
    "address-service-created",
    "address-service-deleted",
    "address-service-changed",
    "address-commercial-type-changed",
    "address-assigned",
    "address-unassigned",
}


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    push, realtime = Receiver(), Receiver()
    yield push, realtime
    push.close()
    realtime.close()


async def produce_every_type(m: Marketplace) -> None:
    """One action per type, on the marketplace side (patient or doctor)."""
    services, estate = m.services, m.estate
    await m.open_tuesday(0)
    await m.open_tuesday(1)
    booked = await m.book("09:00")  # slot-booking (gate), slot-booked
    moved = await m.move(booked.booking.id, "10:00")  # booking-moving, booking-moved
    await services.bookings.confirm(
        await m.booking_scope(moved.booking.id, actor=PATIENT), "user"
    )  # booking-confirmed
    other = await m.book("11:00", actor=DOCTOR)  # slot-booked
    await services.bookings.cancel(await m.booking_scope(other.booking.id), None)
    paid = await m.book("09:00", address=1, actor=DOCTOR, visit_payment=True)
    await services.bookings.change_payment_status(
        await m.booking_scope(paid.booking.id, address=1), "paid"
    )  # booking-payment-status-changed
    scope = await services.access.address(DOCTOR, ref(estate))
    created = await services.calendar.add_break(
        scope,
        NewBreak(
            datetime.fromisoformat(at(WED, "12:00")), datetime.fromisoformat(at(WED, "13:00"))
        ),
    )
    found = await services.access.calendar_break(DOCTOR, ref(estate), created.id)
    await services.calendar.move_break(
        found, datetime.fromisoformat(at(WED, "14:00")), datetime.fromisoformat(at(WED, "15:00"))
    )
    found = await services.access.calendar_break(DOCTOR, ref(estate), created.id)
    await services.calendar.delete_break(found)
    service = await services.address_services.add(
        scope, NewAddressService(service_id=estate.service_ids[2], price=120)
    )
    service_scope = await services.access.address_service(DOCTOR, ref(estate), service.id)
    await services.address_services.update(service_scope, AddressServiceChanges(price=130))
    service_scope = await services.access.address_service(DOCTOR, ref(estate), service.id)
    await services.address_services.delete(service_scope)
    await services.marketplace.change_commercial_type(scope, "saas-only")
    f, d, _ = estate.extra["address_paths"][0]
    doctor = await services.access.doctor(DOCTOR, DoctorRef(f, d))
    new_address = await services.marketplace.assign_address(doctor, NewAddress(**_address_fields()))
    new_scope = await services.access.address(DOCTOR, type(ref(estate))(f, d, new_address.id))
    await services.marketplace.unassign_address(new_scope)
    # The visit has started: presence can be marked (Tuesday 11:00 local).
    m.api.clock.advance(timedelta(hours=26))
    presence_scope = await services.access.doctors_booking(DOCTOR, ref(estate), moved.booking.id)
    await services.bookings.mark_presence(presence_scope, True)  # presence-marked


def _address_fields() -> dict[str, Any]:
    return {
        "name": "New room",
        "city_name": "Kraków",
        "post_code": "30-001",
        "street": "ul. Długa 2",
        "is_online_only": False,
        "visit_payment": False,
        "commercial_type": "premium",
        "insurance_support": "private",
        "extra_field_gender": False,
        "extra_field_nin": False,
        "extra_field_birth_date": False,
    }


def check_all(stored: list[Any], realtime: list[Any]) -> None:
    names = [validate(n) for n in stored] + [validate(n) for n in realtime]
    assert set(names) == ALL_TYPES
    assert {n["name"] for n in realtime} == {"slot-booking", "booking-moving"}
    by_name: dict[str, list[Any]] = {}
    for n in stored:
        by_name.setdefault(n["name"], []).append(n)
    assert [len(v) for v in by_name.values()] == [3 if k == "slot-booked" else 1 for k in by_name]
    first = {k: v[0] for k, v in by_name.items()}
    assert first["presence-marked"]["data"]["presence"] == "PRESENT"
    assert first["booking-moved"]["data"]["old_visit_booking"]["status"] == "canceled"
    bookers = sorted(n["data"]["visit_booking"]["booked_by"] for n in by_name["slot-booked"])
    assert bookers == ["doctor", "doctor", "user"]
    assert first["booking-canceled"]["data"]["visit_booking"]["canceled_by"] == "doctor"
    address = first["address-commercial-type-changed"]["data"]["address"]
    assert address["commercial_type"] == "saas-only"
    payment = first["booking-payment-status-changed"]["data"]["visit_payment_status"]
    assert (payment["status_from"], payment["status_to"]) == (None, "paid")
    # Winter in Warsaw: every date-time carries +01:00.
    assert first["slot-booked"]["data"]["visit_booking"]["start_at"].endswith("+01:00")
    assert first["slot-booked"]["created_at"] == "2026-01-05T09:00:00+01:00"


class TestEveryType:
    async def test_pull_client_receives_every_stored_type_in_its_shape(
        self, api: Api, receivers: tuple[Receiver, Receiver]
    ) -> None:
        """A pull client gets all 15 stored types; the real-time URL gets the other two."""
        _, realtime = receivers
        estate = await api.estate()
        await configure(api, estate, realtime_url=realtime.url, enable_events=OPTIONAL_EVENTS)

        await produce_every_type(Marketplace(api, estate))
        await api.fresh_token(estate)  # the clock moved 26 h

        pulled = await pull_all(api, estate)
        check_all(pulled, [r.json() for r in realtime.posts])
        assert len(pulled) == 17  # three slot-booked, one of every other stored type

    async def test_push_client_receives_every_stored_type_in_its_shape(
        self, api: Api, receivers: tuple[Receiver, Receiver]
    ) -> None:
        """A push client's endpoint is POSTed every stored type as JSON, with its API key."""
        push, realtime = receivers
        estate = await api.estate()
        await configure(
            api,
            estate,
            push_url=push.url,
            api_key="k-123",
            realtime_url=realtime.url,
            enable_events=OPTIONAL_EVENTS,
        )

        await produce_every_type(Marketplace(api, estate))
        await api.container.services.delivery.run_due()

        posts = push.posts
        assert all(p.headers["x-api-key"] == "k-123" for p in posts)
        assert all(p.headers["content-type"] == "application/json" for p in posts)
        check_all([p.json() for p in posts], [r.json() for r in realtime.posts])
        assert len(posts) == 17
