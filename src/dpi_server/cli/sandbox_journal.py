"""`dpi sandbox journal`: the running server's request journal (`/_sandbox/journal`), or the
notification copies of a client with their delivery attempts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from dpi_server.cli.common import console, err_console
from dpi_server.cli.sandbox_client import (
    CredentialsOption,
    TokenOption,
    UrlOption,
    sandbox_client,
    target,
)


def _line(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _print_requests(requests: list[dict[str, Any]]) -> None:
    for entry in requests:
        query = f"?{entry['query']}" if entry["query"] else ""
        status = entry["status"] if entry["status"] is not None else "dropped"
        extras = [f"{entry['latency_ms']:.1f} ms", f"id {entry['request_id']}"]
        if entry["fault"]:
            extras.append(f"fault {entry['fault']}")
        remaining = entry["rate_limit"].get("x-ratelimit-remaining")
        if remaining is not None:
            extras.append(f"remaining {remaining}")
        _line(
            f"{entry['at']}  {entry['client_id'] or '-'}  {entry['method']} {entry['path']}"
            f"{query}  {status}  " + ", ".join(extras)
        )


def _print_notifications(body: dict[str, Any]) -> None:
    for shown in body["copies"]:
        copy = shown["notification"]
        _line(f"{copy['delivery_id']}  {copy['name']}  {copy['mode']}  {copy['state']}")
        for attempt in shown["attempt_log"]:
            answer = attempt["status_code"] or attempt["error"] or "-"
            _line(f"    attempt {attempt['attempt']} at {attempt['at']}: {answer}")


def journal(
    client_id: str | None = typer.Option(None, "--client-id", help="one client's requests"),
    limit: int = typer.Option(50, "--limit", min=1, help="newest first, at most this many"),
    notifications: bool = typer.Option(
        False, "--notifications", help="the client's notification copies and their attempts"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the answer as JSON"),
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The last integration-API requests (secrets masked), newest first."""
    if notifications and not client_id:
        err_console.print("[red]--notifications needs --client-id[/red]")
        raise typer.Exit(2)
    path = "journal/notifications" if notifications else "journal"
    params: dict[str, Any] = {"limit": limit}
    if client_id:
        params["client_id"] = client_id
    with sandbox_client(target(credentials, url, token)) as sandbox:
        body = sandbox.call("GET", path, params=params)
    if as_json:
        _line(json.dumps(body, indent=2))
    elif notifications:
        _print_notifications(body)
    else:
        _print_requests(body["requests"])
