"""`dpi sandbox faults show|set|clear`: the running server's fault plan (`/_sandbox/faults`)."""

from __future__ import annotations

import re
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

app = typer.Typer(help="Seeded fault injection: errors, dropped connections, latency.")

_RULE = re.compile(
    r"(?P<ops>[^:]+):(?P<kind>500|503|429|drop|latency)"
    r"(?::(?P<probability>[0-9.]+))?(?::(?P<low>[0-9]+)(?:-(?P<high>[0-9]+))?)?"
)
RULE_HELP = (
    "OPERATIONS:KIND[:PROBABILITY[:LATENCY_MS]], e.g. getFacilities,bookSlot:503:0.2, "
    "*:latency:1:50-200 or push:drop:0.5; OPERATIONS are operationIds, * (the integration "
    "API), getAccessToken, push or realtime. Repeatable."
)


def parse_rule(spec: str) -> dict[str, Any]:
    """One `--rule` as the body of `PUT /_sandbox/faults` expects it."""
    match = _RULE.fullmatch(spec.strip())
    if match is None:
        raise typer.BadParameter(f"{spec!r} is not {RULE_HELP.split(',')[0]}", param_hint="--rule")
    rule: dict[str, Any] = {
        "operations": [op.strip() for op in match["ops"].split(",") if op.strip()],
        "kind": match["kind"],
    }
    if match["probability"] is not None:
        try:
            rule["probability"] = float(match["probability"])
        except ValueError:
            raise typer.BadParameter(f"bad probability in {spec!r}", param_hint="--rule") from None
    if match["low"] is not None:
        low = int(match["low"])
        rule["latency_ms"] = [low, int(match["high"])] if match["high"] else low
    return rule


def _print(state: dict[str, Any]) -> None:
    if not state["enabled"]:
        console.print("faults off", markup=False, highlight=False)
        return
    console.print(f"seed {state['seed']}", markup=False, highlight=False)
    for rule in state["rules"]:
        line = f"  {','.join(rule['operations'])}  {rule['kind']}  p={rule['probability']:g}"
        latency = rule.get("latency_ms")
        if latency is not None:
            shown = f"{latency[0]}-{latency[1]}" if isinstance(latency, list) else str(latency)
            line += f"  {shown} ms"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    recent = state.get("recent", [])
    faulted = sum(1 for drawn in recent if drawn["fault"])
    console.print(f"{len(recent)} recent draw(s), {faulted} faulted", markup=False, highlight=False)


@app.command("show")
def show(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The fault plan in force."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        _print(sandbox.call("GET", "faults"))


@app.command("set")
def set_faults(
    rules: list[str] = typer.Option(..., "--rule", help=RULE_HELP),
    seed: int = typer.Option(0, "--seed", min=0, help="the same seed gives the same faults"),
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Replace the fault plan (the random sequence starts again from the seed)."""
    body = {"seed": seed, "rules": [parse_rule(spec) for spec in rules]}
    with sandbox_client(target(credentials, url, token)) as sandbox:
        _print(sandbox.call("PUT", "faults", json=body))


@app.command("clear")
def clear(
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Switch faults off."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        _print(sandbox.call("DELETE", "faults"))
