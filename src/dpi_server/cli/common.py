"""Shared CLI plumbing: settings from flags over `DPI_*` variables, and running async code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from dpi_server.bootstrap import Container, build
from dpi_server.config import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)

DataDirOption = typer.Option(
    None, "--data-dir", help="Data directory [env DPI_DATA_DIR; default ./.dpi]"
)
DatabaseUrlOption = typer.Option(
    None, "--database-url", help="SQLAlchemy async URL [env DPI_DATABASE_URL]"
)


def make_settings(**overrides: Any) -> Settings:
    """Flags that were given win; the rest come from the environment or defaults."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for error in exc.errors():
            err_console.print(f"[red]configuration error:[/red] {error['msg']}")
        raise typer.Exit(2) from None


def with_container(settings: Settings, action: Callable[[Container], Awaitable[T]]) -> T:
    """Run `action` against a migrated container, closing it afterwards."""

    async def run() -> T:
        container = build(settings)
        try:
            await container.migrate()
            await container.services.time_travel.sync()  # the sandbox clock, as the server tells it
            return await action(container)
        finally:
            await container.close()

    return asyncio.run(run())


def run_action(data_dir: Path | None, database_url: str | None, action: object) -> object:
    """Run an operator command's action; a refusal of the use case (`DomainError`, such as
    `ClientAdminError`) is printed with its field errors and exits 1."""
    from dpi_server.domain.errors import DomainError

    settings = make_settings(data_dir=data_dir, database_url=database_url)
    try:
        return with_container(settings, action)  # type: ignore[arg-type]
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
        err_console.print(f"[red]error:[/red] {exc.message}" + (f" ({details})" if details else ""))
        raise typer.Exit(1) from None
