"""The doctor's side over `/_sandbox/doctor/...`: the Docplanner calendar books for a patient
(never gated), cancels, moves, confirms, marks presence, manages breaks and address services
and changes or (un)assigns addresses (behaviour.md §8.4-§8.6, §10, §11.1; issue #10 item 1).
Refusals answer the envelope and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from dpi_server.domain.notifications import OPTIONAL_EVENTS
from tests.api.calendar_support import WED, at
from tests.api.notification_support import Receiver, configure, pull_all
from tests.conftest import Api
from tests.sandbox.marketplace_support import Action, Sandbox

ERROR_TYPE = "application/vnd.error+docplanner+json"


@pytest.fixture
async def sb(api: Api) -> Sandbox:
    sandbox = await Sandbox.of(api, await api.estate())
    await configure(api, sandbox.estate, enable_events=OPTIONAL_EVENTS)
    await sandbox.open_tuesday(0)
    return sandbox


@pytest.fixture
def vendor() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


async def refused(sb: Sandbox, action: Action, status: int) -> Any:
    response = await sb.request(action)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == ERROR_TYPE
    return response.json()


async def names(sb: Sandbox) -> list[str]:
    return [n["name"] for n in await pull_all(sb.api, sb.estate)]


class TestVisits:
    async def test_the_doctors_booking_is_not_gated(self, sb: Sandbox, vendor: Receiver) -> None:
        """Real-time calls are for patients only (decisions.md "Notifications")."""
        await configure(sb.api, sb.estate, realtime_url=vendor.url)

        booked = await sb.run(sb.book("09:00", "doctor"))

        assert (booked["booked_by"], booked["duration"]) == ("doctor", 30)
        assert vendor.posts == []
        assert await names(sb) == ["slot-booked"]

    async def test_the_doctor_confirms_and_cancels(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00"))

        confirmed = await sb.run(sb.confirm(booked["id"], "doctor"))
        canceled = await sb.run(sb.cancel(booked["id"], "doctor"))

        assert confirmed["confirmed"] is True
        assert (canceled["booked_by"], canceled["canceled_by"]) == ("user", "doctor")

    async def test_presence_of_a_started_visit(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00", "doctor"))
        sb.api.clock.advance(timedelta(hours=26))
        await sb.api.fresh_token(sb.estate)
        await pull_all(sb.api, sb.estate)

        marked = await sb.run(sb.presence(booked["id"], "absent"))

        assert marked["presence"] == "absent"
        [notification] = await pull_all(sb.api, sb.estate)
        assert notification["data"]["presence"] == "ABSENT"

    async def test_presence_of_a_future_visit_is_400(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00", "doctor"))
        await pull_all(sb.api, sb.estate)

        body = await refused(sb, sb.presence(booked["id"]), 400)

        assert body["message"] == "Visit is in the future"
        assert await pull_all(sb.api, sb.estate) == []

    async def test_an_unknown_presence_value_is_400(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00", "doctor"))
        action = sb.presence(booked["id"])
        action.body["presence"] = "late"  # type: ignore[index]

        body = await refused(sb, action, 400)

        assert list(body["errors"]) == ["presence"]


class TestBreaks:
    async def test_add_move_and_remove(self, sb: Sandbox) -> None:
        created = await sb.run(sb.add_break())
        moved = await sb.run(sb.move_break(created["id"]))
        removed = await sb.run(sb.remove_break(created["id"]))

        assert (created["since"], created["till"]) == (at(WED, "12:00"), at(WED, "13:00"))
        assert (moved["since"], moved["till"]) == (at(WED, "14:00"), at(WED, "15:00"))
        assert removed["id"] == created["id"]
        assert await names(sb) == ["break-created", "break-moved", "break-removed"]

    async def test_a_coupled_break_is_created_at_both_addresses(self, sb: Sandbox) -> None:
        """Doctor 0's offline and online-only addresses are coupled: one `break-created` for
        each, every copy at its own address (behaviour.md §9, 1.14.0)."""
        action = sb.add_break()
        action.body["apply_on_coupled_addresses"] = True  # type: ignore[index]

        await sb.run(action)

        pulled = await pull_all(sb.api, sb.estate)
        assert [n["name"] for n in pulled] == ["break-created", "break-created"]
        assert {n["data"]["address"]["id"] for n in pulled} == {sb.ids(0)[2], sb.ids(1)[2]}

    async def test_a_removed_break_is_404(self, sb: Sandbox) -> None:
        created = await sb.run(sb.add_break())
        await sb.run(sb.remove_break(created["id"]))

        body = await refused(sb, sb.remove_break(created["id"]), 404)

        assert body == {"errors": [], "message": "Invalid break ID"}

    async def test_a_break_ending_before_it_starts_is_refused(self, sb: Sandbox) -> None:
        await refused(sb, sb.add_break("13:00", "12:00"), 422)

        assert await names(sb) == []

    async def test_a_break_without_till_is_400(self, sb: Sandbox) -> None:
        action = sb.add_break()
        del action.body["till"]  # type: ignore[attr-defined]

        body = await refused(sb, action, 400)

        assert body["message"] == 'Param "till" is required!'
        assert await names(sb) == []


class TestAddressServices:
    async def test_add_change_and_delete(self, sb: Sandbox) -> None:
        created = await sb.run(sb.add_service(120))
        changed = await sb.run(sb.change_service(created["id"], 130))
        deleted = await sb.run(sb.delete_service(created["id"]))

        assert (created["price"], changed["price"]) == (120, 130)
        assert (created["deleted"], deleted["deleted"]) == (False, True)
        assert await names(sb) == [
            "address-service-created",
            "address-service-changed",
            "address-service-deleted",
        ]

    async def test_a_second_copy_of_a_service_is_409(self, sb: Sandbox) -> None:
        await sb.run(sb.add_service())
        await pull_all(sb.api, sb.estate)

        body = await refused(sb, sb.add_service(), 409)

        assert body["errors"] == []
        assert await names(sb) == []

    async def test_a_deleted_service_is_404(self, sb: Sandbox) -> None:
        created = await sb.run(sb.add_service())
        await sb.run(sb.delete_service(created["id"]))

        body = await refused(sb, sb.change_service(created["id"]), 404)

        assert body == {"errors": [], "message": "Object not found"}


class TestAddresses:
    async def test_an_unknown_commercial_type_is_400_and_changes_nothing(self, sb: Sandbox) -> None:
        body = await refused(sb, sb.commercial_type("gold"), 400)

        assert list(body["errors"]) == ["commercial_type"]
        assert await names(sb) == []
        address = await sb.run(sb.commercial_type("premium"))  # the estate's own type
        assert address["commercial_type"] == "premium"
        assert await names(sb) == []  # no change, no event

    async def test_unassign_then_assign_again(self, sb: Sandbox) -> None:
        ids = sb.ids()
        again = Action(
            "PUT",
            sb.at("doctor") + "/assignment",
            None,
            ["marketplace", "doctor", "reassign-address", *ids],
        )

        gone = await sb.run(sb.unassign_address())
        twice = await refused(sb, sb.unassign_address(), 409)
        back = await sb.run(again)

        assert (gone["is_assigned"], back["is_assigned"]) == (False, True)
        assert twice["message"] == "The address is already unassigned from the doctor"
        assert await names(sb) == ["address-unassigned", "address-assigned"]

    async def test_a_new_address_of_the_doctor(self, sb: Sandbox) -> None:
        created = await sb.run(sb.assign_address("Room 7"))

        assert (created["name"], created["is_assigned"]) == ("Room 7", True)
        assert created["facility_id"] == sb.ids()[0]
        assert await names(sb) == ["address-assigned"]

    async def test_a_new_address_at_a_facility_the_doctor_is_not_in_is_refused(
        self, sb: Sandbox
    ) -> None:
        """Doctor 0 works at facility 0 only."""
        action = sb.assign_address()
        other = str(sb.estate.facility_ids[1])
        path = action.path.replace(f"facilities/{sb.ids()[0]}/", f"facilities/{other}/")

        body = await refused(sb, Action("POST", path, action.body, []), 403)

        assert body["message"] == "Doctor is not related with facility"
        assert await names(sb) == []

    async def test_booking_at_a_basic_address_is_422(self, sb: Sandbox) -> None:
        """The non-commercial doctor's basic address takes no visits (§8.5)."""
        action = sb.book("09:00", "doctor", address=4)
        action.body["duration"] = 30  # type: ignore[index]

        await refused(sb, action, 422)

        assert await names(sb) == []

    async def test_an_unknown_address_is_404(self, sb: Sandbox) -> None:
        action = sb.add_break()
        path = action.path.replace(f"addresses/{sb.ids()[2]}/", "addresses/424242424/")

        body = await refused(sb, Action("POST", path, action.body, []), 404)

        assert body == {"errors": [], "message": "Object not found"}
        assert await names(sb) == []
