"""The console's request journal and faults sections over HTTP (issue #10 item 6): the
journal shows a client's last requests (masked) and its notification copies; the faults
form sets a seeded plan the API then follows, and clears it. Bad input answers 400 and
changes nothing; every form needs a session and a same-origin post."""

from __future__ import annotations

from typing import Any

import pytest

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api
from tests.pages.support import SAME_ORIGIN, book, published, sign_in

FACILITIES = "/api/v3/integration/facilities"
FAULTS = "/_sandbox/faults"


async def faults_state(api: Api) -> dict[str, Any]:
    """The plan as `/_sandbox/faults` shows it, without its draws."""
    answer = await api.http.get(FAULTS, headers=await api.operator_headers())
    assert answer.status_code == 200
    state: dict[str, Any] = answer.json()
    return {k: v for k, v in state.items() if k != "recent"}


def plan_form(**over: str) -> dict[str, str]:
    form = {"seed": "7", "operations_0": "getFacilities", "kind_0": "503", "probability_0": "1"}
    form.update(over)
    return form


class TestAccess:
    @pytest.mark.parametrize("page", ["/console/journal", "/console/faults"])
    async def test_the_sections_need_a_session(self, api: Api, page: str) -> None:
        answer = await api.http.get(page)

        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=%2Fconsole%2F")

    @pytest.mark.parametrize("url", ["/console/faults", "/console/faults/clear"])
    async def test_the_fault_forms_need_a_session(self, api: Api, url: str) -> None:
        api.container.services.faults.clear()
        before = await faults_state(api)

        answer = await api.http.post(url, data=plan_form(), headers=SAME_ORIGIN)

        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=%2F"
        assert await faults_state(api) == before

    @pytest.mark.parametrize("url", ["/console/faults", "/console/faults/clear"])
    async def test_the_fault_forms_refuse_another_origin(self, api: Api, url: str) -> None:
        await sign_in(api)
        before = await faults_state(api)

        answer = await api.http.post(
            url, data=plan_form(), headers={"Origin": "https://evil.example"}
        )

        assert answer.status_code == 403
        assert await faults_state(api) == before


class TestFaults:
    async def test_a_plan_set_on_the_page_faults_the_api_and_clears(
        self, api: Api, estate: TestEstate
    ) -> None:
        await sign_in(api)

        answer = await api.http.post("/console/faults", data=plan_form(), headers=SAME_ORIGIN)
        state = await faults_state(api)
        faulted = await api.http.get(FACILITIES, headers=estate.headers)
        page = await api.http.get("/console/faults")
        cleared = await api.http.post("/console/faults/clear", headers=SAME_ORIGIN)
        after = await api.http.get(FACILITIES, headers=estate.headers)

        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/faults?done=faults-set"
        assert (state["enabled"], state["seed"]) == (True, 7)
        assert [(r["operations"], r["kind"]) for r in state["rules"]] == [
            (["getFacilities"], "503")
        ]
        assert faulted.status_code == 503
        assert faulted.headers["x-dpi-fault"] == "503"
        assert 'id="faults-state">on<' in page.text
        assert 'value="getFacilities"' in page.text
        assert cleared.status_code == 303
        assert (await faults_state(api))["enabled"] is False
        assert after.status_code == 200

    async def test_latency_ranges_and_several_rules(self, api: Api) -> None:
        await sign_in(api)
        form = plan_form(
            operations_0="getFacilities, getDoctors",
            kind_0="latency",
            latency_0="20-80",
            probability_0="0.5",
            operations_1="push",
            kind_1="drop",
        )

        answer = await api.http.post("/console/faults", data=form, headers=SAME_ORIGIN)

        assert answer.status_code == 303
        assert (await faults_state(api))["rules"] == [
            {
                "operations": ["getFacilities", "getDoctors"],
                "kind": "latency",
                "probability": 0.5,
                "latency_ms": [20, 80],
            },
            {"operations": ["push"], "kind": "drop", "probability": 1.0, "latency_ms": None},
        ]

    @pytest.mark.parametrize(
        ("over", "message"),
        [
            ({"seed": "x"}, "A whole number"),
            ({"seed": ""}, "A whole number"),
            ({"operations_0": "teleport"}, "unknown operation(s): teleport"),
            ({"kind_0": "fire"}, "kind must be one of"),
            ({"probability_0": "2"}, "a number from 0 to 1"),
            ({"kind_0": "latency", "latency_0": "soon"}, "milliseconds"),
            ({"kind_0": "latency", "latency_0": "90-10"}, "low &lt;= high"),
            ({"latency_0": "40"}, "for kind latency only"),
        ],
        ids=["seed", "no-seed", "operation", "kind", "probability", "latency", "range", "kind-503"],
    )
    async def test_a_bad_plan_changes_nothing(
        self, api: Api, over: dict[str, str], message: str
    ) -> None:
        await sign_in(api)
        before = await faults_state(api)

        answer = await api.http.post("/console/faults", data=plan_form(**over), headers=SAME_ORIGIN)

        assert answer.status_code == 400
        assert 'role="alert"' in answer.text
        assert message in answer.text
        assert await faults_state(api) == before


class TestJournal:
    async def test_a_clients_requests_masked_and_its_copies(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The request with its id, operation, status and latency, the token masked; the
        copy a booking raised, linked to its page."""
        paths = await published(api, estate)
        await api.http.get(FACILITIES, headers={**estate.headers, "X-Request-Id": "page-journal-1"})
        await sign_in(api)
        await book(api, paths)
        [copy] = await api.container.services.notification_admin.list_copies(estate.client_id)

        page = await api.http.get("/console/journal", params={"client": estate.client_id})
        everyone = await api.http.get("/console/journal")

        assert page.status_code == 200
        assert "page-journal-1" in page.text
        assert "getFacilities" in page.text
        assert "GET /api/v3/integration/facilities" in page.text
        assert "Bearer ***" in page.text
        assert estate.token not in page.text
        assert f'href="/console/notifications/{copy.delivery_id}"' in page.text
        assert "slot-booked" in page.text
        assert "page-journal-1" in everyone.text

    async def test_an_unknown_client_is_400(self, api: Api) -> None:
        await sign_in(api)

        answer = await api.http.get("/console/journal", params={"client": "nobody-at-all"})

        assert answer.status_code == 400
        assert "nobody-at-all" in answer.text
