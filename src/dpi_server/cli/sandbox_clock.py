"""`dpi sandbox clock show|freeze|set|advance|real`: the running server's sandbox clock, over
`/_sandbox/clock` (sandbox/api/clock.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dpi_server.cli.common import console
from dpi_server.cli.sandbox_client import (
    CredentialsOption,
    TokenOption,
    UrlOption,
    sandbox_client,
    target,
)

app = typer.Typer(help="Show, freeze, set or advance the server's clock (time travel).")


def _call(
    credentials: Path | None, url: str | None, token: str | None, method: str, path: str, **kw: Any
) -> Any:
    with sandbox_client(target(credentials, url, token)) as sandbox:
        return sandbox.call(method, path, **kw)


def _print_clock(clock: dict[str, Any]) -> None:
    mode = clock["mode"]
    line = f"now {clock['now']} ({mode}"
    if mode == "offset":
        line += f", {clock['offset_seconds']:+g} s from real time"
    console.print(line + ")")


def _print_travel(body: dict[str, Any]) -> None:
    _print_clock(body["clock"])
    ran = body["ran"]
    console.print(
        f"ran {ran['steps']} step(s): {ran['attempts']} push attempt(s) "
        f"({ran['delivered']} delivered), {ran['canceled']} unpaid visit(s) canceled, "
        f"{ran['purged']} copy(ies) expired or purged, {ran['health_checks']} health check(s)"
    )


@app.command("show")
def show(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The server's time and whether it is real, frozen or offset."""
    _print_clock(_call(credentials, url, token, "GET", "clock"))


@app.command("freeze")
def freeze(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Stop the clock where it is."""
    _print_clock(_call(credentials, url, token, "POST", "clock/freeze"))


@app.command("real")
def real(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Back to the wall clock (the one change that may move time backwards)."""
    _print_clock(_call(credentials, url, token, "POST", "clock/real"))


@app.command("set")
def set_(
    at: str = typer.Argument(..., help="ISO 8601 instant with its offset, e.g. 2026-01-05T10:00Z"),
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Move forward to an instant, running everything due on the way."""
    _print_travel(_call(credentials, url, token, "POST", "clock/set", json={"at": at}))


@app.command("advance")
def advance(
    duration: str = typer.Argument(..., help="ISO 8601 duration (PT91M, P1DT2H) or seconds"),
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Move forward by a duration, running everything due on the way."""
    body: dict[str, Any] = {"duration": _duration(duration)}
    _print_travel(_call(credentials, url, token, "POST", "clock/advance", json=body))


def _duration(text: str) -> str | float:
    """Seconds go as a number, anything else as the ISO 8601 text the server parses."""
    try:
        return float(text)
    except ValueError:
        return text
