"""The HTTP client of the commands that drive a running server's sandbox (`dpi marketplace`,
`dpi sandbox ...`).

Those commands act through `/_sandbox/` rather than on the database, so they work against a
server on another host, see the state only a server holds (the journal, faults, the clock) and
go through exactly the use cases the API runs. They find the server and the operator token in
the demo-credentials.json that `dpi serve` writes, or in `--url` / `--token`
(`DPI_SANDBOX_URL` / `DPI_OPERATOR_TOKEN`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer

from dpi_server.cli.common import err_console

DEFAULT_CREDENTIALS = Path(".dpi/demo-credentials.json")

CredentialsOption = typer.Option(
    None,
    "--credentials",
    help="demo-credentials.json of the server [default: ./.dpi/demo-credentials.json]",
)
UrlOption = typer.Option(
    None, "--url", help="the server's sandbox URL, https://host:port/_sandbox [env DPI_SANDBOX_URL]"
)
TokenOption = typer.Option(None, "--token", help="the operator token [env DPI_OPERATOR_TOKEN]")


@dataclass(frozen=True, slots=True)
class SandboxTarget:
    url: str
    token: str
    verify: str | bool = True


def target(credentials: Path | None, url: str | None, token: str | None) -> SandboxTarget:
    """Where the sandbox is: flags, then the environment, then the credentials file."""
    url = url or os.environ.get("DPI_SANDBOX_URL")
    token = token or os.environ.get("DPI_OPERATOR_TOKEN")
    stored: dict[str, Any] = {}
    path = credentials or DEFAULT_CREDENTIALS
    if (credentials is not None or not (url and token)) and path.exists():
        stored = json.loads(path.read_text())
    elif credentials is not None:
        err_console.print(f"[red]no such credentials file:[/red] {path}")
        raise typer.Exit(2)
    url = url or stored.get("sandbox_url")
    token = token or stored.get("operator_token")
    if not url or not token:
        err_console.print(
            "[red]no sandbox to talk to:[/red] give --credentials (the demo-credentials.json "
            "of `dpi serve`) or --url and --token"
        )
        raise typer.Exit(2)
    ca_cert = stored.get("ca_cert")
    return SandboxTarget(str(url).rstrip("/"), str(token), str(ca_cert) if ca_cert else True)


class SandboxClient:
    """Calls `/_sandbox/` and turns a refusal into a printed message and exit status 1."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path.lstrip("/"), **kwargs)
        except httpx.HTTPError as exc:
            err_console.print(f"[red]cannot reach the sandbox:[/red] {exc}")
            raise typer.Exit(1) from None
        if response.is_error:
            err_console.print(f"[red]{response.status_code}[/red] {_message(response)}")
            raise typer.Exit(1)
        if not response.content:
            return None
        return response.json()


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(body, dict):
        return str(body)
    message = str(body.get("message", ""))
    if body.get("error_code") is not None:
        # A real-time client's denial of a patient's booking or move.
        message += f" (error_code {body['error_code']})"
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
        return f"{message} ({details})"
    return message


# Tests point the commands at an in-process app by replacing this (an httpx transport).
transport_override: httpx.BaseTransport | None = None


@contextmanager
def sandbox_client(where: SandboxTarget) -> Iterator[SandboxClient]:
    with httpx.Client(
        base_url=where.url + "/",
        headers={"Authorization": f"Bearer {where.token}"},
        verify=where.verify,
        timeout=30.0,
        transport=transport_override,
    ) as http:
        yield SandboxClient(http)
