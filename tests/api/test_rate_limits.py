"""Rate limits through the real app (decisions.md "Rate limits", behaviour.md §6)."""

from __future__ import annotations

from datetime import timedelta

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api


class TestWriteWindow:
    async def test_41st_write_is_refused_and_changes_nothing(self, api: Api) -> None:
        """40 writes a minute; the 41st gets 429 with headers and creates nothing (§6)."""
        estate = await api.estate(rate_limited=True)
        path = estate.address_path(0) + "/services"
        api.clock.set(api.clock.now().replace(second=0, microsecond=0))
        statuses = []
        for _ in range(40):
            response = await api.http.post(
                path, json={"service_id": "not-a-service"}, headers=estate.headers
            )
            statuses.append(response.status_code)
        before = (await api.http.get(path, headers=estate.headers)).json()

        refused = await api.http.post(
            path, json={"service_id": str(estate.service_ids[2])}, headers=estate.headers
        )

        assert statuses == [400] * 40
        assert refused.status_code == 429
        assert refused.json() == {"errors": [], "message": "Too Many Requests"}
        assert refused.headers["x-ratelimit-limit"] == "40"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.headers["x-ratelimit-used"] == "40"
        assert refused.headers["x-ratelimit-reset"] == "2026-01-05T09:01:00+01:00"
        assert refused.headers["retry-after"] == "60"
        assert (await api.http.get(path, headers=estate.headers)).json() == before

    async def test_window_reset_lets_writes_through(self, api: Api) -> None:
        """After the window ends (clock advanced) writes pass again."""
        estate = await api.estate(rate_limited=True)
        await api.container.services.clients.set_limits(estate.client_id, write_limit=2)
        url = estate.address_path(0) + "/calendar/disable"
        api.clock.set(api.clock.now().replace(second=0, microsecond=0))
        codes = [(await api.http.post(url, headers=estate.headers)).status_code for _ in range(3)]

        api.clock.advance(timedelta(seconds=60))
        after = await api.http.post(url, headers=estate.headers)

        assert codes[2] == 429
        assert after.status_code != 429
        assert after.headers["x-ratelimit-used"] == "1"


class TestHeaders:
    async def test_reads_and_writes_count_separately(self, api: Api) -> None:
        """GETs draw on the hourly read window, writes on the minute window."""
        estate = await api.estate(rate_limited=True)
        url = "/api/v3/integration/facilities"

        read = await api.http.get(url, headers=estate.headers)
        write = await api.http.post(
            estate.address_path(0) + "/calendar/disable", headers=estate.headers
        )
        read_again = await api.http.get(url, headers=estate.headers)

        assert read.headers["x-ratelimit-limit"] == "8000"
        assert read.headers["x-ratelimit-used"] == "1"
        assert write.headers["x-ratelimit-limit"] == "40"
        assert write.headers["x-ratelimit-used"] == "1"
        assert read_again.headers["x-ratelimit-used"] == "2"
        assert read.headers["x-ratelimit-reset"] == "2026-01-05T10:00:00+01:00"

    async def test_disabled_client_gets_no_headers(self, api: Api, estate: TestEstate) -> None:
        """Limiting off: no X-RateLimit-* header at all (behaviour.md §6)."""
        response = await api.http.get("/api/v3/integration/facilities", headers=estate.headers)

        assert response.status_code == 200
        assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")]

    async def test_two_clients_do_not_share_windows(self, api: Api) -> None:
        """Each client has its own counters."""
        first = await api.estate(rate_limited=True)
        second = await api.estate(rate_limited=True)

        for _ in range(3):
            await api.http.get("/api/v3/integration/facilities", headers=first.headers)
        other = await api.http.get("/api/v3/integration/facilities", headers=second.headers)

        assert other.headers["x-ratelimit-used"] == "1"

    async def test_errors_carry_the_headers_too(self, api: Api) -> None:
        """Every API response counts and says so, 404s included."""
        estate = await api.estate(rate_limited=True)

        response = await api.http.get(
            "/api/v3/integration/facilities/999999999", headers=estate.headers
        )

        assert response.status_code == 404
        assert response.headers["x-ratelimit-used"] == "1"
