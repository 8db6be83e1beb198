"""`dpi sandbox status` reaches the sandbox over HTTP with the operator token."""

from __future__ import annotations

from dpi_server.bootstrap import build_app
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api
from tests.sandbox.cli_support import run_cli_async


async def test_status_prints_the_clock_and_clients(api: Api, estate: TestEstate) -> None:
    token = (await api.operator_headers())["Authorization"].removeprefix("Bearer ")

    result = await run_cli_async(build_app(api.container), token, "sandbox", "status")

    assert result.exit_code == 0, result.output
    clients = len(await api.container.services.clients.list())
    assert (
        result.output.strip()
        == f"server dpi, now {api.clock.now().isoformat()}, {clients} client(s)"
    )


async def test_a_wrong_token_exits_1_with_the_message(api: Api) -> None:
    await api.operator_headers()

    result = await run_cli_async(
        build_app(api.container), "not-the-operator-token-0123456789", "sandbox", "status"
    )

    assert result.exit_code == 1
    assert "401" in result.output
    assert "operator token" in result.output
