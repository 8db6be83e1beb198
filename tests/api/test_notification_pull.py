"""Pulling notifications and who receives which copy (behaviour.md §11.2, decisions.md
"Notifications", issue #9 §2-§3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dpi_server.domain.notifications import OPTIONAL_EVENTS
from dpi_server.services.notifications import DeliveryChange
from tests.api.calendar_support import TUE, Cal, at, book_body
from tests.api.notification_support import (
    DOCTOR,
    Marketplace,
    configure,
    doctor_break,
    other_client,
    pull_all,
    pull_with,
)
from tests.api.support import ERROR_TYPE, failure, success
from tests.conftest import Api

N = "/api/v3/integration/notifications"


class TestPull:
    async def test_an_empty_queue_answers_404_on_both_endpoints(self, api: Api) -> None:
        """Nothing queued: 404 `No notifications found`, never an empty list (§11.2)."""
        estate = await api.estate()

        single = await api.http.get(N, headers=estate.headers)
        many = await api.http.get(f"{N}/multiple?limit=5", headers=estate.headers)

        assert failure(single, 404) == {"errors": [], "message": "No notifications found"}
        assert failure(many, 404) == {"errors": [], "message": "No notifications found"}

    async def test_single_pull_returns_the_oldest_and_consumes_it(self, api: Api) -> None:
        """FIFO, one per request; a pulled notification is not returned again."""
        estate = await api.estate()
        first = await doctor_break(api, estate, hour=12)
        second = await doctor_break(api, estate, hour=14)

        a = success(await api.http.get(N, headers=estate.headers))
        b = success(await api.http.get(N, headers=estate.headers))
        c = await api.http.get(N, headers=estate.headers)

        assert [a["data"]["break"]["id"], b["data"]["break"]["id"]] == [str(first), str(second)]
        assert c.status_code == 404

    async def test_multiple_defaults_to_one_and_reports_what_remains(self, api: Api) -> None:
        """`limit` defaults to 1; `remaining` counts what is still queued."""
        estate = await api.estate()
        for hour in (8, 10, 12):
            await doctor_break(api, estate, hour=hour)

        one = success(await api.http.get(f"{N}/multiple", headers=estate.headers))
        rest = success(await api.http.get(f"{N}/multiple?limit=100", headers=estate.headers))

        assert (len(one["notifications"]), one["remaining"]) == (1, 2)
        assert (len(rest["notifications"]), rest["remaining"]) == (2, 0)
        assert set(one) == {"notifications", "remaining"}

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "abc"])
    async def test_a_limit_outside_1_to_100_is_400(self, api: Api, limit: str) -> None:
        """limit must be 1..100, else 400 with an `errors` map (decisions.md)."""
        estate = await api.estate()
        await doctor_break(api, estate)

        response = await api.http.get(f"{N}/multiple?limit={limit}", headers=estate.headers)

        body = failure(response, 400)
        assert body["message"] == "Invalid arguments"
        assert list(body["errors"]) == ["limit"]
        assert response.headers["content-type"] == ERROR_TYPE

    async def test_unpulled_copies_expire_72_hours_after_creation(self, api: Api) -> None:
        """A copy not pulled within 72 h is gone, and housekeeping deletes its row."""
        estate = await api.estate()
        await doctor_break(api, estate, hour=12)
        api.clock.advance(timedelta(hours=71, minutes=59))
        await doctor_break(api, estate, hour=14)
        api.clock.advance(timedelta(minutes=2))
        await api.fresh_token(estate)

        await api.container.services.delivery.run_due()
        left = await api.container.services.notification_admin.list_copies(estate.client_id)
        pulled = await pull_all(api, estate)

        assert len(left) == 1
        assert [n["data"]["break"]["since"][11:16] for n in pulled] == ["14:00"]


class TestFanOut:
    async def test_a_clients_own_api_change_is_not_echoed_back_to_it(self, api: Api) -> None:
        """bookSlot through the API: the booking client gets nothing, a client sharing the
        facility gets `slot-booked` (decisions.md "Notifications")."""
        estate = await api.estate()
        other = await other_client(api, [estate.facility_ids[0]])
        cal = Cal(api, estate)
        await Marketplace(api, estate).open_tuesday()

        await cal.booked(at(TUE, "09:00"), book_body(cal.sid()))

        assert await pull_all(api, estate) == []
        [copy] = await pull_with(api, other.headers)
        assert copy["name"] == "slot-booked"
        assert copy["data"]["visit_booking"]["booked_by"] == "integration"

    async def test_overlapping_estates_each_get_exactly_their_copies(self, api: Api) -> None:
        """A holds both facilities, B only the second, C none of them: A gets two copies, B
        one, C nothing."""
        estate = await api.estate()
        b = await other_client(api, [estate.facility_ids[1]])
        c = await other_client(api, [(await api.estate()).facility_ids[0]])

        first = await doctor_break(api, estate, address=0)
        second = await doctor_break(api, estate, address=3)

        ids = lambda found: sorted(n["data"]["break"]["id"] for n in found)  # noqa: E731
        assert ids(await pull_all(api, estate)) == sorted([str(first), str(second)])
        assert ids(await pull_with(api, b.headers)) == [str(second)]
        assert await pull_with(api, c.headers) == []

    async def test_a_client_that_loses_a_facility_stops_receiving_its_events(
        self, api: Api
    ) -> None:
        """From the moment the facility leaves the estate, nothing more of it arrives, not
        even copies queued before."""
        estate = await api.estate()
        await doctor_break(api, estate, address=0, hour=8)
        kept = await doctor_break(api, estate, address=3, hour=8)

        await api.container.services.clients.unassign_facility(
            estate.client_id, estate.facility_ids[0]
        )
        await doctor_break(api, estate, address=0, hour=10)

        [copy] = await pull_all(api, estate)
        assert copy["data"]["break"]["id"] == str(kept)

    async def test_optional_events_arrive_only_when_enabled(self, api: Api) -> None:
        """booking-payment-status-changed is opt-in per client (SDK 1.0.34 cannot parse it)."""
        estate = await api.estate()
        enabled = await other_client(api, [estate.facility_ids[0]])
        await configure(api, estate)  # defaults: no optional events
        await api.container.services.notification_admin.configure(
            enabled.client_id, DeliveryChange(enable_events=OPTIONAL_EVENTS)
        )
        m = Marketplace(api, estate)
        await m.open_tuesday(1)
        paid = await m.book("09:00", address=1, actor=DOCTOR, visit_payment=True)
        await api.container.services.bookings.change_payment_status(
            await m.booking_scope(paid.booking.id, address=1), "paid"
        )

        mine = [n["name"] for n in await pull_all(api, estate)]
        theirs = [n["name"] for n in await pull_with(api, enabled.headers)]

        assert mine == ["slot-booked"]
        assert theirs == ["slot-booked", "booking-payment-status-changed"]

    async def test_a_change_that_fails_leaves_no_notification(self, api: Api) -> None:
        """The copies are written in the change's transaction: a refused booking (the slot
        does not exist) leaves nothing to pull."""
        estate = await api.estate()
        other = await other_client(api, [estate.facility_ids[0]])
        cal = Cal(api, estate)
        await Marketplace(api, estate).open_tuesday()

        refused = await cal.book(at(TUE, "13:00"), book_body(cal.sid()))

        assert refused.status_code == 404
        assert await pull_with(api, other.headers) == []
