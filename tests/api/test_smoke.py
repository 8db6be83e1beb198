"""A first end-to-end check of the harness: token, then the client's facilities."""

from __future__ import annotations

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api


async def test_lists_only_the_clients_facilities(api: Api, estate: TestEstate) -> None:
    """GET /facilities lists exactly the estate (behaviour.md §7.1)."""
    other = await api.estate()

    response = await api.http.get("/api/v3/integration/facilities", headers=estate.headers)

    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["_items"]]
    assert ids == [str(f) for f in estate.facility_ids]
    assert not set(ids) & {str(f) for f in other.facility_ids}
