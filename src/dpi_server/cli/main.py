"""The `dpi` command."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dpi_server.cli import clients, estate, marketplace, marketplace_doctor, notifications, sandbox
from dpi_server.cli.postman import postman
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
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(estate.app, name="estate")
app.command("seed")(estate.seed)
marketplace.app.add_typer(marketplace_doctor.doctor, name="doctor")
app.add_typer(marketplace.app, name="marketplace")
app.command("postman")(postman)


@app.command("openapi")
def openapi(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; default stdout"
    ),
    responses: bool = typer.Option(
        False, "--responses", help="List each operation's responses instead of the document"
    ),
) -> None:
    """Print (or write) the OpenAPI document of the API."""
    from dpi_server.api.contract.document import response_table
    from dpi_server.api.openapi import openapi_document

    document = openapi_document()
    if responses:
        lines = [" ".join(row) for row in response_table(document)]
        text = "\n".join(lines) + "\n"
    else:
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)


def main() -> None:
    app()
