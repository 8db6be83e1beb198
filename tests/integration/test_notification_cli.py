"""`dpi client delivery` and `dpi notifications list|show|retry`: the operator's view of the
delivery log (issue #9 §4)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dpi_server.bootstrap import Container, build
from dpi_server.cli.common import console
from dpi_server.cli.main import app
from dpi_server.config import Settings
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder, TestEstate
from tests.api.notification_support import doctor_break

runner = CliRunner()


@dataclass
class _With:
    """What the shared helpers read of the `api` fixture: its container."""

    container: Container


def _arrange(url: str, tmp_path: Path) -> tuple[TestEstate, int]:
    """An estate whose client pushes to a closed port, and one failed attempt logged."""

    async def run() -> tuple[TestEstate, int]:
        container = build(Settings(data_dir=tmp_path, database_url=url), clock=FakeClock())
        try:
            await container.migrate()
            estate = await EstateBuilder(container.services).build()
            break_id = await doctor_break(_With(container), estate)  # type: ignore[arg-type]
            return estate, break_id
        finally:
            await container.close()

    return asyncio.run(run())


def _deliver(url: str, tmp_path: Path) -> None:
    async def run() -> None:
        container = build(Settings(data_dir=tmp_path, database_url=url), clock=FakeClock())
        try:
            await container.services.delivery.run_due()
        finally:
            await container.close()

    asyncio.run(run())


def test_an_operator_configures_delivery_and_inspects_and_retries_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set a push URL with signing (secret shown once), see the failed attempt, retry it."""
    # Rich tables wide enough to read (the console may have measured its width already).
    monkeypatch.setattr(console, "width", 250)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    db = ["--database-url", url]
    estate, _ = _arrange(url, tmp_path)

    configured = runner.invoke(
        app,
        [
            "client",
            "delivery",
            estate.client_id,
            "--push-url",
            "http://127.0.0.1:9/hook",
            "--api-key",
            "s3cret",
            "--event",
            "address-assigned",
            "--sign",
            *db,
        ],
    )
    assert configured.exit_code == 0, configured.output
    assert "signing_secret: whsec_" in configured.output
    shown = json.loads(configured.output.split("signing_secret")[0])
    assert shown["mode"] == "push"
    assert shown["optional_events"] == ["address-assigned"]

    # The copy queued before the change is a pull copy; a new event is pushed.
    async def more() -> None:
        container = build(Settings(data_dir=tmp_path, database_url=url), clock=FakeClock())
        try:
            await doctor_break(_With(container), estate, hour=15)  # type: ignore[arg-type]
        finally:
            await container.close()

    asyncio.run(more())
    _deliver(url, tmp_path)

    listed = runner.invoke(
        app, ["notifications", "list", "--client", estate.client_id, "--state", "pending", *db]
    )
    assert listed.exit_code == 0, listed.output
    assert "break-created" in listed.output

    copies = asyncio.run(_copies(url, tmp_path, estate.client_id))
    push_id = copies["pending"]
    details = runner.invoke(app, ["notifications", "show", str(push_id), *db])
    assert details.exit_code == 0, details.output
    assert '"name": "break-created"' in details.output
    assert "ConnectError" in details.output

    retried = runner.invoke(app, ["notifications", "retry", str(push_id), *db])
    assert retried.exit_code == 0, retried.output
    refused = runner.invoke(app, ["notifications", "retry", str(copies["queued"]), *db])
    assert refused.exit_code == 1

    back = runner.invoke(app, ["client", "delivery", estate.client_id, "--pull", *db])
    assert json.loads(back.output)["mode"] == "pull"
    bad = runner.invoke(
        app, ["client", "delivery", estate.client_id, "--push-url", "http://example.com/", *db]
    )
    assert bad.exit_code == 1
    assert "https" in bad.output


async def _copies(url: str, tmp_path: Path, client_id: str) -> dict[str, int]:
    container = build(Settings(data_dir=tmp_path, database_url=url), clock=FakeClock())
    try:
        found = await container.services.notification_admin.list_copies(client_id)
    finally:
        await container.close()
    return {c.state: c.delivery_id for c in found}
