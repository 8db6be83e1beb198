"""Real servers on loopback ports for the SDK tests: dpi itself (over TLS, with its
self-signed certificate) and a small fault-injecting proxy in front of it.

Each runs uvicorn on its own event loop in a thread, so sync clients, threads and other
event loops can all talk to it over real sockets.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from dpi_server.adapters.tls import ensure_self_signed
from dpi_server.bootstrap import Container, build, build_app
from dpi_server.config import Settings
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import EstateBuilder, TestEstate

T = TypeVar("T")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ThreadedServer:
    """uvicorn serving `app` on 127.0.0.1 (a free port) from a thread of its own."""

    def __init__(
        self,
        app: Any,
        *,
        ssl: tuple[Path, Path] | None = None,
        before: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        scheme = "https" if ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            ssl_certfile=str(ssl[0]) if ssl else None,
            ssl_keyfile=str(ssl[1]) if ssl else None,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self._before = before
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def serve() -> None:
            if self._before is not None:
                await self._before()
            await self.server.serve(sockets=[self._sock])

        self.loop.run_until_complete(serve())
        self.loop.close()

    def start(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (where its database engine lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)


class LiveDpi:
    """dpi over HTTPS on a real port, on a SQLite file, with a FakeClock."""

    def __init__(self, data_dir: Path) -> None:
        self.clock = FakeClock()
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir / 'dpi.sqlite3'}",
            insecure_http=False,
        )
        self.container: Container = build(settings, clock=self.clock)
        self.ca_cert, key = ensure_self_signed(data_dir, ["127.0.0.1"], datetime.now(UTC))
        self.server = ThreadedServer(
            build_app(self.container), ssl=(self.ca_cert, key), before=self.container.migrate
        )
        self.url = self.server.url

    def estate(self, **options: Any) -> TestEstate:
        """A fresh estate (own facilities and API client) in the live server's database."""
        return self.server.run(EstateBuilder(self.container.services).build(**options))


@dataclass
class Fault:
    """Answer the next request matching `method` and `path_part` with `status` instead of
    forwarding it (then the fault is used up). With `forward`, the request does reach the
    server and only its answer is replaced: an answer lost on the way back."""

    status: int
    method: str = "*"
    path_part: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"errors": [], "message": "injected"}'
    forward: bool = False


@dataclass
class Seen:
    """One request as the proxy saw it, and what it did with it."""

    method: str
    path: str
    at: float  # time.monotonic(), for intervals
    status: int
    injected: bool
    wall: float = field(default_factory=time.time)  # for comparing with server times


class FaultProxy:
    """A pure ASGI reverse proxy to `upstream` that can answer with injected errors first."""

    def __init__(self, upstream: str, verify: Any) -> None:
        self.upstream = upstream
        self.verify = verify
        self.url = ""  # set once served
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._http: httpx.AsyncClient | None = None

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.method in ("*", method) and fault.path_part in path:
                    return self.faults.pop(index)
        return None

    def count(self, method: str, path_part: str) -> int:
        """How many requests (forwarded or answered) matched."""
        return sum(1 for s in self.seen if s.method == method and path_part in s.path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self._http = httpx.AsyncClient(verify=self.verify, timeout=30)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    assert self._http is not None
                    await self._http.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        method, path = scope["method"], scope["path"]
        query = scope["query_string"].decode()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        fault = self._take_fault(method, path)
        if fault is not None and not fault.forward:
            status, headers, content = fault.status, fault.headers, fault.body
        else:
            assert self._http is not None
            forwarded = {
                k.decode(): v.decode() for k, v in scope["headers"] if k.lower() != b"host"
            }
            upstream = await self._http.request(
                method,
                self.upstream + scope["raw_path"].decode() + (f"?{query}" if query else ""),
                headers=forwarded,
                content=body,
            )
            status, content = upstream.status_code, upstream.content
            headers = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
            }
            if fault is not None:  # forwarded, then the answer is lost
                status, headers, content = fault.status, fault.headers, fault.body
        with self._lock:
            self.seen.append(Seen(method, path, time.monotonic(), status, fault is not None))
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        raw_headers.append((b"content-length", str(len(content)).encode()))
        if not any(k.lower() == "content-type" for k in headers):
            raw_headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": content})
