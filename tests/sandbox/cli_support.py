"""Running `dpi` commands that talk to `/_sandbox/` against the in-process app of a test.

The commands use a sync httpx client; the app is async and lives on the test's event loop.
`cli_against` hands the commands a sync transport that runs each request on that loop (the
command itself runs in a thread, `run_cli_async`), so no socket or second server is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from dpi_server.cli import sandbox_client
from dpi_server.cli.main import app as cli_app

URL = "https://testserver/_sandbox"


class _LoopTransport(httpx.BaseTransport):
    def __init__(self, app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            copy = httpx.Request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            response = await self._inner.handle_async_request(copy)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return asyncio.run_coroutine_threadsafe(send(), self._loop).result(timeout=60)


@contextmanager
def cli_against(app: FastAPI, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """While open, the sandbox commands reach `app` on `loop` instead of a server."""
    sandbox_client.transport_override = _LoopTransport(app, loop)
    try:
        yield
    finally:
        sandbox_client.transport_override = None


async def run_cli_async(app: FastAPI, token: str, *args: str) -> Result:
    """`dpi <args> --url https://testserver/_sandbox --token <token>` against `app`."""
    loop = asyncio.get_running_loop()

    def run() -> Result:
        with cli_against(app, loop):
            return CliRunner().invoke(cli_app, [*args, "--url", URL, "--token", token])

    return await asyncio.to_thread(run)
