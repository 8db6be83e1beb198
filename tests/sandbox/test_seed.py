"""`dpi seed --facilities N --doctors M` and `POST /_sandbox/seed`: larger estates, counted
through the public API (issue #10 item 2)."""

from __future__ import annotations

import asyncio
from typing import Any

from typer.testing import CliRunner

from dpi_server.cli.main import app as cli_app
from tests.api.support import failure, success
from tests.conftest import Api
from tests.sandbox import isolated
from tests.sandbox.isolated import ok

backend, unseeded = isolated.backend, isolated.unseeded
TOKEN = "operator-token-of-the-seed-tests-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
API = "/api/v3/integration"


async def client_of(api: Api, facility_ids: list[int]) -> dict[str, str]:
    """Bearer headers of a new client that holds the facilities."""
    created = ok(
        await api.http.post(
            "/_sandbox/clients",
            json={"name": "Counter", "facilities": [{"facility_id": f} for f in facility_ids]},
            headers=HEADERS,
        ),
        201,
    )
    token = await api.http.post(
        "/oauth/v2/token",
        auth=(created["client_id"], created["client_secret"]),
        data={"grant_type": "client_credentials", "scope": "integration"},
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def counted(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    """Facilities, doctors per facility, addresses and address services, as the API lists them."""
    facilities = success(await api.http.get(f"{API}/facilities", headers=headers))["_items"]
    doctors: list[int] = []
    addresses = services = 0
    for facility in facilities:
        f = facility["id"]
        listed = success(await api.http.get(f"{API}/facilities/{f}/doctors", headers=headers))
        doctors.append(len(listed["_items"]))
        for doctor in listed["_items"]:
            base = f"{API}/facilities/{f}/doctors/{doctor['id']}/addresses"
            found = success(await api.http.get(base, headers=headers))["_items"]
            addresses += len(found)
            for address in found:
                offered = success(
                    await api.http.get(f"{base}/{address['id']}/services", headers=headers)
                )
                services += len(offered["_items"])
    return {
        "facilities": len(facilities),
        "doctors": doctors,
        "addresses": addresses,
        "services": services,
    }


async def test_the_cli_seeds_n_facilities_of_m_doctors(unseeded: Api) -> None:
    """`--doctors` counts doctors per facility; each has one address with its services."""
    await unseeded.container.services.operator_auth.install(TOKEN)
    url = unseeded.container.settings.effective_database_url

    def run() -> Any:
        return CliRunner().invoke(
            cli_app, ["seed", "--facilities", "3", "--doctors", "4", "--database-url", url]
        )

    result = await asyncio.to_thread(run)

    assert result.exit_code == 0, result.output
    assert "seeded 3 facilities, 12 doctors, 12 addresses" in result.output
    assert "snapshot taken" in result.output
    facility_ids = [f.id for f in await _facilities(unseeded)]
    totals = await counted(unseeded, await client_of(unseeded, facility_ids))
    assert totals["facilities"] == 3
    assert totals["doctors"] == [4, 4, 4]
    assert totals["addresses"] == 12
    assert totals["services"] == int(result.output.split(" address services")[0].split()[-1])


async def _facilities(api: Api) -> list[Any]:
    async with api.container.services.uow() as uow:
        ids = range(1, 1000)
        return await uow.directory.facilities(list(ids))


async def test_the_sandbox_api_seeds_and_reset_returns_to_it(unseeded: Api) -> None:
    """`POST /_sandbox/seed` makes the seeded estate the reset point by default."""
    await unseeded.container.services.operator_auth.install(TOKEN)

    body = ok(
        await unseeded.http.post(
            "/_sandbox/seed", json={"facilities": 2, "doctors": 3}, headers=HEADERS
        ),
        201,
    )
    headers = await client_of(unseeded, body["facility_ids"])
    ok(await unseeded.http.post("/_sandbox/reset", headers=HEADERS))

    assert body["doctors"] == 6
    assert body["snapshot_taken"] is True
    # The counting client came after the snapshot: gone; the seeded estate is still there.
    assert (await unseeded.http.get(f"{API}/facilities", headers=headers)).status_code == 401
    totals = await counted(unseeded, await client_of(unseeded, body["facility_ids"]))
    assert totals["doctors"] == [3, 3]


async def test_sizes_out_of_range_are_400(unseeded: Api) -> None:
    await unseeded.container.services.operator_auth.install(TOKEN)

    for sizes in ({"facilities": 0, "doctors": 1}, {"facilities": 1, "doctors": 10_000}):
        refused = failure(
            await unseeded.http.post("/_sandbox/seed", json=sizes, headers=HEADERS), 400
        )
        assert refused["message"] == "Invalid arguments"

    assert not await _facilities(unseeded)
