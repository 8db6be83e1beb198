"""The `dpi` command."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dpi_server.cli import clients, notifications
from dpi_server.cli.serve import serve

app = typer.Typer(
    help="dpi: a self-hostable Docplanner Integrations API (server, sandbox, operator tools).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve)
app.command("worker")(notifications.worker)
clients.app.command("delivery")(notifications.delivery)
app.add_typer(clients.app, name="client")
app.add_typer(notifications.app, name="notifications")


@app.command("openapi")
def openapi(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; default stdout"
    ),
) -> None:
    """Print (or write) the OpenAPI document of the API."""
    from dpi_server.api.openapi import openapi_document

    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)


def main() -> None:
    app()
