"""The request journal (issue #10, item 5): the last requests of each client, secrets masked
and bodies capped, plus the notification copies of a client with their attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dpi_server.bootstrap import build_app
from dpi_server.services.journal import JournalEntry, RequestJournal, view
from dpi_server.services.masking import mask_headers, mask_text
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import Receiver, configure, doctor_break
from tests.conftest import Api
from tests.sandbox.cli_support import run_cli_async
from tests.sandbox.support import token_request

FACILITIES = "/api/v3/integration/facilities"
JOURNAL = "/_sandbox/journal"


async def journal(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = await api.http.get(JOURNAL, params=params, headers=await api.operator_headers())
    assert response.status_code == 200, response.text
    requests: list[dict[str, Any]] = response.json()["requests"]
    return requests


class TestPerClient:
    async def test_a_clients_requests_newest_first_with_what_was_sent(self, api: Api) -> None:
        estate = await api.estate(rate_limited=True)
        api.clock.advance(seconds=1)
        first = await api.http.get(f"{FACILITIES}?page=1", headers=estate.headers)
        api.clock.advance(seconds=1)
        second = await api.http.get(
            f"{FACILITIES}/{estate.facility_ids[0]}",
            headers={**estate.headers, "X-Request-Id": "second-one"},
        )

        newest, older = await journal(api, client_id=estate.client_id)

        assert newest["operation"] == "getFacility"
        assert newest["request_id"] == "second-one"
        assert newest["at"] == api.clock.now().isoformat().replace("+00:00", "Z")
        assert newest["status"] == 200
        assert newest["fault"] is None
        assert older["method"] == "GET"
        assert older["path"] == FACILITIES
        assert older["query"] == "page=1"
        assert older["operation"] == "getFacilities"
        assert older["request_id"] == first.headers["x-request-id"]
        assert older["latency_ms"] > 0
        sent = {k: v for k, v in first.headers.items() if k.startswith("x-ratelimit-")}
        assert older["rate_limit"] == sent
        assert newest["rate_limit"]["x-ratelimit-used"] == second.headers["x-ratelimit-used"]
        assert older["response_body"] == first.text

    async def test_another_clients_requests_never_appear(self, api: Api) -> None:
        mine, theirs = await api.estate(), await api.estate()
        for _ in range(3):
            await api.http.get(FACILITIES, headers=theirs.headers)
        await api.http.get(FACILITIES, headers=mine.headers)

        entries = await journal(api, client_id=mine.client_id)
        everyone = await journal(api)

        assert len(entries) == 1
        assert {e["client_id"] for e in entries} == {mine.client_id}
        assert theirs.client_secret not in str(entries)
        assert {e["client_id"] for e in everyone} >= {mine.client_id, theirs.client_id}

    async def test_limit_and_an_unknown_client(self, api: Api, estate: TestEstate) -> None:
        for _ in range(4):
            await api.http.get(FACILITIES, headers=estate.headers)

        assert len(await journal(api, client_id=estate.client_id, limit=3)) == 3
        assert await journal(api, client_id="nobody-at-all") == []

    async def test_an_injected_fault_is_recorded(self, api: Api, estate: TestEstate) -> None:
        await api.http.put(
            "/_sandbox/faults",
            json={"seed": 1, "rules": [{"operations": ["getFacilities"], "kind": "503"}]},
            headers=await api.operator_headers(),
        )
        await api.http.get(FACILITIES, headers=estate.headers)

        [entry] = await journal(api, client_id=estate.client_id)

        assert entry["status"] == 503
        assert entry["fault"] == "503"


class TestSecretsAndSizes:
    async def test_the_bearer_token_is_masked(self, api: Api, estate: TestEstate) -> None:
        await api.http.get(FACILITIES, headers=estate.headers)

        [entry] = await journal(api, client_id=estate.client_id)

        assert ["authorization", "Bearer ***"] in entry["request_headers"]
        assert estate.token not in str(entry)

    async def test_a_token_request_is_journaled_under_its_client_masked(
        self, api: Api, estate: TestEstate
    ) -> None:
        issued = (await token_request(api, estate)).json()["access_token"]

        [entry] = await journal(api, client_id=estate.client_id)

        assert entry["operation"] == "getAccessToken"
        assert entry["status"] == 200
        assert "client_secret=***" in entry["request_body"]
        assert f"client_id={estate.client_id}" in entry["request_body"]
        assert '"access_token":"***"' in entry["response_body"].replace(" ", "")
        assert estate.client_secret not in str(entry)
        assert issued not in str(entry)

    async def test_a_refused_token_request_names_no_client(
        self, api: Api, estate: TestEstate
    ) -> None:
        response = await token_request(api, estate, secret="wrong-secret-0123456789")

        mine = await journal(api, client_id=estate.client_id)
        everyone = await journal(api)

        assert response.status_code == 401
        assert mine == []
        assert everyone[0]["client_id"] is None
        assert "wrong-secret" not in str(everyone[0])

    async def test_bodies_are_capped(self, api: Api, estate: TestEstate) -> None:
        api.container.services.journal.body_bytes = 64
        response = await api.http.get(FACILITIES, headers=estate.headers)

        [entry] = await journal(api, client_id=estate.client_id)

        assert len(response.content) > 64
        assert entry["response_body"] == response.content[:64].decode()
        assert entry["response_body_size"] == len(response.content)
        assert entry["truncated"] is True


class TestMasking:
    @pytest.mark.parametrize(
        ("text", "masked"),
        [
            ('{"client_secret": "s3"}', '{"client_secret": "***"}'),
            (
                '{"access_token":"abc.def","expires_in":3600}',
                '{"access_token":"***","expires_in":3600}',
            ),
            ('{"api_key": "k", "name": "n"}', '{"api_key": "***", "name": "n"}'),
            ('{"signing_secret": "whsec_AAAA', '{"signing_secret": "***"'),
            ("grant_type=x&client_secret=s3&scope=i", "grant_type=x&client_secret=***&scope=i"),
            ("see Bearer abc.def-ghi", "see Bearer ***"),
            ("secret whsec_Zm9vYmFy in text", "secret whsec_*** in text"),
        ],
    )
    def test_text(self, text: str, masked: str) -> None:
        assert mask_text(text) == masked

    def test_headers(self) -> None:
        shown = mask_headers(
            [
                (b"authorization", b"Basic eDp5"),
                (b"x-api-key", b"k"),
                (b"cookie", b"a=b"),
                (b"accept", b"*/*"),
            ]
        )

        assert shown == [
            ("authorization", "Basic ***"),
            ("x-api-key", "***"),
            ("cookie", "***"),
            ("accept", "*/*"),
        ]


class TestRingBuffer:
    @staticmethod
    def _entry(client_id: str, path: str) -> JournalEntry:
        return JournalEntry(
            at=datetime(2026, 1, 1, tzinfo=UTC),
            client_id=client_id,
            method="GET",
            path=path,
            query=b"",
            status=200,
            latency_ms=1.0,
            request_id="r",
            fault=None,
            request_headers=(),
            response_headers=((b"x-ratelimit-used", b"1"), (b"content-type", b"x")),
            request_body=b"",
            request_size=0,
            response_body=b"",
            response_size=0,
        )

    def test_keeps_the_last_n_per_client_and_clear_forgets(self) -> None:
        ring = RequestJournal(size=3)
        for n in range(5):
            ring.record(self._entry("a", f"/{n}"))
        ring.record(self._entry("b", "/b"))

        kept = [e.path for e in ring.entries("a")]
        everyone = [e.path for e in ring.entries()]
        ring.clear()

        assert kept == ["/4", "/3", "/2"]
        assert everyone == ["/b", "/4", "/3", "/2"]
        assert ring.entries() == []

    def test_the_view_picks_the_rate_limit_headers(self) -> None:
        shown = view(self._entry("a", "/x"), "getX")

        assert shown.rate_limit == {"x-ratelimit-used": "1"}
        assert shown.operation == "getX"


class TestNotifications:
    async def test_copies_with_their_attempts(self, api: Api, receiver_500: Receiver) -> None:
        receiver = receiver_500
        estate = await api.estate()
        await configure(api, estate, push_url=receiver.url)
        await doctor_break(api, estate)
        await api.container.services.delivery.run_due()

        response = await api.http.get(
            f"{JOURNAL}/notifications",
            params={"client_id": estate.client_id},
            headers=await api.operator_headers(),
        )

        assert response.status_code == 200, response.text
        [shown] = response.json()["copies"]
        assert shown["notification"]["name"] == "break-created"
        assert shown["notification"]["mode"] == "push"
        assert shown["notification"]["client_id"] == estate.client_id
        assert [(a["attempt"], a["status_code"]) for a in shown["attempt_log"]] == [(1, 500)]

    async def test_an_unknown_client_is_404(self, api: Api) -> None:
        response = await api.http.get(
            f"{JOURNAL}/notifications",
            params={"client_id": "nobody-at-all"},
            headers=await api.operator_headers(),
        )

        assert response.status_code == 404
        assert response.json()["errors"] == []


class TestCli:
    async def test_lists_a_clients_requests(self, api: Api, estate: TestEstate) -> None:
        token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")
        await api.http.get(FACILITIES, headers={**estate.headers, "X-Request-Id": "cli-seen"})

        result = await run_cli_async(
            build_app(api.container), token, "sandbox", "journal", "--client-id", estate.client_id
        )

        assert result.exit_code == 0, result.output
        [line] = result.output.strip().splitlines()
        assert f"{estate.client_id}  GET {FACILITIES}  200" in line
        assert "id cli-seen" in line

    async def test_lists_a_clients_copies_and_attempts(
        self, api: Api, receiver_500: Receiver
    ) -> None:
        token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")
        estate = await api.estate()
        await configure(api, estate, push_url=receiver_500.url)
        await doctor_break(api, estate)
        await api.container.services.delivery.run_due()

        result = await run_cli_async(
            build_app(api.container),
            token,
            "sandbox",
            "journal",
            "--client-id",
            estate.client_id,
            "--notifications",
        )

        assert result.exit_code == 0, result.output
        copy_line, attempt_line = result.output.strip().splitlines()
        assert "break-created  push  pending" in copy_line
        assert attempt_line.strip().startswith("attempt 1 at ")
        assert attempt_line.endswith(": 500")

    async def test_notifications_need_a_client(self, api: Api) -> None:
        token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")

        result = await run_cli_async(
            build_app(api.container), token, "sandbox", "journal", "--notifications"
        )

        assert result.exit_code == 2
