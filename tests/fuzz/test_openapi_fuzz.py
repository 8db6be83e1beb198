"""Schemathesis fuzzes every operation of our OpenAPI document against a real `dpi serve`:
whatever arrives, the server answers without a 5xx and every error uses the documented
envelope (DEVELOPERS.md "Every bad input gets a clear error...").

`DPI_FUZZ_CASES` (default 5000, issue #12) cases are drawn across all operations; the count
run is printed in the test session's output, so CI's log shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SUMMARY_PROPERTY
from tests.integration.test_serve import free_port, start, stop, wait_for_port

pytestmark = pytest.mark.slow
CASES = int(os.environ.get("DPI_FUZZ_CASES", "5000"))
ERROR_TYPE = "application/vnd.error+docplanner+json"
# Facility 1, doctor 1 and its address 1 exist in the demo estate; `real_ids` adds the ids of
# objects made there (an address service, an insurance provider, a break, a booking).
REAL_PATH = {"facility_id": "1", "doctor_id": "1", "address_id": "1"}
ADDRESS = "/api/v3/integration/facilities/1/doctors/1/addresses/1"


def real_ids(base: str, token: str) -> dict[str, str]:
    """Leaf ids that exist, so that cases aimed at the real address reach deeper than a 404."""
    ids = dict(REAL_PATH)
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base + ADDRESS, headers=h, timeout=30) as http:
        service = http.get("/services").json()["_items"][0]["id"]
        ids["address_service_id"] = str(service)
        providers = http.get(base + "/api/v3/integration/insurance-providers").json()
        ids["insurance_provider_id"] = str(providers["_items"][0]["insurance_provider_id"])
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        end = tomorrow + timedelta(hours=3)
        created = http.post(
            "/breaks",
            json={"since": (end - timedelta(hours=1)).isoformat(), "till": end.isoformat()},
        )
        ids["break_id"] = str(created.json()["id"])
        http.post("/calendar/enable")
        http.put(
            "/slots",
            json={
                "slots": [
                    {
                        "start": tomorrow.isoformat(),
                        "end": end.isoformat(),
                        "address_services": [{"address_service_id": service, "duration": 30}],
                    }
                ]
            },
        )
        start = tomorrow.isoformat()
        booked = http.post(
            f"/slots/{quote(start, safe='')}/book",
            json={
                "address_service_id": service,
                "duration": 30,
                "patient": {"name": "Fuzz", "phone": "+48500100200"},
            },
        )
        ids["booking_id"] = str(booked.json()["id"])
    return ids


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    process = start(["--data-dir", str(data_dir), "--port", str(port), "--insecure-http"])
    try:
        wait_for_port(port, process)
        creds = json.loads((data_dir / "demo-credentials.json").read_text())
        # Fuzzing sends far more than 40 writes a minute; limits would hide the answers.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dpi_server.cli",
                "client",
                "limits",
                creds["client_id"],
                "--disable",
                "--data-dir",
                str(data_dir),
            ],
            check=True,
            capture_output=True,
        )
        token = httpx.post(
            creds["token_url"],
            auth=(creds["client_id"], creds["client_secret"]),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        base = f"http://127.0.0.1:{port}"
        yield {"base": base, "token": token, "ids": real_ids(base, token)}
    finally:
        output = stop(process)
    # Anything the server logged as unhandled fails the run, with its traceback.
    assert "Traceback" not in output, output[-6000:]


def operations(base: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_request_breaks_the_server(
    served: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """Any generated request: no 5xx; a 4xx from the API carries the error envelope."""
    ops = operations(served["base"])
    headers = {"Authorization": f"Bearer {served['token']}"}
    seen: set[str] = set()
    statuses: dict[int, int] = {}
    session = requests.Session()  # one keep-alive connection: the budget goes to cases

    @settings(
        max_examples=CASES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(st.data())
    def exercise(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(ops))
        case = data.draw(operation.as_strategy())
        seen.add(f"{case.method} {case.path}")
        if data.draw(st.booleans()):
            # Half the cases aim at a real demo address, so bodies and queries get read.
            for name, value in served["ids"].items():
                if name in (case.path_parameters or {}):
                    case.path_parameters[name] = value

        response = case.call(base_url=served["base"], session=session, headers=headers, timeout=60)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400 and case.path.startswith("/api/"):
            content_type = response.headers.get("content-type")  # schemathesis: a list
            assert content_type in (ERROR_TYPE, [ERROR_TYPE]), response.headers
            body = response.json()
            assert set(body) == {"errors", "message"}, body
            assert isinstance(body["message"], str)

    try:
        exercise()
    finally:
        session.close()
        ran = sum(statuses.values())
        summary = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
        # A user property travels with the test's report, also from an xdist worker, to the
        # session summary (tests/conftest.py), where CI's log keeps it.
        request.node.user_properties.append(
            (
                SUMMARY_PROPERTY,
                f"schemathesis: {ran} cases over {len(seen)} of {len(ops)} operations; "
                f"statuses {summary}",
            )
        )

    assert sum(statuses.values()) >= CASES
    assert len(seen) >= len(ops) * 3 // 4, f"only {len(seen)} of {len(ops)} operations drawn"
