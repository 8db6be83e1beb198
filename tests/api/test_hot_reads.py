"""The lean path of `GET /facilities` (api/hot_reads.py) answers exactly what the full stack
answers: status, headers in order (rate-limit headers included) and body bytes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.api.hot_reads import SlotsQueries
from dpi_server.bootstrap import Container
from dpi_server.services.access import AddressRef
from tests.api.calendar_support import MON, THU, TUE, Cal, at, period, q, window
from tests.api.hot_path_support import wire
from tests.conftest import Api

API = "/api/v3/integration"


@pytest.mark.parametrize("rate_limited", [False, True])
async def test_same_answer_as_the_full_stack(
    api: Api, full_stack: httpx.AsyncClient, rate_limited: bool
) -> None:
    estate = await api.estate(rate_limited=rate_limited)
    for query in ("", "?with=facility.doctors"):
        # One request each first, so the two rate-limit counts below are equal.
        hot = await api.http.get(f"{API}/facilities{query}", headers=estate.headers)
        full = await full_stack.get(f"{API}/facilities{query}", headers=estate.headers)
        assert len(hot.json()["_items"]) == 2
        if rate_limited:
            used_hot = int(hot.headers["x-ratelimit-used"])
            assert int(full.headers["x-ratelimit-used"]) == used_hot + 1
            hot = await api.http.get(f"{API}/facilities{query}", headers=estate.headers)
            assert int(hot.headers["x-ratelimit-used"]) == used_hot + 2
            # Compare like with like: the full stack's answer one count later.
            full = await full_stack.get(f"{API}/facilities{query}", headers=estate.headers)
            hot = await api.http.get(f"{API}/facilities{query}", headers=estate.headers)
            status, headers, body = wire(hot)
            f_status, f_headers, f_body = wire(full)
            assert (status, body) == (f_status, f_body)
            assert [k for k, _ in headers] == [k for k, _ in f_headers]
        else:
            assert wire(hot) == wire(full)


async def test_failures_are_left_to_the_full_stack(api: Api, full_stack: httpx.AsyncClient) -> None:
    estate = await api.estate()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer a b"}):
        hot = await api.http.get(f"{API}/facilities", headers=headers)
        full = await full_stack.get(f"{API}/facilities", headers=headers)
        assert hot.status_code == 401
        assert wire(hot) == wire(full)
    for method in ("POST", "DELETE"):
        hot = await api.http.request(method, f"{API}/facilities", headers=estate.headers)
        full = await full_stack.request(method, f"{API}/facilities", headers=estate.headers)
        assert hot.status_code == 405
        assert wire(hot) == wire(full)
    hot = await api.http.get(f"{API}/facilities/", headers=estate.headers)
    full = await full_stack.get(f"{API}/facilities/", headers=estate.headers)
    assert wire(hot) == wire(full)


async def test_a_renamed_facility_shows_at_once(api: Api, container: Container) -> None:
    """Any write to the directory through a unit of work drops the cached answer, even one
    that knows nothing about the cache (adapters/db/cache_writes.py)."""
    estate = await api.estate()
    before = (await api.http.get(f"{API}/facilities", headers=estate.headers)).json()
    facility_id = estate.facility_ids[0]
    uow = container.services.uow(write=True)
    assert isinstance(uow, SqlUnitOfWork)
    async with uow:
        await uow.connection.execute(
            text("UPDATE facilities SET name = 'Renamed' WHERE id = :id"), {"id": facility_id}
        )
        await uow.commit()
    after = (await api.http.get(f"{API}/facilities", headers=estate.headers)).json()

    names = {item["id"]: item["name"] for item in after["_items"]}
    assert names[str(facility_id)] == "Renamed"
    assert before != after


async def test_a_removed_facility_goes_at_once(api: Api) -> None:
    estate = await api.estate()
    await api.http.get(f"{API}/facilities", headers=estate.headers)
    await api.container.services.clients.unassign_facility(estate.client_id, estate.facility_ids[0])
    after = (await api.http.get(f"{API}/facilities", headers=estate.headers)).json()

    assert [item["id"] for item in after["_items"]] == [str(estate.facility_ids[1])]


async def slots_both(
    api: Api, full_stack: httpx.AsyncClient, cal: Cal, query: str, address: int = 0
) -> tuple[httpx.Response, httpx.Response]:
    url = f"{cal.path(address)}/slots?{query}"
    hot = await api.http.get(url, headers=cal.h)
    full = await full_stack.get(url, headers=cal.h)
    return hot, full


async def test_slots_same_answer_as_the_full_stack(api: Api, full_stack: httpx.AsyncClient) -> None:
    cal = Cal(api, await api.estate())
    await cal.enable()
    await cal.publish(period(at(TUE, "09:00"), at(TUE, "12:00"), (cal.sid(), 30)))
    week = window(at(MON, "00:00"), at(THU, "00:00"))
    cases = {
        "plain": week,
        "extra key": week + "&foo=1",
        "with services": week + "&with=slot.services",
        "with[]": week + "&with[]=slot.services",
        "repeated start": week + f"&start={q(at(TUE, '10:00'))}",
        "missing end": f"start={q(at(MON, '00:00'))}",
        "unreadable start": f"start=nope&end={q(at(THU, '00:00'))}",
        "end before start": window(at(THU, "00:00"), at(MON, "00:00")),
        "too long": window(at(MON, "00:00"), "2026-09-01T00:00:00+02:00"),
    }
    for name, query in cases.items():
        hot, full = await slots_both(api, full_stack, cal, query)
        assert wire(hot) == wire(full), name
    hot, _ = await slots_both(api, full_stack, cal, week)
    assert len(hot.json()["_items"]) == 6
    # Nothing published at the other address: the full stack's 404.
    hot, full = await slots_both(api, full_stack, cal, week, address=1)
    assert hot.status_code == 404
    assert wire(hot) == wire(full)


async def test_slots_of_a_foreign_or_unknown_path(api: Api, full_stack: httpx.AsyncClient) -> None:
    mine, theirs = Cal(api, await api.estate()), Cal(api, await api.estate())
    await theirs.enable()
    await theirs.publish(period(at(TUE, "09:00"), at(TUE, "12:00"), (theirs.sid(), 30)))
    query = window(at(MON, "00:00"), at(THU, "00:00"))
    for path in (theirs.path(), "/api/v3/integration/facilities/x/doctors/1/addresses/1"):
        url = f"{path}/slots?{query}"
        hot = await api.http.get(url, headers=mine.h)
        full = await full_stack.get(url, headers=mine.h)
        assert hot.status_code in (403, 404)
        assert wire(hot) == wire(full)


class TestCachedSlots:
    """A window's answer is kept (services/calendar.py `slot_answer`); every change shows at
    once in this process, and time passing removes starts exactly as a fresh reading does."""

    async def test_a_booking_shows_at_once(self, api: Api) -> None:
        cal = Cal(api, await api.estate())
        await cal.enable()
        await cal.publish(period(at(TUE, "09:00"), at(TUE, "11:00"), (cal.sid(), 30)))
        before = await cal.starts(TUE)
        await cal.booked(at(TUE, "09:30"))
        after = await cal.starts(TUE)

        assert at(TUE, "09:30") in before
        assert after == [s for s in before if s != at(TUE, "09:30")]

    async def test_new_availability_and_breaks_show_at_once(self, api: Api) -> None:
        cal = Cal(api, await api.estate())
        await cal.enable()
        await cal.publish(period(at(TUE, "09:00"), at(TUE, "10:00"), (cal.sid(), 30)))
        first = await cal.starts(TUE)
        await cal.publish(period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30)))
        replaced = await cal.starts(TUE)
        await cal.disable()
        disabled = (await cal.slots(at(TUE, "00:00"), at(TUE, "23:59"))).json()

        assert first == [at(TUE, "09:00"), at(TUE, "09:30")]
        assert replaced == [at(TUE, "13:00"), at(TUE, "13:30")]
        assert disabled == {"_items": []}

    async def test_time_passing_cuts_the_past_starts(self, api: Api) -> None:
        cal = Cal(api, await api.estate())
        await cal.enable()
        await cal.publish(period(at(MON, "10:00"), at(MON, "12:00"), (cal.sid(), 30)))
        cached = await cal.starts(MON)
        api.clock.advance(minutes=90)  # 10:30 local
        later = await cal.starts(MON)
        assert api.container.cache is not None
        api.container.cache.invalidate_calendar()
        fresh = await cal.starts(MON)
        api.clock.advance(minutes=-90)  # back to 09:00 (sandbox time travel)
        back = await cal.starts(MON)

        assert cached == [at(MON, h) for h in ("10:00", "10:30", "11:00", "11:30")]
        assert later == fresh == cached[1:]
        assert back == cached


def test_slots_queries_are_read_once_and_bounded() -> None:
    queries = SlotsQueries()
    path = f"{API}/facilities/1/doctors/2/addresses/3/slots"
    window_query = b"start=2026-12-07T00%3A00%3A00%2B01%3A00&end=2026-12-08T00%3A00%3A00%2B01%3A00"
    first = queries.parse(path, window_query)
    assert first is not None
    assert first.ref == AddressRef(1, 2, 3)
    assert first.start.isoformat() == "2026-12-06T23:00:00+00:00"
    assert queries.parse(path, window_query) is first
    # What the full stack must answer is not read here, remembered or not.
    for refused in (
        window_query + b"&with=slot.address_services",
        window_query + b"&start=2026-12-09T00%3A00%3A00%2B01%3A00",
        b"start=tomorrow&end=2026-12-08T00%3A00%3A00%2B01%3A00",
        b"start=2026-12-07T00%3A00%3A00%2B01%3A00",
    ):
        assert queries.parse(path, refused) is None
        assert queries.parse(path, refused) is None
    assert queries.parse(f"{API}/facilities/x/doctors/2/addresses/3/slots", window_query) is None
    for n in range(SlotsQueries.LIMIT + 10):
        queries.parse(f"{API}/facilities/{n}/doctors/2/addresses/3/slots", window_query)
    assert len(queries._known) <= SlotsQueries.LIMIT
