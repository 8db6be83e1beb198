"""`dpi worker`, `dpi notifications list|show|retry` and `dpi client delivery`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dpi_server.bootstrap import Container, build
from dpi_server.cli.common import (
    DatabaseUrlOption,
    DataDirOption,
    console,
    make_settings,
    run_action,
)
from dpi_server.domain.notifications import DEFAULT_API_KEY_HEADER, OPTIONAL_EVENTS, STATES
from dpi_server.services.leadership import run_as_leader
from dpi_server.services.notifications import DeliveryChange
from dpi_server.workers.dispatcher import Dispatcher

app = typer.Typer(help="Inspect and retry notification copies (the delivery log).")


@contextlib.asynccontextmanager
async def dispatcher_beside(container: Container) -> AsyncIterator[Dispatcher]:
    """A dispatcher task for as long as the block runs (`dpi serve`). With a leader lease
    (PostgreSQL, or a SQLite file) it runs only in the process holding it, so `--workers N`
    runs one dispatcher, and another process takes over if that one dies."""
    dispatcher = Dispatcher(container.services.scheduler, container.services.clock)
    lease = container.leader_lease
    work = dispatcher.run() if lease is None else run_as_leader(lease, dispatcher.run)
    task = asyncio.create_task(work, name="dpi-dispatcher")
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        if lease is not None:
            task.cancel()  # run_as_leader starts the work again until cancelled
        with contextlib.suppress(asyncio.CancelledError):
            await task


def worker(
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Run due work: push copies, retries, expiry, purge, health checks, unpaid auto-cancel.

    Run any number against one PostgreSQL (each due row goes to exactly one worker)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = make_settings(data_dir=data_dir, database_url=database_url)

    async def main() -> None:
        container = build(settings)
        try:
            await container.migrate()
            dispatcher = Dispatcher(container.services.scheduler, container.services.clock)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, dispatcher.stop)
            console.print("dpi worker: delivering notifications (Ctrl-C to stop)")
            await dispatcher.run()
        finally:
            await container.close()

    _run_fast(main())


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """uvloop when installed (uvicorn[standard] brings it): the worker's cost is mostly
    event-loop and HTTP-client overhead per request, and uvloop cuts it by about a fifth."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a plain install without uvicorn[standard]
        asyncio.run(main)
        return
    uvloop.run(main)


@app.command("list")
def list_copies(
    client_id: str | None = typer.Option(None, "--client", help="Only this client's copies"),
    state: str | None = typer.Option(None, help=f"One of: {', '.join(STATES)}"),
    limit: int = typer.Option(50, help="How many, newest first"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Notification copies, newest first, with their state and attempts."""

    async def action(container: Container) -> None:
        found = await container.services.notification_admin.list_copies(client_id, state, limit)
        table = Table("id", "client", "name", "mode", "state", "attempts", "created", "due")
        for c in found:
            table.add_row(
                str(c.delivery_id),
                c.client_id,
                c.name,
                c.mode,
                c.state,
                str(c.attempts),
                c.created_at.isoformat(timespec="seconds"),
                "-" if c.due_at is None else c.due_at.isoformat(timespec="seconds"),
            )
        console.print(table)

    run_action(data_dir, database_url, action)


@app.command("show")
def show(
    delivery_id: int,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """One copy: its body and every attempt (time, status, latency, error)."""

    async def action(container: Container) -> None:
        record, body, attempts = await container.services.notification_admin.show_copy(delivery_id)
        console.print(
            f"copy {record.delivery_id} of {record.client_id}: {record.name}, {record.mode}, "
            f"{record.state}, {record.attempts} attempt(s)"
        )
        console.print_json(body)
        table = Table("attempt", "at", "status", "latency ms", "error")
        for a in attempts:
            table.add_row(
                str(a.attempt),
                a.at.isoformat(timespec="seconds"),
                "-" if a.status_code is None else str(a.status_code),
                "-" if a.latency_ms is None else str(a.latency_ms),
                a.error or "",
            )
        console.print(table)

    run_action(data_dir, database_url, action)


@app.command("retry")
def retry(
    delivery_id: int,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Send a push copy again now, with a fresh retry schedule."""

    async def action(container: Container) -> None:
        await container.services.notification_admin.retry_copy(delivery_id)
        console.print(f"copy {delivery_id} is due now")

    run_action(data_dir, database_url, action)


def delivery(
    client_id: str,
    push_url: str | None = typer.Option(None, help="Push model: POST notifications here"),
    pull: bool = typer.Option(False, "--pull", help="Pull model (the default)"),
    api_key_header: str | None = typer.Option(
        None, help=f"Header carrying the API key [{DEFAULT_API_KEY_HEADER}]"
    ),
    api_key: str | None = typer.Option(None, help="API-key value sent with pushes ('' clears)"),
    realtime_url: str | None = typer.Option(None, help="Real-time gate: slot-booking here"),
    no_realtime: bool = typer.Option(False, "--no-realtime", help="Turn the gate off"),
    event: list[str] = typer.Option(
        [], "--event", help=f"Enable an optional event: {', '.join(sorted(OPTIONAL_EVENTS))}"
    ),
    no_event: list[str] = typer.Option([], "--no-event", help="Disable an optional event"),
    sign: bool | None = typer.Option(
        None, "--sign/--no-sign", help="Standard Webhooks signatures (a new secret, shown once)"
    ),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Set how a client receives notifications (pull or push, real-time gate, signing)."""
    change = DeliveryChange(
        push_url=push_url,
        pull=pull,
        api_key_header=api_key_header,
        api_key=api_key,
        realtime_url=realtime_url,
        no_realtime=no_realtime,
        enable_events=frozenset(event),
        disable_events=frozenset(no_event),
        sign=sign,
    )

    async def action(container: Container) -> None:
        done = await container.services.notification_admin.configure(client_id, change)
        s = done.settings
        shown = {
            "client_id": done.client_id,
            "mode": "push" if s.is_push else "pull",
            "push_url": s.push_url,
            "api_key_header": (s.api_key_header or DEFAULT_API_KEY_HEADER)
            if s.api_key_value
            else None,
            "realtime_url": s.realtime_url,
            "optional_events": sorted(s.events),
            "signed": s.signing_secret is not None,
            "healthy": s.healthy,
        }
        console.print_json(json.dumps(shown))
        if done.new_signing_secret:
            console.print(f"signing_secret: {done.new_signing_secret}")
            console.print("[yellow]Store the secret now: it is not shown again.[/yellow]")

    run_action(data_dir, database_url, action)
