"""`/_sandbox/clock`: show, freeze, set, advance and real, the refusals, and one time shared by
every container (process) on the same database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from dpi_server.bootstrap import Container, build, build_app
from dpi_server.config import Settings
from dpi_server.testing.clock import FakeClock
from tests.api.support import failure
from tests.conftest import Api
from tests.sandbox.clock_support import CLOCK, advance, clock_call, operator

__all__ = ["operator"]


def at(body: dict[str, str]) -> datetime:
    return datetime.fromisoformat(body["now"])


async def test_the_clock_starts_real(api: Api, operator: dict[str, str]) -> None:
    response = await api.http.get(CLOCK, headers=operator)

    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "real"
    assert body["offset_seconds"] == 0
    assert body["frozen_at"] is None
    assert at(body) == api.clock.now()


async def test_a_frozen_clock_stands_still_while_real_time_runs(
    api: Api, operator: dict[str, str]
) -> None:
    frozen = await clock_call(api, operator, "freeze")
    api.clock.advance(minutes=10)  # the wall clock underneath moves on

    shown = (await api.http.get(CLOCK, headers=operator)).json()

    assert frozen["mode"] == shown["mode"] == "frozen"
    assert at(shown) == at(frozen) == api.clock.now() - timedelta(minutes=10)
    assert datetime.fromisoformat(shown["frozen_at"]) == at(frozen)


async def test_advance_on_a_running_clock_is_an_offset(api: Api, operator: dict[str, str]) -> None:
    travel = await advance(api, operator, "PT2H")
    api.clock.advance(minutes=1)

    shown = (await api.http.get(CLOCK, headers=operator)).json()

    assert travel["clock"]["mode"] == shown["mode"] == "offset"
    assert shown["offset_seconds"] == 7200
    assert at(shown) == api.clock.now() + timedelta(hours=2)


async def test_set_moves_forward_to_an_instant(api: Api, operator: dict[str, str]) -> None:
    await clock_call(api, operator, "freeze")
    target = api.clock.now() + timedelta(days=3, minutes=7)

    travel = await clock_call(api, operator, "set", at=target.isoformat())

    assert at(travel["clock"]) == target
    assert api.container.services.clock.now() == target


async def test_set_to_the_past_is_refused_and_changes_nothing(
    api: Api, operator: dict[str, str]
) -> None:
    await clock_call(api, operator, "freeze")
    now = api.container.services.clock.now()

    response = await api.http.post(
        f"{CLOCK}/set", json={"at": (now - timedelta(seconds=1)).isoformat()}, headers=operator
    )

    body = failure(response, 409)
    assert "cannot be set back" in body["message"]
    assert api.container.services.clock.now() == now


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": "PT0S"}, "duration"),
        ({"duration": -60}, "duration"),
        ({"duration": "ninety minutes"}, "duration"),
        ({}, "duration"),
    ],
)
async def test_a_bad_duration_is_400_with_the_field(
    api: Api, operator: dict[str, str], body: dict[str, object], field: str
) -> None:
    before = api.container.services.clock.now()

    response = await api.http.post(f"{CLOCK}/advance", json=body, headers=operator)

    errors = failure(response, 400)["errors"]
    assert any(field in key for key in errors), errors
    assert api.container.services.clock.now() == before


async def test_a_naive_instant_is_400(api: Api, operator: dict[str, str]) -> None:
    response = await api.http.post(
        f"{CLOCK}/set", json={"at": "2030-01-01T10:00"}, headers=operator
    )

    assert "at" in str(failure(response, 400)["errors"])


async def test_real_returns_to_the_wall_clock(api: Api, operator: dict[str, str]) -> None:
    await clock_call(api, operator, "freeze")
    await advance(api, operator, 3600)

    real = await clock_call(api, operator, "real")

    assert real["mode"] == "real"
    assert at(real) == api.clock.now()


async def test_the_clock_needs_the_operator_token(api: Api, operator: dict[str, str]) -> None:
    for method, path in (("GET", CLOCK), ("POST", f"{CLOCK}/advance")):
        response = await api.http.request(method, path, json={"duration": 60})
        failure(response, 401)


async def test_status_reports_the_clock(api: Api, operator: dict[str, str]) -> None:
    await advance(api, operator, 90)

    status = (await api.http.get("/_sandbox/status", headers=operator)).json()

    assert status["clock_mode"] == "offset"
    assert status["clock_offset_seconds"] == 90


@pytest.fixture
async def two_containers(settings: Settings) -> AsyncIterator[tuple[Container, Container]]:
    """Two processes' worth of wiring on one database, each with its own wall clock."""
    first, second = build(settings, clock=FakeClock()), build(settings, clock=FakeClock())
    try:
        yield first, second
    finally:
        await first.services.time_travel.real()
        await first.close()
        await second.close()


async def test_two_containers_on_one_database_share_the_travelled_time(
    two_containers: tuple[Container, Container],
) -> None:
    first, second = two_containers
    await second.services.time_travel.sync()  # the second has read the clock: real
    await first.services.time_travel.freeze()
    travel = await first.services.time_travel.advance(timedelta(hours=5))

    shown = await second.services.time_travel.show()

    assert shown.mode == "frozen"
    assert shown.now == travel.clock.now == first.services.clock.now()


async def test_another_process_sees_a_change_within_a_second(
    two_containers: tuple[Container, Container],
) -> None:
    """Through the API of the second container, with no forced read: its next request after
    the half-second cache age answers with the moved time."""
    first, second = two_containers
    app = build_app(second)
    await second.services.time_travel.sync()
    await first.services.time_travel.freeze()
    moved = (await first.services.time_travel.advance(timedelta(days=2))).clock.now

    await asyncio.sleep(0.6)  # longer than the cache age (0.5 s), inside the promised second
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/api/v3/integration/facilities")  # any request re-reads

    assert response.status_code == 401
    assert second.services.clock.now() == moved


async def test_two_operators_advancing_at_once_both_succeed_and_time_only_grows(
    two_containers: tuple[Container, Container],
) -> None:
    first, second = two_containers
    await first.services.time_travel.freeze()
    start = (await second.services.time_travel.show()).now

    await asyncio.gather(
        first.services.time_travel.advance(timedelta(hours=1)),
        second.services.time_travel.advance(timedelta(hours=2)),
    )

    shown = await first.services.time_travel.show()
    assert shown.mode == "frozen"
    assert shown.now >= start + timedelta(hours=2)
    assert shown.now <= start + timedelta(hours=3)
    assert (await second.services.time_travel.show()).now == shown.now
