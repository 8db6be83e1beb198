"""`dpi sandbox clock show|freeze|set|advance|real` over `/_sandbox/clock`."""

from __future__ import annotations

from datetime import timedelta

from dpi_server.bootstrap import build_app
from tests.conftest import Api
from tests.sandbox.cli_support import run_cli_async
from tests.sandbox.clock_support import operator

__all__ = ["operator"]


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_show_freeze_advance_set_and_real(api: Api, operator: dict[str, str]) -> None:
    app, token = build_app(api.container), token_of(operator)
    start = api.clock.now()

    shown = await run_cli_async(app, token, "sandbox", "clock", "show")
    frozen = await run_cli_async(app, token, "sandbox", "clock", "freeze")
    advanced = await run_cli_async(app, token, "sandbox", "clock", "advance", "PT91M")
    in_seconds = await run_cli_async(app, token, "sandbox", "clock", "advance", "60")
    target = start + timedelta(days=1)
    moved = await run_cli_async(app, token, "sandbox", "clock", "set", target.isoformat())
    real = await run_cli_async(app, token, "sandbox", "clock", "real")

    for result in (shown, frozen, advanced, in_seconds, moved, real):
        assert result.exit_code == 0, result.output
    assert shown.output.strip() == f"now {start.isoformat().replace('+00:00', 'Z')} (real)"
    assert "(frozen)" in frozen.output
    later = (start + timedelta(minutes=91)).isoformat().replace("+00:00", "Z")
    assert f"now {later} (frozen)" in advanced.output
    assert "ran " in advanced.output
    assert "unpaid visit(s) canceled" in advanced.output
    assert (start + timedelta(minutes=92)).isoformat().replace("+00:00", "Z") in in_seconds.output
    assert target.isoformat().replace("+00:00", "Z") in moved.output
    assert "(real)" in real.output
    assert api.container.services.clock.now() == api.clock.now()


async def test_a_refused_move_exits_1_with_the_message(api: Api, operator: dict[str, str]) -> None:
    app, token = build_app(api.container), token_of(operator)
    await run_cli_async(app, token, "sandbox", "clock", "freeze")
    past = (api.clock.now() - timedelta(hours=1)).isoformat()

    result = await run_cli_async(app, token, "sandbox", "clock", "set", past)
    bad = await run_cli_async(app, token, "sandbox", "clock", "advance", "soon")

    assert result.exit_code == 1
    assert "409" in result.output
    assert "cannot be set back" in result.output
    assert bad.exit_code == 1
    assert "400" in bad.output
    assert "duration" in bad.output
