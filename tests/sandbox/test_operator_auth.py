"""The operator token opens `/_sandbox/` and nothing else; nothing else opens it."""

from __future__ import annotations

import pytest

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api

STATUS = "/_sandbox/status"


async def test_the_operator_token_opens_the_sandbox(api: Api, estate: TestEstate) -> None:
    headers = await api.operator_headers()

    body = success_json(await api.http.get(STATUS, headers=headers))

    assert body["server"] == "dpi"
    assert body["clients"] >= 1
    assert body["now"] == api.clock.now().isoformat()


def success_json(response: object) -> dict[str, object]:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer wrong-token-wrong-token-wrong"],
)
async def test_no_or_a_wrong_token_is_401(api: Api, authorization: str | None) -> None:
    await api.operator_headers()
    headers = {} if authorization is None else {"Authorization": authorization}

    body = failure(await api.http.get(STATUS, headers=headers), 401)

    assert body["errors"] == []
    assert "operator token" in body["message"]


async def test_two_authorization_headers_are_refused(api: Api) -> None:
    good = (await api.operator_headers())["Authorization"]

    response = await api.http.get(
        STATUS, headers=[("Authorization", good), ("Authorization", good)]
    )

    failure(response, 401)


async def test_an_integration_token_cannot_open_the_sandbox(api: Api, estate: TestEstate) -> None:
    await api.operator_headers()
    assert (await api.http.get("/api/v3/integration/facilities", headers=estate.headers)).is_success

    failure(await api.http.get(STATUS, headers=estate.headers), 401)


async def test_the_operator_token_cannot_call_the_integration_api(
    api: Api, estate: TestEstate
) -> None:
    headers = await api.operator_headers()

    response = await api.http.get("/api/v3/integration/facilities", headers=headers)

    assert response.status_code == 401
    success(await api.http.get("/api/v3/integration/facilities", headers=estate.headers))


async def test_a_configured_token_is_accepted(api: Api) -> None:
    from dpi_server.services.operator_auth import OperatorAuthService

    configured = "configured-operator-token-0123456789"
    service = OperatorAuthService(api.container.services.uow, api.clock, configured)

    assert await service.verify(configured) is not None
    assert await service.verify(configured + "x") is None
    assert await service.verify("") is None


async def test_short_tokens_are_not_installed(api: Api) -> None:
    with pytest.raises(ValueError, match="at least"):
        await api.container.services.operator_auth.install("short")
