"""`/_sandbox/estate/...`: the operator creates facilities, doctors, addresses and dictionary
entries, which the integration API then shows (issue #10 item 2); and the first run's
snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dpi_server.bootstrap import build
from dpi_server.cli.serve import _first_run
from dpi_server.config import Settings
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api
from tests.sandbox.isolated import ok

ESTATE = "/_sandbox/estate"


async def post(api: Api, path: str, body: dict[str, Any], status: int = 201) -> Any:
    headers = await api.operator_headers()
    return ok(await api.http.post(f"{ESTATE}{path}", json=body, headers=headers), status)


async def test_a_whole_estate_through_the_sandbox_api(api: Api, estate: TestEstate) -> None:
    """Facility, specialization, doctor (with license numbers), address and dictionary
    service: the client that is given the facility sees them on the integration API."""
    facility = (await post(api, "/facilities", {"name": "Sandbox Clinic"}))["id"]
    spec = (await post(api, "/specializations", {"name": "Alergolog"}))["id"]
    service = await post(
        api,
        "/services",
        {"name": "Testy alergiczne", "is_diagnostic": True, "specialization_ids": [spec]},
    )
    insurer = await post(api, "/insurance-providers", {"name": "Signal", "plans": ["Basic"]})
    doctor = (
        await post(
            api,
            "/doctors",
            {
                "name": "Olga",
                "surname": "Tokarczuk",
                "specialization_ids": [spec],
                "license_numbers": ["7654321"],
                "facility_ids": [facility],
            },
        )
    )["id"]
    address = (
        await post(
            api,
            f"/facilities/{facility}/doctors/{doctor}/addresses",
            {"name": "Gabinet 3", "city_name": "Wrocław", "visit_payment": True},
        )
    )["id"]
    await api.container.services.clients.assign_facility(estate.client_id, facility)

    base = f"/api/v3/integration/facilities/{facility}/doctors"
    doctors = success(
        await api.http.get(
            f"{base}?with=doctor.specializations,doctor.license_numbers", headers=estate.headers
        )
    )["_items"]
    addresses = success(await api.http.get(f"{base}/{doctor}/addresses", headers=estate.headers))[
        "_items"
    ]
    dictionary = success(await api.http.get("/api/v3/integration/services", headers=estate.headers))

    assert [d["id"] for d in doctors] == [str(doctor)]
    assert doctors[0]["specializations"]["_items"][0]["name"] == "Alergolog"
    assert doctors[0]["license_numbers"]["_items"][0]["license_number"] == "7654321"
    assert [(a["id"], a["city_name"]) for a in addresses] == [(str(address), "Wrocław")]
    assert str(service["id"]) in [s["id"] for s in dictionary["_items"]]
    assert insurer["id"] > 0


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/facilities", {"name": "X", "locale": "xx"}, 400),
        ("/facilities", {"name": ""}, 400),
        ("/doctors", {"name": "A", "surname": "B", "facility_ids": [10**9]}, 404),
        ("/doctors", {"name": "A", "surname": "B", "facility_ids": []}, 400),
        ("/facilities/{f}/doctors/{d}/addresses", {"commercial_type": "gold"}, 400),
        ("/facilities/{f}/doctors/999999999/addresses", {}, 404),
    ],
)
async def test_bad_input_gets_the_envelope(
    api: Api, estate: TestEstate, path: str, body: dict[str, Any], status: int
) -> None:
    f, d, _a = estate.extra["address_paths"][0]
    headers = await api.operator_headers()

    refused = failure(
        await api.http.post(ESTATE + path.format(f=f, d=d), json=body, headers=headers), status
    )

    assert refused["message"]


async def test_the_first_run_seeds_and_snapshots(tmp_path: Path) -> None:
    """`dpi serve` on an empty data directory leaves a reset point; a later start keeps it."""
    settings = Settings(data_dir=tmp_path, insecure_http=True)
    container = build(settings, clock=FakeClock())
    try:
        await container.migrate()
        await _first_run(settings, container, None)
        taken = await container.services.reset.snapshot_taken_at()
        await _first_run(settings, container, None)

        assert taken is not None
        assert await container.services.reset.snapshot_taken_at() == taken
    finally:
        await container.close()
