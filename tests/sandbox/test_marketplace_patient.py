"""The patient's side of the marketplace over `/_sandbox/patient/...`: free slots, booking
(through the real-time gate), cancel, move, confirm and payment (behaviour.md §8.5-§8.6, §9,
§12; issue #10 item 1). Refusals answer the envelope and change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.calendar_support import TUE, at
from tests.api.notification_support import Answer, Receiver, configure, pull_all
from tests.conftest import Api
from tests.sandbox.marketplace_support import PATIENT, Action, Sandbox

ERROR_TYPE = "application/vnd.error+docplanner+json"


@pytest.fixture
async def sb(api: Api) -> Sandbox:
    sandbox = await Sandbox.of(api, await api.estate())
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


async def free_starts(sb: Sandbox, address: int = 0) -> list[str]:
    response = await sb.api.http.get(
        f"/_sandbox/{sb.at('patient', address)}/slots",
        params={"start": at(TUE, "09:00"), "end": at(TUE, "12:00")},
        headers=sb.headers,
    )
    assert response.status_code == 200, response.text
    return [slot["start"] for slot in response.json()["slots"]]


class TestSlots:
    async def test_free_slots_list_each_service_with_its_duration(self, sb: Sandbox) -> None:
        response = await sb.api.http.get(
            f"/_sandbox/{sb.at('patient')}/slots",
            params={"start": at(TUE, "09:00"), "end": at(TUE, "09:20")},
            headers=sb.headers,
        )

        assert response.status_code == 200
        first, second = response.json()["slots"]
        assert first["start"] == at(TUE, "09:00")
        assert second["start"] == at(TUE, "09:10")
        offered = {(s["address_service_id"], s["duration"]) for s in first["services"]}
        assert offered == {(sb.sid(0, 0), 30), (sb.sid(0, 1), 20)}

    async def test_a_booked_visit_takes_its_slots(self, sb: Sandbox) -> None:
        await sb.run(sb.book("09:00"))

        starts = await free_starts(sb)

        assert at(TUE, "09:00") not in starts
        assert at(TUE, "09:20") not in starts
        assert at(TUE, "09:30") in starts

    async def test_a_range_ending_before_it_starts_is_400(self, sb: Sandbox) -> None:
        response = await sb.api.http.get(
            f"/_sandbox/{sb.at('patient')}/slots",
            params={"start": at(TUE, "12:00"), "end": at(TUE, "09:00")},
            headers=sb.headers,
        )

        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["end"]


class TestBooking:
    async def test_a_patient_books_as_user_for_the_slots_duration(self, sb: Sandbox) -> None:
        """Without `duration` the visit lasts what the slot offers for the service."""
        action = sb.book("09:00")
        action.body["address_service_id"] = sb.sid(0, 1)  # type: ignore[index]

        booked = await sb.run(action)

        assert (booked["booked_by"], booked["status"], booked["duration"]) == ("user", "booked", 20)
        assert booked["start_at"] == at(TUE, "09:00")
        assert booked["end_at"] == at(TUE, "09:20")
        assert booked["patient"] == PATIENT
        assert booked["address_service_name"].startswith("ECG")

    async def test_a_denied_booking_is_409_with_the_vendors_code(
        self, sb: Sandbox, vendor: Receiver
    ) -> None:
        """behaviour.md §12: the vendor's `error_code` reaches the patient's side; the slot
        stays free and nothing is notified."""
        vendor.answer = lambda _r: Answer(409, b'{"error_code": 42}')
        await configure(sb.api, sb.estate, realtime_url=vendor.url)

        body = await refused(sb, sb.book("09:00"), 409)

        assert body["error_code"] == 42
        assert body["errors"] == []
        assert body["message"] == "The booking was not accepted by the clinic's system"
        assert "409" in body["reason"]
        assert [p.json()["name"] for p in vendor.posts] == ["slot-booking"]
        assert at(TUE, "09:00") in await free_starts(sb)
        assert await pull_all(sb.api, sb.estate) == []

    async def test_a_visit_at_an_online_payment_address_waits_for_payment(
        self, sb: Sandbox
    ) -> None:
        await sb.open_tuesday(1)

        booked = await sb.run(sb.book("09:00", address=1))
        paid = await sb.run(sb.pay(booked["id"]))
        failed = sb.pay(booked["id"])
        failed.body["status"] = "not-paid"  # type: ignore[index]
        unpaid = await sb.run(failed)

        assert (booked["visit_payment"], booked["visit_payment_status"]) == (True, None)
        assert paid["visit_payment_status"] == "paid"
        assert unpaid["visit_payment_status"] == "not-paid"

    async def test_a_visit_not_paid_online_refuses_a_payment(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00"))
        await pull_all(sb.api, sb.estate)

        body = await refused(sb, sb.pay(booked["id"], address=0), 400)

        assert body["errors"] == {"status": ["This visit is not paid online."]}
        assert await pull_all(sb.api, sb.estate) == []

    async def test_an_unknown_payment_status_is_400_with_a_field_map(self, sb: Sandbox) -> None:
        await sb.open_tuesday(1)
        booked = await sb.run(sb.book("09:00", address=1))
        action = sb.pay(booked["id"])
        action.body["status"] = "maybe"  # type: ignore[index]

        body = await refused(sb, action, 400)

        assert list(body["errors"]) == ["status"]


class TestChanges:
    async def test_cancel_move_and_confirm_as_the_patient(self, sb: Sandbox) -> None:
        first = await sb.run(sb.book("09:00"))
        moved = await sb.run(sb.move(first["id"], "10:00"))
        confirmed = await sb.run(sb.confirm(moved["id"]))
        canceled = await sb.run(sb.cancel(moved["id"]))

        assert moved["id"] != first["id"]
        assert (moved["start_at"], moved["booked_by"]) == (at(TUE, "10:00"), "user")
        assert confirmed["confirmed"] is True
        assert (canceled["status"], canceled["canceled_by"]) == ("canceled", "user")
        assert at(TUE, "09:00") in await free_starts(sb)
        assert at(TUE, "10:00") in await free_starts(sb)

    async def test_a_denied_move_is_409_and_the_visit_stays(
        self, sb: Sandbox, vendor: Receiver
    ) -> None:
        await configure(sb.api, sb.estate, realtime_url=vendor.url)
        booked = await sb.run(sb.book("09:00"))
        vendor.answer = lambda _r: Answer(422, b'{"error_code": 7}')

        body = await refused(sb, sb.move(booked["id"], "10:30"), 409)

        assert body["error_code"] == 7
        starts = await free_starts(sb)
        assert at(TUE, "10:30") in starts
        assert at(TUE, "09:00") not in starts

    async def test_a_second_cancel_is_the_documented_400(self, sb: Sandbox) -> None:
        booked = await sb.run(sb.book("09:00"))
        await sb.run(sb.cancel(booked["id"]))
        await pull_all(sb.api, sb.estate)

        body = await refused(sb, sb.cancel(booked["id"]), 400)

        assert body == {
            "errors": [],
            "message": f"Visit {booked['id']} cannot be canceled because it is not booked",
        }
        assert await pull_all(sb.api, sb.estate) == []


class TestRefusals:
    async def test_a_booking_without_a_patient_is_400_and_books_nothing(self, sb: Sandbox) -> None:
        action = sb.book("09:00")
        del action.body["patient"]  # type: ignore[attr-defined]

        body = await refused(sb, action, 400)

        assert body["message"] == "Invalid arguments"
        assert list(body["errors"]) == ["patient"]
        assert at(TUE, "09:00") in await free_starts(sb)
        assert await pull_all(sb.api, sb.estate) == []

    async def test_a_body_is_json_whatever_its_content_type(self, sb: Sandbox) -> None:
        """`curl -d '{...}'` sends a form Content-Type; the body is read as JSON all the same."""
        action = sb.book("09:00")

        response = await sb.api.http.post(
            "/_sandbox/" + action.path,
            content=json.dumps(action.body),
            headers={**sb.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )

        assert response.status_code == 201, response.text
        assert response.json()["booked_by"] == "user"

    async def test_a_body_that_is_not_json_is_400_and_books_nothing(self, sb: Sandbox) -> None:
        action = sb.book("09:00")

        response = await sb.api.http.post(
            "/_sandbox/" + action.path, content=b"start=tomorrow", headers=sb.headers
        )

        assert response.status_code == 400
        assert response.json() == {
            "errors": {"body": ["The request body is not valid JSON."]},
            "message": "Invalid arguments",
        }
        assert at(TUE, "09:00") in await free_starts(sb)

    async def test_an_unknown_key_of_a_sandbox_body_is_400(self, sb: Sandbox) -> None:
        action = sb.book("09:00")
        action.body["colour"] = "red"  # type: ignore[index]

        body = await refused(sb, action, 400)

        assert list(body["errors"]) == ["colour"]
        assert at(TUE, "09:00") in await free_starts(sb)

    async def test_an_unreadable_start_is_400_keyed_start(self, sb: Sandbox) -> None:
        action = sb.book("09:00")
        action.body["start"] = "tomorrow"  # type: ignore[index]

        body = await refused(sb, action, 400)

        assert body["errors"] == {"start": ["This value is not a valid datetime."]}

    @pytest.mark.parametrize("where", ["facilities/999999999", "facilities/abc"])
    async def test_an_unknown_facility_is_404(self, sb: Sandbox, where: str) -> None:
        action = sb.book("09:00")
        path = action.path.replace(f"facilities/{sb.ids()[0]}", where)

        body = await refused(sb, Action("POST", path, action.body, []), 404)

        assert body == {"errors": [], "message": "Object not found"}
        assert at(TUE, "09:00") in await free_starts(sb)

    async def test_an_unknown_booking_is_404(self, sb: Sandbox) -> None:
        body = await refused(sb, sb.confirm("987654321"), 404)

        assert body == {"errors": [], "message": "Object not found"}

    async def test_without_the_operator_token_nothing_is_booked(self, sb: Sandbox) -> None:
        action = sb.book("09:00")

        response = await sb.api.http.post("/_sandbox/" + action.path, json=action.body)

        assert response.status_code == 401
        assert at(TUE, "09:00") in await free_starts(sb)
