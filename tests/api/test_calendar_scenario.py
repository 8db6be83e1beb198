"""The integration scenario of issue #3, end to end over HTTP on both databases."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api

# FakeClock starts Monday 2026-01-05 08:00 UTC (09:00 in Warsaw, UTC+1 in winter).
DAY = "2026-01-06"


def q(value: str) -> str:
    return quote(value, safe="")


async def publish_week(api: Api, estate: TestEstate, path: str, s20: str, s60: str) -> None:
    periods = [
        {
            "start": f"2026-01-{day:02d}T16:00:00+01:00",
            "end": f"2026-01-{day:02d}T19:00:00+01:00",
            "address_services": [
                {"address_service_id": s20, "duration": 20},
                {"address_service_id": s60, "duration": 60},
            ],
        }
        for day in range(6, 13)
    ]
    response = await api.http.put(f"{path}/slots", json={"slots": periods}, headers=estate.headers)
    assert response.status_code == 201, response.text
    assert response.content == b""


async def slots_of(api: Api, estate: TestEstate, path: str, day: str = DAY) -> list[str]:
    response = await api.http.get(
        f"{path}/slots?start={q(day + 'T00:00:00+01:00')}&end={q(day + 'T23:59:00+01:00')}",
        headers=estate.headers,
    )
    assert response.status_code == 200, response.text
    return [s["start"] for s in response.json()["_items"]]


class TestScenario:
    async def test_full_integration_flow(self, api: Api, estate: TestEstate) -> None:
        """Calendar, slots, booking, break, moves, confirm, presence, cancel (issue #3)."""
        path = estate.address_path(0)
        h = estate.headers

        # Calendar: created by enable, read back, 409 the second time.
        assert (await api.http.get(f"{path}/calendar", headers=h)).status_code == 404
        assert (await api.http.post(f"{path}/calendar/enable", headers=h)).status_code == 200
        assert (await api.http.get(f"{path}/calendar", headers=h)).json() == {"status": "enabled"}
        again = await api.http.post(f"{path}/calendar/enable", headers=h)
        assert again.status_code == 409
        assert again.json()["message"] == "Calendar already enabled"

        # Two new address services of 20 and 60 minutes.
        created = []
        for service_id in estate.service_ids[2:3]:
            r = await api.http.post(f"{path}/services", json={"service_id": service_id}, headers=h)
            assert r.status_code == 201
            created.append(r.json()["id"])
        s20, s60 = created[0], str(estate.address_service_ids[0])

        await publish_week(api, estate, path, s20, s60)
        slots = await slots_of(api, estate, path)
        assert slots == [
            f"{DAY}T16:00:00+01:00",
            f"{DAY}T16:20:00+01:00",
            f"{DAY}T16:40:00+01:00",
            f"{DAY}T17:00:00+01:00",
            f"{DAY}T17:20:00+01:00",
            f"{DAY}T17:40:00+01:00",
            f"{DAY}T18:00:00+01:00",
            f"{DAY}T18:20:00+01:00",
            f"{DAY}T18:40:00+01:00",
        ]

        # slot.services: the 60-minute service fits only where an hour remains.
        detailed = await api.http.get(
            f"{path}/slots?start={q(DAY + 'T18:00:00+01:00')}&end={q(DAY + 'T19:00:00+01:00')}"
            "&with=slot.services",
            headers=h,
        )
        items = detailed.json()["_items"]
        assert [len(i["address_services"]["_items"]) for i in items] == [2, 1, 1]
        assert items[0]["address_services"]["_items"][1]["duration"] == 60

        # Book the 60-minute service at 16:00: three 20-minute slots disappear.
        start = f"{DAY}T16:00:00+01:00"
        booked = await api.http.post(
            f"{path}/slots/{q(start)}/book",
            json={
                "address_service_id": s60,
                "duration": 60,
                "patient": {
                    "name": "Jan",
                    "surname": "Kowalski",
                    "phone": 48123123123,
                    "email": "jan@example.com",
                    "birth_date": "1985-01-01T00:00:00+01:00",
                    "gender": "m",
                    "nin": 85010112345,
                },
                "label": "null",
                "comment": "First visit",
                "is_returning": True,
            },
            headers=h,
        )
        assert booked.status_code == 200, booked.text
        booking = booked.json()
        assert booking["status"] == "booked"
        assert booking["booked_by"] == "integration"
        assert booking["canceled_by"] == ""
        assert booking["start_at"] == start
        assert booking["end_at"] == f"{DAY}T17:00:00+01:00"
        assert booking["duration"] == 60
        assert (await slots_of(api, estate, path))[:1] == [f"{DAY}T17:00:00+01:00"]
        assert len(await slots_of(api, estate, path)) == 6

        # The same slot again: 404 with the spec's message.
        twice = await api.http.post(
            f"{path}/slots/{q(start)}/book",
            json={
                "address_service_id": s20,
                "duration": 20,
                "patient": {"name": "Ann", "phone": "+48500500500"},
            },
            headers=h,
        )
        assert twice.status_code == 404
        assert twice.json()["message"] == (
            f"Unable to perform booking. Requested target slot ({start}) not found"
        )

        # A break hides its slots.
        brk = await api.http.post(
            f"{path}/breaks",
            json={
                "since": f"{DAY}T18:00:00+01:00",
                "till": f"{DAY}T18:40:00+01:00",
                "description": "Lunch",
            },
            headers=h,
        )
        assert brk.status_code == 201
        assert brk.headers["location"].endswith(f"/breaks/{brk.json()['id']}")
        assert await slots_of(api, estate, path) == [
            f"{DAY}T17:00:00+01:00",
            f"{DAY}T17:20:00+01:00",
            f"{DAY}T17:40:00+01:00",
            f"{DAY}T18:40:00+01:00",
        ]

        # Move to the doctor's online address (needs availability there first).
        online = estate.address_path(1)
        online_service = str(estate.address_service_ids[2])
        assert (await api.http.post(f"{online}/calendar/enable", headers=h)).status_code == 200
        await api.http.put(
            f"{online}/slots",
            json={
                "slots": [
                    {
                        "start": f"{DAY}T10:00:00+01:00",
                        "end": f"{DAY}T12:00:00+01:00",
                        "address_services": [
                            {"address_service_id": online_service, "duration": 30}
                        ],
                    }
                ]
            },
            headers=h,
        )
        moved = await api.http.post(
            f"{path}/bookings/{booking['id']}/move",
            json={
                "address_service_id": online_service,
                "start": f"{DAY}T10:30:00+01:00",
                "duration": 30,
                "address_id": estate.address_ids[1],
            },
            headers=h,
        )
        assert moved.status_code == 201, moved.text
        first_move = moved.json()
        assert first_move["id"] != booking["id"]
        assert moved.headers["location"].endswith(
            f"/doctors/{estate.doctor_ids[0]}/addresses/{estate.address_ids[1]}"
            f"/bookings/{first_move['id']}"
        )
        assert first_move["patient"]["name"] == "Jan"
        old = await api.http.get(f"{path}/bookings/{booking['id']}?with=booking.moving", headers=h)
        assert old.json()["status"] == "canceled"
        assert old.json()["moving"] == {
            "origin_booking_id": booking["id"],
            "newest_booking_id": first_move["id"],
        }
        replay = await api.http.post(
            f"{path}/bookings/{booking['id']}/move",
            json={"address_service_id": online_service, "start": f"{DAY}T11:00:00+01:00"},
            headers=h,
        )
        assert replay.status_code == 409
        assert replay.json()["message"] == "The visit has already been canceled or moved"
        # The freed 16:00 hour is bookable again.
        assert (await slots_of(api, estate, path))[0] == f"{DAY}T16:00:00+01:00"

        # Move to another doctor in the same facility.
        other = estate.address_path(2)
        other_service = str(estate.address_service_ids[4])
        await api.http.put(
            f"{other}/slots",
            json={
                "slots": [
                    {
                        "start": f"{DAY}T09:00:00+01:00",
                        "end": f"{DAY}T11:00:00+01:00",
                        "address_services": [{"address_service_id": other_service, "duration": 30}],
                    }
                ]
            },
            headers=h,
        )
        second = await api.http.post(
            f"{online}/bookings/{first_move['id']}/move",
            json={
                "address_service_id": other_service,
                "start": f"{DAY}T09:30:00+01:00",
                "address_id": str(estate.address_ids[2]),
            },
            headers=h,
        )
        assert second.status_code == 201, second.text
        final = second.json()
        assert f"/doctors/{estate.doctor_ids[1]}/" in second.headers["location"]

        # Confirm, then presence once the visit has started.
        confirm = await api.http.put(
            f"{other}/bookings/{final['id']}/confirm", json={"confirmed_by": "admin"}, headers=h
        )
        assert confirm.status_code == 204
        early = await api.http.post(f"{other}/bookings/{final['id']}/presence/patient", headers=h)
        assert early.status_code == 400
        assert early.json()["message"] == "Visit is in the future"
        api.clock.advance(timedelta(days=1, hours=1))
        h = await api.fresh_token(estate)
        present = await api.http.post(f"{other}/bookings/{final['id']}/presence/patient", headers=h)
        assert present.status_code == 204

        # Read everything back with every `with`.
        listed = await api.http.get(
            f"{other}/bookings?start={q(DAY + 'T00:00:00+01:00')}&end={q(DAY + 'T23:59:00+01:00')}"
            "&with=booking.patient,booking.address_service,booking.presence,booking.confirmation"
            "&with=address_service.public_insurance_flow",
            headers=h,
        )
        row = listed.json()["_items"][0]
        assert row["presence"] == "present"
        assert row["confirmed"] is True
        assert row["patient"]["phone"] == "48123123123"
        assert row["patient"]["birth_date"] == "1985-01-01"
        assert row["address_service"]["is_public_insurance_flow"] is False
        single = await api.http.get(
            f"{other}/bookings/{final['id']}?with=booking.moving", headers=h
        )
        assert single.json()["moving"] == {
            "origin_booking_id": booking["id"],
            "newest_booking_id": final["id"],
        }

        # Cancel: 204 once, 400 after.
        gone = await api.http.request(
            "DELETE",
            f"{other}/bookings/{final['id']}",
            json={"reason": "Patient called"},
            headers=h,
        )
        assert gone.status_code == 204
        again_cancel = await api.http.delete(f"{other}/bookings/{final['id']}", headers=h)
        assert again_cancel.status_code == 400
        assert again_cancel.json()["message"] == (
            f"Visit {final['id']} cannot be canceled because it is not booked"
        )
