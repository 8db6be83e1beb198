"""Time travel runs what became due on the way, each item at its own due time: a failing push
endpoint's retry schedule (0, +5, +10 minutes, then buried) in one `advance`, against a real
local HTTP receiver, and token expiry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from dpi_server.domain.notifications import BURIED, RetrySchedule
from tests.api.notification_support import Answer, Receiver, configure, doctor_break
from tests.api.support import failure, success
from tests.conftest import Api
from tests.sandbox.clock_support import CLOCK, advance, clock_call, operator

__all__ = ["operator"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(answer=lambda _r: Answer(500, b'{"down":true}'))
    yield found
    found.close()


async def test_advance_walks_a_failing_endpoint_through_its_retries(
    api: Api, operator: dict[str, str], receiver: Receiver
) -> None:
    delivery = api.container.services.delivery
    delivery.config = replace(delivery.config, retry=RetrySchedule.parse("5,10"))
    estate = await api.estate()
    await configure(api, estate, push_url=receiver.url)
    frozen = await clock_call(api, operator, "freeze")
    start = api.container.services.clock.now()
    await doctor_break(api, estate)

    travel = await advance(api, operator, "PT30M")

    # Attempts at 0, +5 and +10 minutes: three stops, each attempt made at its due time.
    assert len(receiver.posts) == 3
    admin = api.container.services.notification_admin
    [copy] = await admin.list_copies(estate.client_id)
    assert copy.state == BURIED
    _, _, attempts = await admin.show_copy(copy.delivery_id)
    assert [a.at - start for a in attempts] == [timedelta(minutes=m) for m in (0, 5, 10)]
    assert [a.status_code for a in attempts] == [500, 500, 500]
    assert travel["ran"]["attempts"] >= 3
    assert travel["ran"]["steps"] >= 3
    assert travel["clock"]["mode"] == "frozen"
    assert frozen["mode"] == "frozen"
    assert datetime.fromisoformat(travel["clock"]["now"]) == start + timedelta(minutes=30)


async def test_an_integration_token_expires_after_25_hours_of_travel(
    api: Api, operator: dict[str, str]
) -> None:
    estate = await api.estate()
    facilities = "/api/v3/integration/facilities"
    success(await api.http.get(facilities, headers=estate.headers))

    await advance(api, operator, 25 * 3600)

    failure(await api.http.get(facilities, headers=estate.headers), 401)
    fresh = await api.fresh_token(estate)
    success(await api.http.get(facilities, headers=fresh))


async def test_the_clock_answers_get_after_travel(api: Api, operator: dict[str, str]) -> None:
    await clock_call(api, operator, "freeze")
    before = api.container.services.clock.now()

    await advance(api, operator, "P1DT2H")
    shown = await api.http.get(CLOCK, headers=operator)

    assert shown.status_code == 200
    body = shown.json()
    assert body["mode"] == "frozen"
    assert api.container.services.clock.now() - before == timedelta(days=1, hours=2)
