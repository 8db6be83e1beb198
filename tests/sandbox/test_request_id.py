"""`X-Request-Id` on every kind of response (issue #10, item 3): kept when the caller sent a
well-formed one, generated otherwise, and recorded in the journal and in log lines."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from fastapi import FastAPI

from dpi_server.api.request_id import RequestIdLogFilter, install_request_id
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api
from tests.sandbox.support import token_request

FACILITIES = "/api/v3/integration/facilities"
GENERATED = re.compile(r"[0-9a-f]{32}")


class TestEveryResponseHasOne:
    async def test_integration_api_success_and_errors(self, api: Api, estate: TestEstate) -> None:
        responses = [
            await api.http.get(FACILITIES, headers=estate.headers),
            await api.http.get(FACILITIES),  # 401, no token
            await api.http.get(FACILITIES, headers={"Authorization": "Bearer nope"}),  # 401
            await api.http.get(f"{FACILITIES}/999999999", headers=estate.headers),  # 404
            await api.http.get("/api/v3/integration/no-such-thing", headers=estate.headers),
            await api.http.delete(FACILITIES, headers=estate.headers),  # 405
        ]

        assert [r.status_code for r in responses] == [200, 401, 401, 404, 404, 405]
        assert all(GENERATED.fullmatch(r.headers["x-request-id"]) for r in responses)
        assert len({r.headers["x-request-id"] for r in responses}) == len(responses)

    async def test_token_endpoint_sandbox_docs_and_redirects(
        self, api: Api, estate: TestEstate
    ) -> None:
        operator = await api.operator_headers()
        responses = {
            "token": await token_request(api, estate),
            "bad token request": await api.http.post("/oauth/v2/token", data={"a": "b"}),
            "sandbox": await api.http.get("/_sandbox/status", headers=operator),
            "sandbox 401": await api.http.get("/_sandbox/status"),
            "openapi": await api.http.get("/openapi.json"),
            "unknown page": await api.http.get("/no/such/page"),
            "plain http": await api.http.get(f"http://testserver{FACILITIES}"),
        }

        statuses = {name: r.status_code for name, r in responses.items()}
        assert statuses == {
            "token": 200,
            "bad token request": 400,
            "sandbox": 200,
            "sandbox 401": 401,
            "openapi": 200,
            "unknown page": 404,
            "plain http": 308,
        }
        missing = [name for name, r in responses.items() if "x-request-id" not in r.headers]
        assert missing == []

    async def test_an_unhandled_error_500_has_one(self) -> None:
        """Even the answer of Starlette's outermost error middleware carries the id."""
        app = FastAPI()

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("boom")

        install_request_id(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/boom", headers={"X-Request-Id": "req-500"})

        assert response.status_code == 500
        assert response.headers["x-request-id"] == "req-500"


class TestIncomingIds:
    @pytest.mark.parametrize("given", ["abc", "req-2026.12.02:1_A", "x" * 128])
    async def test_a_well_formed_id_is_echoed(
        self, api: Api, estate: TestEstate, given: str
    ) -> None:
        response = await api.http.get(FACILITIES, headers={**estate.headers, "X-Request-Id": given})

        assert response.headers["x-request-id"] == given

    @pytest.mark.parametrize("given", ["", "x" * 129, "has space", "semi;colon", "ünï"])
    async def test_a_malformed_id_is_replaced(
        self, api: Api, estate: TestEstate, given: str
    ) -> None:
        headers = [*estate.headers.items(), ("X-Request-Id", given.encode())]

        response = await api.http.get(FACILITIES, headers=headers)

        assert response.status_code == 200
        assert GENERATED.fullmatch(response.headers["x-request-id"])

    async def test_the_journal_records_the_id(self, api: Api, estate: TestEstate) -> None:
        await api.http.get(FACILITIES, headers={**estate.headers, "X-Request-Id": "trace-me-1"})

        [entry] = api.container.services.journal.entries(estate.client_id)

        assert entry.request_id == "trace-me-1"


async def test_log_lines_of_a_request_carry_its_id() -> None:
    """A record logged while a request runs gets its id from `RequestIdLogFilter`."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(getattr(record, "request_id", "?"))

    handler = Keep()
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("dpi_server.api.errors")
    logger.addHandler(handler)
    try:
        app = FastAPI()

        @app.get("/log")
        async def log_something() -> None:
            logger.warning("inside the request")

        install_request_id(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            await http.get("/log", headers={"X-Request-Id": "logged-id"})
        logger.warning("outside any request")
    finally:
        logger.removeHandler(handler)

    assert seen == ["logged-id", "-"]
