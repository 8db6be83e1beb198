"""`dpi sandbox ...`: the operator's controls of a running server, over `/_sandbox/`."""

from __future__ import annotations

from pathlib import Path

import typer

from dpi_server.cli import sandbox_faults, sandbox_journal
from dpi_server.cli.common import console
from dpi_server.cli.sandbox_client import (
    CredentialsOption,
    TokenOption,
    UrlOption,
    sandbox_client,
    target,
)

app = typer.Typer(help="Drive a running server's sandbox (clock, reset, faults, journal).")


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


app.add_typer(sandbox_faults.app, name="faults")
app.command("journal")(sandbox_journal.journal)
