"""Every one of the 17 notification types has a marketplace action that makes the estate's
API client receive it, through `/_sandbox/` and through `dpi marketplace ...` (behaviour.md
§11.1, §12; issue #10 item 1). The stored types are pulled with `GET /notifications` by a
pull client; `slot-booking` and `booking-moving` are the real-time calls a real local HTTP
server receives before a patient's booking or move is stored. Each action emits exactly
the notifications §11.1 lists for it, with `booked_by` / `canceled_by` `user` for patients
and `doctor` for the doctor's calendar (decisions.md "Bookings")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from dpi_server.domain.notifications import OPTIONAL_EVENTS
from tests.api.notification_support import Receiver, configure, pull_all, validate
from tests.api.support import success
from tests.conftest import Api
from tests.sandbox.marketplace_support import Action, Sandbox

Setup = Callable[[Sandbox], Awaitable[Action]]
Check = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    """The arrangement (done over HTTP) returns the action under test; `pulled` are the
    names the client then pulls, `realtime` the calls its real-time URL then receives."""

    setup: Setup
    pulled: list[str]
    realtime: list[str] = field(default_factory=list)
    check: Check = lambda _data: None


async def _booked(sb: Sandbox, side: str = "patient", address: int = 0) -> str:
    await sb.open_tuesday(address)
    return str((await sb.run(sb.book("09:00", side, address)))["id"])


def _visit(data: dict[str, Any]) -> dict[str, Any]:
    visit: dict[str, Any] = data["visit_booking"]
    return visit


def _booked_by(value: str) -> Check:
    def check(data: dict[str, Any]) -> None:
        assert _visit(data)["booked_by"] == value
        assert _visit(data)["canceled_by"] == ""

    return check


def _canceled_by(value: str) -> Check:
    def check(data: dict[str, Any]) -> None:
        assert _visit(data)["status"] == "canceled"
        assert (_visit(data)["booked_by"], _visit(data)["canceled_by"]) == ("user", value)

    return check


def _moved_by_doctor(data: dict[str, Any]) -> None:
    old, new = data["old_visit_booking"], data["new_visit_booking"]
    assert (old["status"], old["canceled_by"]) == ("canceled", "doctor")
    assert (new["status"], new["booked_by"]) == ("booked", "user")
    assert new["id"] != old["id"]


def _moved_by_patient(data: dict[str, Any]) -> None:
    assert data["old_visit_booking"]["canceled_by"] == "user"


async def _book_patient(sb: Sandbox) -> Action:
    await sb.open_tuesday()
    return sb.book("09:00")


async def _book_doctor(sb: Sandbox) -> Action:
    await sb.open_tuesday()
    return sb.book("09:00", "doctor")


async def _cancel_patient(sb: Sandbox) -> Action:
    return sb.cancel(await _booked(sb))


async def _cancel_doctor(sb: Sandbox) -> Action:
    return sb.cancel(await _booked(sb), "doctor")


async def _move_doctor(sb: Sandbox) -> Action:
    return sb.move(await _booked(sb), "10:00", "doctor")


async def _move_patient(sb: Sandbox) -> Action:
    return sb.move(await _booked(sb), "10:30")


async def _confirm(sb: Sandbox) -> Action:
    return sb.confirm(await _booked(sb))


async def _pay(sb: Sandbox) -> Action:
    # The online address takes online payment: a patient's visit there waits for it.
    return sb.pay(await _booked(sb, address=1))


async def _presence(sb: Sandbox) -> Action:
    booking = await _booked(sb)
    sb.api.clock.advance(timedelta(hours=26))  # Tuesday 11:00: the visit has started
    await sb.api.fresh_token(sb.estate)
    return sb.presence(booking)


async def _add_break(sb: Sandbox) -> Action:
    return sb.add_break()


async def _break(sb: Sandbox) -> str:
    return str((await sb.run(sb.add_break()))["id"])


async def _move_break(sb: Sandbox) -> Action:
    return sb.move_break(await _break(sb))


async def _remove_break(sb: Sandbox) -> Action:
    return sb.remove_break(await _break(sb))


async def _add_service(sb: Sandbox) -> Action:
    return sb.add_service()


async def _service(sb: Sandbox) -> str:
    return str((await sb.run(sb.add_service()))["id"])


async def _change_service(sb: Sandbox) -> Action:
    return sb.change_service(await _service(sb))


async def _delete_service(sb: Sandbox) -> Action:
    return sb.delete_service(await _service(sb))


async def _commercial_type(sb: Sandbox) -> Action:
    return sb.commercial_type("saas-only")


async def _assign(sb: Sandbox) -> Action:
    return sb.assign_address()


async def _unassign(sb: Sandbox) -> Action:
    return sb.unassign_address()


def _price(value: int) -> Check:
    def check(data: dict[str, Any]) -> None:
        assert data["address_service"]["price"] == value

    return check


def _payment(data: dict[str, Any]) -> None:
    change = data["visit_payment_status"]
    assert (change["status_from"], change["status_to"]) == (None, "paid")
    assert _visit(data)["visit_payment"] is True


def _presence_check(data: dict[str, Any]) -> None:
    assert data["presence"] == "PRESENT"


def _commercial(data: dict[str, Any]) -> None:
    assert data["address"]["commercial_type"] == "saas-only"


def _address_name(name: str) -> Check:
    def check(data: dict[str, Any]) -> None:
        assert data["address"]["name"] == name

    return check


CASES = {
    "slot-booking": Case(_book_patient, ["slot-booked"], ["slot-booking"], _booked_by("user")),
    "slot-booked": Case(_book_doctor, ["slot-booked"], [], _booked_by("doctor")),
    "booking-canceled": Case(_cancel_patient, ["booking-canceled"], [], _canceled_by("user")),
    "booking-moved": Case(_move_doctor, ["booking-moved"], [], _moved_by_doctor),
    "booking-moving": Case(_move_patient, ["booking-moved"], ["booking-moving"], _moved_by_patient),
    "booking-confirmed": Case(_confirm, ["booking-confirmed"]),
    "booking-payment-status-changed": Case(_pay, ["booking-payment-status-changed"], [], _payment),
    "break-created": Case(_add_break, ["break-created"]),
    "break-moved": Case(_move_break, ["break-moved"]),
    "break-removed": Case(_remove_break, ["break-removed"]),
    "presence-marked": Case(_presence, ["presence-marked"], [], _presence_check),
    "address-service-created": Case(_add_service, ["address-service-created"], [], _price(120)),
    "address-service-changed": Case(_change_service, ["address-service-changed"], [], _price(130)),
    "address-service-deleted": Case(_delete_service, ["address-service-deleted"]),
    "address-commercial-type-changed": Case(
        _commercial_type, ["address-commercial-type-changed"], [], _commercial
    ),
    "address-assigned": Case(_assign, ["address-assigned"], [], _address_name("New room")),
    "address-unassigned": Case(_unassign, ["address-unassigned"]),
}
# Who canceled, seen from the doctor's side too.
EXTRA_CASES = {
    "booking-canceled-by-doctor": Case(
        _cancel_doctor, ["booking-canceled"], [], _canceled_by("doctor")
    ),
}


def test_every_notification_type_has_a_case() -> None:
    """The 17 names of src/dpi_server/notification_schemas/, one case each."""
    from dpi_server.api.routes.notifications import notification_schemas

    assert set(CASES) == set(notification_schemas())


@pytest.fixture
def realtime() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


async def _arranged(api: Api, realtime: Receiver, case: Case) -> tuple[Sandbox, Action]:
    """A pull client with a real-time URL and every optional event, the case arranged and
    what the arrangement produced drained."""
    estate = await api.estate()
    await configure(api, estate, realtime_url=realtime.url, enable_events=OPTIONAL_EVENTS)
    sb = await Sandbox.of(api, estate)
    action = await case.setup(sb)
    await pull_all(api, estate)
    realtime.requests.clear()
    return sb, action


async def _pull_one_by_one(api: Api, sb: Sandbox) -> list[Any]:
    """`GET /notifications` until the queue is empty (404), as a pull client does."""
    found = []
    while True:
        response = await api.http.get(
            "/api/v3/integration/notifications", headers=sb.estate.headers
        )
        if response.status_code == 404:
            return found
        found.append(success(response))


def _received(sb: Sandbox, case: Case, pulled: list[Any], realtime: Receiver) -> None:
    assert [validate(n) for n in pulled] == case.pulled
    calls = [r.json() for r in realtime.posts]
    assert [validate(c) for c in calls] == case.realtime
    case.check(pulled[0]["data"])
    facility = str(sb.estate.facility_ids[0])
    assert [n["data"]["facility"]["id"] for n in pulled + calls] == [facility] * len(pulled + calls)


ALL = {**CASES, **EXTRA_CASES}


@pytest.mark.parametrize("name", sorted(ALL))
async def test_a_sandbox_action_delivers_it(api: Api, realtime: Receiver, name: str) -> None:
    """The action over `/_sandbox/` reaches the client: pulled or called in real time."""
    case = ALL[name]
    sb, action = await _arranged(api, realtime, case)

    await sb.run(action)

    _received(sb, case, await _pull_one_by_one(api, sb), realtime)


@pytest.mark.parametrize("name", sorted(ALL))
async def test_a_cli_command_delivers_it(api: Api, realtime: Receiver, name: str) -> None:
    """The same action through `dpi marketplace ... --json` reaches the client the same way."""
    case = ALL[name]
    sb, action = await _arranged(api, realtime, case)

    answer = await sb.run_cli(action)

    assert answer["id"]
    _received(sb, case, await _pull_one_by_one(api, sb), realtime)
