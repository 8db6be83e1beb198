"""The sandbox's web pages: server-rendered HTML (Jinja2) with a little plain JavaScript, no
build step and nothing fetched from another host.

- `/` what this server is, the estate, and (signed in) the credentials to use;
- `/marketplace/{facility}/{doctor}/{address}` a patient's week of free slots: book, cancel, move;
- `/doctor/{facility}/{doctor}/{address}` the doctor's side: breaks, presence, address services;
- `/console` the operator's console: API clients (and their controls), their notification
  log, live, the request journal, faults, the sandbox clock and reset.

Every page but `/` and the sign-in form acts as the operator and needs a session
(`session.py`). Pages call the use cases (`Services`) directly; none is in the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from dpi_server.sandbox.pages import (
    console,
    console_clients,
    console_clock,
    console_journal,
    console_reset,
    doctor,
    home,
    marketplace,
)
from dpi_server.sandbox.pages.rendering import STATIC_URL, PagesOptions, render, see_other
from dpi_server.sandbox.pages.session import ForeignOrigin, SignInRequired

__all__ = ["PagesOptions", "install_pages"]

STATIC_DIR = Path(__file__).parent / "static"


def install_pages(app: FastAPI, options: PagesOptions | None = None) -> None:
    app.state.pages_options = options or PagesOptions()
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="pages-static")
    for module in (
        home,
        marketplace,
        doctor,
        console,
        console_clients,
        console_clock,
        console_journal,
        console_reset,
    ):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(ForeignOrigin, _foreign_origin)


async def _sign_in_first(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return see_other(exc.location)


async def _foreign_origin(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ForeignOrigin)
    return render(request, "error.html", {"title": "Refused"}, status=403, error=exc.message)
