"""`dpi sandbox ...`: the operator's controls of a running server, over `/_sandbox/`."""

from __future__ import annotations

from pathlib import Path

import typer

from dpi_server.cli import sandbox_clock, sandbox_faults, sandbox_journal
from dpi_server.cli.common import console
from dpi_server.cli.sandbox_client import (
    CredentialsOption,
    TokenOption,
    UrlOption,
    sandbox_client,
    target,
)

app = typer.Typer(help="Drive a running server's sandbox (clock, reset, faults, journal).")
app.add_typer(sandbox_clock.app, name="clock")


@app.command("status")
def status(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The server's clock and its number of API clients."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        body = sandbox.call("GET", "status")
    console.print(f"server {body['server']}, now {body['now']}, {body['clients']} client(s)")


@app.command("reset")
def reset(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Put the server back to its seeded state (refused while a production client exists)."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        body = sandbox.call("POST", "reset")
    console.print(
        f"reset to the snapshot of {body['snapshot_taken_at']} in {body['elapsed_ms']} ms "
        f"(also reset: {', '.join(body['hooks'])})"
    )


@app.command("snapshot")
def snapshot(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Make the server's current state the one `reset` returns to."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        body = sandbox.call("POST", "snapshot")
    console.print(f"snapshot of {body['tables']} tables taken at {body['taken_at']}")


app.add_typer(sandbox_faults.app, name="faults")
app.command("journal")(sandbox_journal.journal)
