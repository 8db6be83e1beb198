"""Seeded fault injection (issue #10, item 4): inbound on chosen operations, outbound on push
attempts, reproducible from the seed, configured over `/_sandbox/faults` and the CLI."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dpi_server.api.faults import ConnectionDropped
from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.domain.notifications import BURIED, BookingDeniedByVendor
from dpi_server.domain.ratelimit import seconds_until
from dpi_server.domain.timefmt import parse_datetime
from dpi_server.services.fault_sender import FaultingSender
from dpi_server.services.faults import PUSH, REALTIME, FaultInjector, FaultPlan, FaultRule
from dpi_server.services.notification_ports import HttpAnswer
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder, TestEstate
from tests.api.notification_support import Marketplace, Receiver, configure, doctor_break
from tests.api.support import failure
from tests.conftest import Api
from tests.sandbox.cli_support import run_cli_async
from tests.sandbox.support import token_request
from tests.sdk.servers import ThreadedServer

FACILITIES = "/api/v3/integration/facilities"
FAULTS = "/_sandbox/faults"
ERROR_MEDIA_TYPE = "application/vnd.error+docplanner+json"


async def set_faults(api: Api, seed: int, *rules: Mapping[str, Any]) -> dict[str, Any]:
    response = await api.http.put(
        FAULTS, json={"seed": seed, "rules": list(rules)}, headers=await api.operator_headers()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def facility(estate: TestEstate) -> str:
    return f"{FACILITIES}/{estate.facility_ids[0]}"


class TestOffByDefault:
    async def test_no_header_and_no_effect(self, api: Api, estate: TestEstate) -> None:
        state = success_json(await api.http.get(FAULTS, headers=await api.operator_headers()))

        responses = [await api.http.get(FACILITIES, headers=estate.headers) for _ in range(20)]

        assert state["enabled"] is False
        assert state["rules"] == []
        assert [r.status_code for r in responses] == [200] * 20
        assert not any("x-dpi-fault" in r.headers for r in responses)

    async def test_clear_switches_them_off(self, api: Api, estate: TestEstate) -> None:
        await set_faults(api, 1, {"operations": ["getFacilities"], "kind": "503"})
        assert (await api.http.get(FACILITIES, headers=estate.headers)).status_code == 503

        cleared = await api.http.delete(FAULTS, headers=await api.operator_headers())
        after = await api.http.get(FACILITIES, headers=estate.headers)

        assert success_json(cleared)["enabled"] is False
        assert after.status_code == 200
        assert "x-dpi-fault" not in after.headers


class TestEachKindOnOneOperation:
    @pytest.mark.parametrize(
        ("kind", "message"), [("500", "Internal server error"), ("503", "Service Unavailable")]
    )
    async def test_an_error_for_the_chosen_operation_only(
        self, api: Api, estate: TestEstate, kind: str, message: str
    ) -> None:
        await set_faults(api, 3, {"operations": ["getFacilities"], "kind": kind})

        faulted = await api.http.get(FACILITIES, headers=estate.headers)
        other = await api.http.get(facility(estate), headers=estate.headers)

        assert faulted.status_code == int(kind)
        assert faulted.headers["content-type"] == ERROR_MEDIA_TYPE
        assert faulted.headers["x-dpi-fault"] == kind
        assert faulted.json() == {"errors": [], "message": message}
        assert other.status_code == 200
        assert "x-dpi-fault" not in other.headers

    async def test_429_reports_the_clients_real_window_and_is_not_counted(self, api: Api) -> None:
        estate = await api.estate(rate_limited=True)
        first = await api.http.get(FACILITIES, headers=estate.headers)
        second = await api.http.get(FACILITIES, headers=estate.headers)
        await set_faults(api, 5, {"operations": ["getFacilities"], "kind": "429"})
        api.clock.advance(seconds=7)

        faulted = await api.http.get(FACILITIES, headers=estate.headers)
        await api.http.delete(FAULTS, headers=await api.operator_headers())
        after = await api.http.get(FACILITIES, headers=estate.headers)

        assert failure(faulted, 429) == {"errors": [], "message": "Too Many Requests"}
        assert faulted.headers["x-dpi-fault"] == "429"
        limit = int(first.headers["x-ratelimit-limit"])
        assert second.headers["x-ratelimit-used"] == "2"
        assert faulted.headers["x-ratelimit-limit"] == str(limit)
        assert faulted.headers["x-ratelimit-used"] == "2"
        assert faulted.headers["x-ratelimit-remaining"] == str(limit - 2)
        assert faulted.headers["x-ratelimit-reset"] == second.headers["x-ratelimit-reset"]
        reset = parse_datetime(faulted.headers["x-ratelimit-reset"])
        assert reset is not None
        assert faulted.headers["retry-after"] == str(seconds_until(reset, api.clock.now()))
        assert after.headers["x-ratelimit-used"] == "3"  # the injected 429 was not counted

    async def test_latency_is_added_and_recorded(self, api: Api, estate: TestEstate) -> None:
        await set_faults(
            api, 9, {"operations": ["getFacilities"], "kind": "latency", "latency_ms": 60}
        )

        started = time.monotonic()
        response = await api.http.get(FACILITIES, headers=estate.headers)
        elapsed = time.monotonic() - started

        assert response.status_code == 200
        assert response.headers["x-dpi-fault"] == "latency=60ms"
        assert elapsed >= 0.06
        [entry] = api.container.services.journal.entries(estate.client_id, 1)
        assert entry.latency_ms >= 60
        assert entry.fault == "latency=60ms"

    async def test_a_latency_range_stays_within_it(self, api: Api, estate: TestEstate) -> None:
        await set_faults(
            api, 9, {"operations": ["getFacilities"], "kind": "latency", "latency_ms": [1, 5]}
        )

        labels = [
            (await api.http.get(FACILITIES, headers=estate.headers)).headers["x-dpi-fault"]
            for _ in range(10)
        ]

        amounts = [int(label.removeprefix("latency=").removesuffix("ms")) for label in labels]
        assert all(1 <= a <= 5 for a in amounts)
        assert len(set(amounts)) > 1

    async def test_a_dropped_connection_in_process_is_a_transport_error(
        self, api: Api, estate: TestEstate
    ) -> None:
        await set_faults(api, 2, {"operations": ["getFacilities"], "kind": "drop"})

        with pytest.raises(ConnectionDropped):
            await api.http.get(FACILITIES, headers=estate.headers)

    async def test_the_token_endpoint_and_sandbox_are_not_in_the_wildcard(
        self, api: Api, estate: TestEstate
    ) -> None:
        await set_faults(api, 4, {"operations": ["*"], "kind": "503"})

        api_call = await api.http.get(FACILITIES, headers=estate.headers)
        token = await token_request(api, estate)
        sandbox = await api.http.get(FAULTS, headers=await api.operator_headers())
        await set_faults(api, 4, {"operations": ["getAccessToken"], "kind": "503"})
        named_token = await token_request(api, estate)

        assert api_call.status_code == 503
        assert token.status_code == 200
        assert sandbox.status_code == 200
        assert named_token.status_code == 503
        assert named_token.headers["x-dpi-fault"] == "503"


class TestSeeds:
    RULES = (
        {"operations": ["getFacilities"], "kind": "503", "probability": 0.3},
        {"operations": ["getFacilities"], "kind": "500", "probability": 0.2},
        {"operations": ["*"], "kind": "latency", "probability": 0.5, "latency_ms": [0, 3]},
    )

    async def _run(self, api: Api, estate: TestEstate, seed: int) -> list[str | None]:
        await set_faults(api, seed, *self.RULES)
        seen: list[str | None] = []
        for _ in range(30):
            response = await api.http.get(FACILITIES, headers=estate.headers)
            seen.append(response.headers.get("x-dpi-fault"))
        return seen

    async def test_the_same_seed_gives_the_same_faults_and_another_seed_others(
        self, api: Api, estate: TestEstate
    ) -> None:
        first = await self._run(api, estate, 42)
        again = await self._run(api, estate, 42)
        other = await self._run(api, estate, 43)

        assert first == again
        assert other != first
        assert None in first
        assert any(label and label.startswith(("503", "500")) for label in first)

    async def test_an_operations_sequence_ignores_other_operations(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Each operation draws from its own stream: interleaving others changes nothing."""
        alone = await self._run(api, estate, 7)
        await set_faults(api, 7, *self.RULES)
        mixed: list[str | None] = []
        for _ in range(30):
            await api.http.get(facility(estate), headers=estate.headers)
            response = await api.http.get(FACILITIES, headers=estate.headers)
            mixed.append(response.headers.get("x-dpi-fault"))

        assert mixed == alone

    async def test_get_shows_the_plan_and_recent_draws(self, api: Api, estate: TestEstate) -> None:
        await set_faults(api, 11, {"operations": ["getFacilities"], "kind": "503"})
        await api.http.get(FACILITIES, headers=estate.headers)

        state = success_json(await api.http.get(FAULTS, headers=await api.operator_headers()))

        assert state["enabled"] is True
        assert state["seed"] == 11
        assert state["rules"] == [
            {
                "operations": ["getFacilities"],
                "kind": "503",
                "probability": 1.0,
                "latency_ms": None,
            }
        ]
        assert state["recent"] == [{"operation": "getFacilities", "fault": "503"}]
        assert {"getFacilities", "bookSlot", "push", "realtime", "*"} <= set(state["operations"])


class TestBadPlans:
    @pytest.mark.parametrize(
        "rule",
        [
            {"operations": ["noSuchOperation"], "kind": "503"},
            {"operations": ["sandboxGetFaults"], "kind": "503"},
            {"operations": [], "kind": "503"},
            {"operations": ["getFacilities"], "kind": "418"},
            {"operations": ["getFacilities"], "kind": "503", "probability": 1.5},
            {"operations": ["getFacilities"], "kind": "latency", "latency_ms": [50, 10]},
            {"operations": ["getFacilities"], "kind": "503", "latency_ms": 10},
        ],
    )
    async def test_are_refused_and_change_nothing(
        self, api: Api, estate: TestEstate, rule: dict[str, Any]
    ) -> None:
        await set_faults(api, 1, {"operations": ["getFacilities"], "kind": "503"})

        response = await api.http.put(
            FAULTS, json={"seed": 2, "rules": [rule]}, headers=await api.operator_headers()
        )
        state = success_json(await api.http.get(FAULTS, headers=await api.operator_headers()))

        assert 400 <= response.status_code < 500
        assert response.headers["content-type"] == ERROR_MEDIA_TYPE
        assert set(response.json()) == {"errors", "message"}
        assert state["seed"] == 1


class TestOutbound:
    @staticmethod
    async def _one_copy(api: Api, receiver: Receiver, kind: str) -> TestEstate:
        """A push client with one queued copy, and push attempts faulted with `kind`."""
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)
        await set_faults(api, 1, {"operations": ["push"], "kind": kind})
        return estate

    @staticmethod
    async def _attempts(api: Api, estate: TestEstate) -> tuple[Any, list[Any]]:
        admin = api.container.services.notification_admin
        [copy] = await admin.list_copies(estate.client_id)
        _, _, attempts = await admin.show_copy(copy.delivery_id)
        return copy, attempts

    async def test_injected_push_failures_are_retried_on_the_schedule(
        self, api: Api, receiver_204: Receiver
    ) -> None:
        estate = await self._one_copy(api, receiver_204, "503")
        start = api.clock.now()

        for minute in (0, 5, 10, 60):
            api.clock.set(start + timedelta(minutes=minute))
            await api.container.services.delivery.run_due()

        copy, attempts = await self._attempts(api, estate)
        assert receiver_204.posts == []  # never reached the vendor
        assert copy.state == BURIED
        assert [a.at - start for a in attempts] == [timedelta(minutes=m) for m in (0, 5, 10)]
        assert [a.status_code for a in attempts] == [503, 503, 503]
        assert all(a.error == "HTTP 503 (injected)" for a in attempts)

    async def test_a_dropped_push_is_a_failure_without_status_then_delivered(
        self, api: Api, receiver_204: Receiver
    ) -> None:
        estate = await self._one_copy(api, receiver_204, "drop")
        start = api.clock.now()

        await api.container.services.delivery.run_due()
        await api.http.delete(FAULTS, headers=await api.operator_headers())
        api.clock.set(start + timedelta(minutes=5))
        await api.container.services.delivery.run_due()

        _copy, attempts = await self._attempts(api, estate)
        assert [(a.status_code, a.error) for a in attempts] == [
            (None, "connection dropped (injected)"),
            (204, None),
        ]
        assert len(receiver_204.posts) == 1


class TestRules:
    """The injector alone (services/faults.py): how matching rules combine."""

    def test_the_first_error_that_fires_wins_and_latencies_add_up(self) -> None:
        faults = FaultInjector()
        rules = (
            FaultRule(("getFacilities",), "latency", 1.0, (5, 5)),
            FaultRule(("*",), "latency", 1.0, (7, 7)),
            FaultRule(("getFacilities",), "503"),
            FaultRule(("getFacilities",), "500"),
        )
        faults.replace(FaultPlan(1, rules), {"getFacilities", "getDoctors"})

        facilities = faults.draw("getFacilities")
        doctors = faults.draw("getDoctors")
        token = faults.draw("getAccessToken", in_wildcard=False)

        assert facilities is not None
        assert (facilities.kind, facilities.latency_ms, facilities.label) == (
            "503",
            12,
            "503; latency=12ms",
        )
        assert doctors is not None
        assert (doctors.kind, doctors.latency_ms) == (None, 7)
        assert token is None
        assert [d.operation for d in faults.history()] == ["getFacilities", "getDoctors"]

    def test_clear_forgets_the_plan(self) -> None:
        faults = FaultInjector()
        faults.replace(FaultPlan(1, (FaultRule(("push",), "drop"),)), ())

        faults.clear()

        assert (faults.active, faults.plan, faults.draw("push")) == (False, None, None)


class TestRealtimeGate:
    async def test_an_injected_503_denies_the_booking_and_the_vendor_is_not_called(
        self, api: Api, receiver_204: Receiver
    ) -> None:
        estate = await api.estate()
        await configure(api, estate, realtime_url=receiver_204.url)
        market = Marketplace(api, estate)
        await market.open_tuesday()
        await set_faults(api, 1, {"operations": ["realtime"], "kind": "503"})

        with pytest.raises(BookingDeniedByVendor):
            await market.book("09:00")
        await api.http.delete(FAULTS, headers=await api.operator_headers())
        view = await market.book("09:00")

        assert view.booking.booked_by == "user"  # the slot was released after the denial
        assert len(receiver_204.posts) == 1  # only the call made once faults were off


class _Recorder:
    """The real sender's stand-in for the sender-level tests: always answers 200."""

    def __init__(self) -> None:
        self.calls = 0

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], within: float
    ) -> HttpAnswer:
        self.calls += 1
        return HttpAnswer(200, 1)

    async def get(self, url: str, headers: Mapping[str, str], within: float) -> HttpAnswer:
        return HttpAnswer(200, 1)


class TestFaultingSender:
    PLAN_RULES = (
        FaultRule((PUSH,), "500", 0.4),
        FaultRule((PUSH,), "drop", 0.2),
    )

    async def _statuses(self, seed: int) -> list[int | None]:
        faults = FaultInjector()
        faults.replace(FaultPlan(seed, self.PLAN_RULES), ())
        sender = FaultingSender(_Recorder(), faults, PUSH)
        return [(await sender.post("http://x", b"{}", {}, 5)).status_code for _ in range(40)]

    async def test_the_same_seed_gives_the_same_outbound_faults(self) -> None:
        first, again, other = (
            await self._statuses(5),
            await self._statuses(5),
            await self._statuses(6),
        )

        assert first == again
        assert first != other
        assert {200, 500, None} == set(first)

    async def test_a_latency_over_the_time_limit_is_a_timeout(self) -> None:
        faults = FaultInjector()
        faults.replace(FaultPlan(1, (FaultRule((REALTIME,), "latency", 1, (50, 50)),)), ())
        inner = _Recorder()
        sender = FaultingSender(inner, faults, REALTIME)

        answer = await sender.post("http://x", b"{}", {}, 0.02)

        assert answer.status_code is None
        assert answer.error == "timeout after 0.02 s (injected)"
        assert inner.calls == 0

    async def test_push_rules_leave_realtime_calls_and_health_checks_alone(self) -> None:
        faults = FaultInjector()
        faults.replace(FaultPlan(1, (FaultRule((PUSH, "*"), "503"),)), ())
        realtime = FaultingSender(_Recorder(), faults, REALTIME)
        push = FaultingSender(_Recorder(), faults, PUSH)

        assert (await realtime.post("http://x", b"", {}, 1)).status_code == 200
        assert (await push.get("http://x", {}, 1)).status_code == 200
        assert (await push.post("http://x", b"", {}, 1)).status_code == 503


class TestDroppedConnectionOnARealServer:
    def test_the_client_sees_the_connection_close_without_an_answer(self, tmp_path: Path) -> None:
        settings = Settings(
            data_dir=tmp_path,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'dpi.sqlite3'}",
            insecure_http=True,
        )
        container = build(settings, clock=FakeClock())
        server = ThreadedServer(build_app(container), before=container.migrate).start()
        try:
            estate = server.run(EstateBuilder(container.services).build())
            container.services.faults.replace(
                FaultPlan(1, (FaultRule(("getFacilities",), "drop"),)),
                {"getFacilities"},
            )
            with httpx.Client(base_url=server.url, timeout=10) as http:
                with pytest.raises(httpx.RemoteProtocolError):
                    http.get(FACILITIES, headers=estate.headers)
                container.services.faults.clear()
                after = http.get(FACILITIES, headers=estate.headers)
            # The dropped request is journaled once the server has seen the disconnect.
            deadline = time.monotonic() + 10
            while len(container.services.journal.entries(estate.client_id)) < 2:
                assert time.monotonic() < deadline, "the dropped request was never journaled"
                time.sleep(0.01)
            entries = container.services.journal.entries(estate.client_id)
            [dropped] = [e for e in entries if e.fault]
        finally:
            server.stop()

        assert after.status_code == 200
        assert dropped.status is None
        assert dropped.fault == "drop"


class TestCli:
    async def test_set_show_and_clear(self, api: Api, estate: TestEstate) -> None:
        token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")
        app = build_app(api.container)

        set_result = await run_cli_async(
            app,
            token,
            "sandbox",
            "faults",
            "set",
            "--seed",
            "8",
            "--rule",
            "getFacilities,getFacility:503:0.5",
            "--rule",
            "*:latency:1:2-4",
        )
        shown = await run_cli_async(app, token, "sandbox", "faults", "show")
        plan = api.container.services.faults.plan
        cleared = await run_cli_async(app, token, "sandbox", "faults", "clear")

        assert set_result.exit_code == 0, set_result.output
        assert plan == FaultPlan(
            8,
            (
                FaultRule(("getFacilities", "getFacility"), "503", 0.5),
                FaultRule(("*",), "latency", 1.0, (2, 4)),
            ),
        )
        assert "seed 8" in shown.output
        assert "getFacilities,getFacility  503  p=0.5" in shown.output
        assert cleared.exit_code == 0
        assert "faults off" in cleared.output
        assert api.container.services.faults.plan is None

    async def test_a_malformed_rule_exits_2(self, api: Api) -> None:
        token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")

        result = await run_cli_async(
            build_app(api.container), token, "sandbox", "faults", "set", "--rule", "nonsense"
        )

        assert result.exit_code == 2
        assert api.container.services.faults.plan is None


def success_json(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body
