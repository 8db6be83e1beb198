"""The direct-database operator commands offer what `/_sandbox/` offers: `dpi client ...`
with environments, `dpi estate ...` for directory objects."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner, Result

from dpi_server.cli.common import console
from dpi_server.cli.main import app as cli_app
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api


async def dpi(api: Api, *args: str) -> Result:
    url = api.container.settings.effective_database_url
    return await asyncio.to_thread(CliRunner().invoke, cli_app, [*args, "--database-url", url])


async def test_clients_get_an_environment(
    api: Api, estate: TestEstate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 400)  # one line per row in `client list`
    created = await dpi(
        api,
        "client",
        "create",
        "Live vendor",
        "--environment",
        "production",
        "--facility",
        str(estate.facility_ids[0]),
    )
    client_id = created.output.split("client_id:")[1].split()[0]

    listed = await dpi(api, "client", "list")
    back = await dpi(api, "client", "environment", client_id, "sandbox")
    bad = await dpi(api, "client", "environment", client_id, "staging")

    assert created.exit_code == 0, created.output
    assert any(
        client_id[:10] in line and "production" in line for line in listed.output.splitlines()
    )
    assert back.output.strip() == f"{client_id}: sandbox"
    assert bad.exit_code == 1
    assert "environment: One of sandbox, production." in bad.output
    shown = await dpi(api, "client", "show", client_id)
    assert shown.exit_code == 0, shown.output
    assert '"environment": "sandbox"' in shown.output
    assert f'"{estate.facility_ids[0]}": true' in shown.output
    found = await api.container.services.clients.details(client_id)
    assert found[0].client.environment == "sandbox"
    assert found[0].estate.facility_ids == {estate.facility_ids[0]}


async def test_estate_commands_create_what_the_api_then_shows(api: Api, estate: TestEstate) -> None:
    facility = await dpi(api, "estate", "facility", "CLI Clinic")
    facility_id = int(facility.output.split()[-1])
    spec = await dpi(api, "estate", "specialization", "Neurolog")
    spec_id = spec.output.split()[-1]
    doctor = await dpi(
        api,
        "estate",
        "doctor",
        "Ala",
        "Makota",
        "--facility",
        str(facility_id),
        "--specialization",
        spec_id,
        "--license",
        "1112223",
    )
    doctor_id = int(doctor.output.split()[-1])
    address = await dpi(
        api,
        "estate",
        "address",
        str(facility_id),
        str(doctor_id),
        "--name",
        "Gabinet",
        "--city",
        "Łódź",
    )
    wrong = await dpi(
        api, "estate", "address", str(facility_id), str(doctor_id), "--commercial-type", "gold"
    )

    assert address.exit_code == 0, address.output
    assert wrong.exit_code == 1
    assert "commercial_type" in wrong.output
    await api.container.services.clients.assign_facility(estate.client_id, facility_id)
    base = f"/api/v3/integration/facilities/{facility_id}/doctors"
    doctors = (
        await api.http.get(
            f"{base}?with=doctor.specializations,doctor.license_numbers", headers=estate.headers
        )
    ).json()
    assert [d["id"] for d in doctors["_items"]] == [str(doctor_id)]
    addresses = (await api.http.get(f"{base}/{doctor_id}/addresses", headers=estate.headers)).json()
    assert [a["id"] for a in addresses["_items"]] == [address.output.split()[-1]]
    assert addresses["_items"][0]["city_name"] == "Łódź"
