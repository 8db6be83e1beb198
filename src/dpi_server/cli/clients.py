"""`dpi client ...`: operator commands for API clients."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from dpi_server.bootstrap import Container
from dpi_server.cli.common import (
    DatabaseUrlOption,
    DataDirOption,
    console,
    run_action,
)
from dpi_server.domain.environments import SANDBOX

app = typer.Typer(
    help="Manage API clients: create, list, revoke, assign facilities, limits, environment."
)
EnvironmentOption = typer.Option(
    SANDBOX, "--environment", help="sandbox or production (the sandbox's controls skip production)"
)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="A label for the client"),
    locale: str = typer.Option("pl", help="Marketplace locale of the client"),
    facility: list[int] = typer.Option([], "--facility", "-f", help="Facility id to assign"),
    feature: list[str] = typer.Option([], "--feature", help="e.g. remove_address_integration"),
    environment: str = EnvironmentOption,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create a client; its secret is shown once and stored only as a hash."""

    async def action(container: Container) -> None:
        created = await container.services.clients.create(
            name,
            locale,
            features=frozenset(feature),
            environment=environment,
            facilities=[(f, True) for f in facility],
        )
        console.print(f"client_id:     {created.client.client_id}")
        console.print(f"client_secret: {created.client_secret}")
        console.print("[yellow]Store the secret now: it cannot be shown again.[/yellow]")

    run_action(data_dir, database_url, action)


@app.command("list")
def list_clients(
    data_dir: Path | None = DataDirOption, database_url: str | None = DatabaseUrlOption
) -> None:
    """List clients with their facilities and limits."""

    async def action(container: Container) -> None:
        table = Table("client_id", "name", "locale", "environment", "state", "facilities", "limits")
        for client, facilities in await container.services.clients.list():
            limits = (
                f"GET {client.read_limit}/{client.read_window_seconds}s, "
                f"writes {client.write_limit}/{client.write_window_seconds}s"
                if client.rate_limit_enabled
                else "off"
            )
            table.add_row(
                client.client_id,
                client.name,
                client.locale,
                client.environment,
                "active" if client.usable else "revoked",
                ", ".join(str(f) for f in facilities) or "-",
                limits,
            )
        console.print(table)

    run_action(data_dir, database_url, action)


@app.command("revoke")
def revoke(
    client_id: str,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Revoke a client: its tokens stop working at once."""

    async def action(container: Container) -> None:
        await container.services.clients.revoke(client_id)
        console.print(f"revoked {client_id}")

    run_action(data_dir, database_url, action)


@app.command("assign-facility")
def assign_facility(
    client_id: str,
    facility_id: int,
    read_only: bool = typer.Option(False, help="May read but not change calendars"),
    remove: bool = typer.Option(False, "--remove", help="Take the facility away instead"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Add a facility to a client's estate (or remove it with --remove)."""

    async def action(container: Container) -> None:
        admin = container.services.clients
        if remove:
            await admin.unassign_facility(client_id, facility_id)
            console.print(f"facility {facility_id} removed from {client_id}")
        else:
            await admin.assign_facility(client_id, facility_id, can_edit=not read_only)
            console.print(f"facility {facility_id} assigned to {client_id}")

    run_action(data_dir, database_url, action)


@app.command("limits")
def limits(
    client_id: str,
    enable: bool | None = typer.Option(None, "--enable/--disable", help="Turn limiting on/off"),
    read_limit: int | None = typer.Option(None, help="GET requests per read window"),
    read_window: int | None = typer.Option(None, help="Read window in seconds"),
    write_limit: int | None = typer.Option(None, help="Writes per write window"),
    write_window: int | None = typer.Option(None, help="Write window in seconds"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Change a client's rate limits (decisions.md "Rate limits")."""

    async def action(container: Container) -> None:
        client = await container.services.clients.set_limits(
            client_id,
            enabled=enable,
            read_limit=read_limit,
            read_window_seconds=read_window,
            write_limit=write_limit,
            write_window_seconds=write_window,
        )
        state = "on" if client.rate_limit_enabled else "off"
        console.print(
            f"{client.client_id}: limiting {state}; GET {client.read_limit}/"
            f"{client.read_window_seconds}s; writes {client.write_limit}/"
            f"{client.write_window_seconds}s"
        )

    run_action(data_dir, database_url, action)


@app.command("environment")
def environment(
    client_id: str,
    value: str = typer.Argument(..., help="sandbox or production"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Make a client sandbox or production: the sandbox's patient, doctor and reset controls
    never act on what an active production client holds."""

    async def action(container: Container) -> None:
        client = await container.services.clients.set_environment(client_id, value)
        console.print(f"{client.client_id}: {client.environment}")

    run_action(data_dir, database_url, action)


@app.command("features")
def features(
    client_id: str,
    feature: list[str] = typer.Option([], "--feature", help="The features to have (none: clear)"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Set exactly these per-client features (e.g. remove_address_integration)."""

    async def action(container: Container) -> None:
        await container.services.clients.set_features(client_id, frozenset(feature))
        console.print(f"{client_id}: features {', '.join(sorted(feature)) or '-'}")

    run_action(data_dir, database_url, action)


@app.command("show")
def show(
    client_id: str,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """One client: environment, state, estate, limits, features and delivery (no secrets)."""

    async def action(container: Container) -> None:
        found = (await container.services.clients.details(client_id))[0]
        c, estate, s = found.client, found.estate, found.delivery
        shown = {
            "client_id": c.client_id,
            "name": c.name,
            "locale": c.locale,
            "environment": c.environment,
            "state": "active" if c.usable else "revoked",
            "facilities": {str(f): estate.may_edit(f) for f in sorted(estate.facility_ids)},
            "rate_limits": None
            if not c.rate_limit_enabled
            else {
                "read": f"{c.read_limit}/{c.read_window_seconds}s",
                "write": f"{c.write_limit}/{c.write_window_seconds}s",
            },
            "features": sorted(c.features),
            "delivery": {
                "mode": "push" if s.is_push else "pull",
                "push_url": s.push_url,
                "realtime_url": s.realtime_url,
                "optional_events": sorted(s.events),
                "signed": s.signing_secret is not None,
            },
        }
        console.print_json(json.dumps(shown))

    run_action(data_dir, database_url, action)
