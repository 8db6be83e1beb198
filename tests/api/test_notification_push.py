"""Push delivery: attempts, retries, burial, release, purge, health checks and signatures
(behaviour.md §11.3, decisions.md "Notifications", issue #9 §4 and §7). Time moves only
through the injected clock; the endpoint is a real local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from dpi_server.domain.notifications import BURIED, DELIVERED, RetrySchedule
from dpi_server.services.notifications import DeliveryChange
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import Answer, Receiver, configure, doctor_break
from tests.api.support import failure
from tests.conftest import Api

RELEASE = "/api/v3/integration/notifications/release"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def failing(_r: object) -> Answer:
    return Answer(500, b'{"oops":true}')


async def states(api: Api, client_id: str) -> list[str]:
    return [c.state for c in await api.container.services.notification_admin.list_copies(client_id)]


class TestRetries:
    async def test_a_failing_endpoint_sees_three_attempts_at_0_5_and_10_minutes(
        self, api: Api, receiver: Receiver
    ) -> None:
        """Non-2xx: retried at +5 and +10 minutes after the first attempt, then buried."""
        receiver.answer = failing
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)
        delivery = api.container.services.delivery
        start = api.clock.now()

        seen = []
        for minute in (0, 4, 5, 9, 10, 60, 600):
            api.clock.set(start + timedelta(minutes=minute))
            await delivery.run_due()
            seen.append(len(receiver.posts))

        assert seen == [1, 1, 2, 2, 3, 3, 3]
        assert await states(api, estate.client_id) == [BURIED]
        [copy] = await api.container.services.notification_admin.list_copies(estate.client_id)
        _, _, attempts = await api.container.services.notification_admin.show_copy(copy.delivery_id)
        assert [a.at - start for a in attempts] == [timedelta(minutes=m) for m in (0, 5, 10)]
        assert [a.status_code for a in attempts] == [500, 500, 500]

    async def test_any_2xx_is_delivered_at_the_first_attempt(
        self, api: Api, receiver: Receiver
    ) -> None:
        receiver.answer = lambda _r: Answer(204)
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)

        await api.container.services.delivery.run_due()
        api.clock.advance(minutes=30)
        await api.container.services.delivery.run_due()

        assert len(receiver.posts) == 1
        assert await states(api, estate.client_id) == [DELIVERED]

    async def test_no_answer_within_the_timeout_is_a_failure(
        self, api: Api, receiver: Receiver
    ) -> None:
        """The timeout (10 s by default, here 0.3 s) counts as a failed attempt."""
        receiver.answer = lambda _r: Answer(200, delay=1.0)
        delivery = api.container.services.delivery
        delivery.config = replace(delivery.config, push_timeout=0.3)
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)

        await delivery.run_due()

        [copy] = await api.container.services.notification_admin.list_copies(estate.client_id)
        _, _, [attempt] = await api.container.services.notification_admin.show_copy(
            copy.delivery_id
        )
        assert attempt.status_code is None
        assert attempt.error is not None
        assert "timeout" in attempt.error
        assert copy.state == "pending"

    async def test_the_schedule_is_configurable(self, api: Api, receiver: Receiver) -> None:
        """`DPI_NOTIFY_RETRY_MINUTES=1,5,15`: attempts at 0, +1, +5 and +15 minutes."""
        receiver.answer = failing
        delivery = api.container.services.delivery
        delivery.config = replace(delivery.config, retry=RetrySchedule.parse("1/5/15"))
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)
        start = api.clock.now()

        for minute in (0, 1, 5, 15, 30):
            api.clock.set(start + timedelta(minutes=minute))
            await delivery.run_due()

        assert len(receiver.posts) == 4
        assert await states(api, estate.client_id) == [BURIED]


class TestRelease:
    async def _buried(self, api: Api, receiver: Receiver) -> TestEstate:
        receiver.answer = failing
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)
        start = api.clock.now()
        for minute in (0, 5, 10):
            api.clock.set(start + timedelta(minutes=minute))
            await api.container.services.delivery.run_due()
        assert await states(api, estate.client_id) == [BURIED]
        return estate

    async def test_release_redelivers_a_buried_copy_once_the_endpoint_recovers(
        self, api: Api, receiver: Receiver
    ) -> None:
        estate = await self._buried(api, receiver)
        receiver.answer = lambda _r: Answer(200)

        response = await api.http.post(RELEASE, headers=estate.headers)
        await api.container.services.delivery.run_due()

        assert response.status_code == 204
        assert response.content == b""
        assert len(receiver.posts) == 4
        assert receiver.posts[-1].body == receiver.posts[0].body
        assert await states(api, estate.client_id) == [DELIVERED]

    async def test_a_second_release_within_the_hour_is_429_with_retry_after(
        self, api: Api, receiver: Receiver
    ) -> None:
        estate = await self._buried(api, receiver)
        headers = estate.headers

        first = await api.http.post(RELEASE, headers=headers)
        api.clock.advance(minutes=20)
        second = await api.http.post(RELEASE, headers=headers)
        api.clock.advance(minutes=40)
        third = await api.http.post(RELEASE, headers=headers)

        assert first.status_code == 204
        assert failure(second, 429) == {"errors": [], "message": "Too Many Requests"}
        assert second.headers["retry-after"] == str(40 * 60)
        assert third.status_code == 204

    async def test_release_is_for_push_clients_only(self, api: Api) -> None:
        estate = await api.estate()

        response = await api.http.post(RELEASE, headers=estate.headers)

        assert failure(response, 403) == {
            "errors": [],
            "message": "You are not allowed to use this method",
        }


class TestRetention:
    async def test_every_copy_is_deleted_14_days_after_creation(
        self, api: Api, receiver: Receiver
    ) -> None:
        """Delivered, buried or queued: 14 days after creation nothing is left."""
        receiver.answer = failing
        push = await api.estate()
        pull = await api.estate()
        await configure(api, push, push_url=receiver.url)
        await doctor_break(api, push)
        await doctor_break(api, pull)
        start = api.clock.now()
        for minute in (0, 5, 10):
            api.clock.set(start + timedelta(minutes=minute))
            await api.container.services.delivery.run_due()

        api.clock.set(start + timedelta(days=13, hours=23))
        await api.container.services.delivery.run_due()
        kept = await states(api, push.client_id)
        api.clock.set(start + timedelta(days=14, seconds=1))
        await api.container.services.delivery.run_due()

        assert kept == [BURIED]
        assert await states(api, push.client_id) == []
        assert await states(api, pull.client_id) == []


class TestEndpointHealth:
    async def test_three_failed_checks_in_a_row_mark_the_endpoint_unhealthy(
        self, api: Api, receiver: Receiver
    ) -> None:
        """A GET every 5 minutes; any non-5xx is healthy (decisions.md)."""
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        notifications = api.container.services.notification_admin
        delivery = api.container.services.delivery
        receiver.answer = lambda _r: Answer(200)

        await delivery.run_due()
        healthy = (await notifications.delivery_of(estate.client_id)).healthy
        receiver.close()  # nobody listens any more: the checks fail
        verdicts = []
        for _ in range(3):
            api.clock.advance(minutes=5)
            await delivery.run_due()
            verdicts.append((await notifications.delivery_of(estate.client_id)).healthy)

        assert healthy is True
        assert verdicts == [True, True, False]


class TestSignatures:
    async def test_deliveries_are_unsigned_by_default(self, api: Api, receiver: Receiver) -> None:
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)

        await api.container.services.delivery.run_due()

        assert not any(k.startswith("webhook-") for k in receiver.posts[0].headers)

    async def test_a_signing_client_can_verify_every_delivery(
        self, api: Api, receiver: Receiver
    ) -> None:
        """Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` under the secret shown once."""
        estate = await api.estate()
        configured = await api.container.services.notification_admin.configure(
            estate.client_id,
            DeliveryChange(push_url=receiver.url, sign=True),
        )
        await doctor_break(api, estate)

        await api.container.services.delivery.run_due()

        secret = configured.new_signing_secret
        assert secret is not None
        assert secret.startswith("whsec_")
        [post] = receiver.posts
        h = post.headers
        signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + post.body
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert h["webhook-signature"] == f"v1,{expected}"
        assert int(h["webhook-timestamp"]) == int(api.clock.now().timestamp())
        assert h["webhook-id"].startswith("msg_")
