"""`dpi serve --workers N`: N API processes on the same port(s), one supervisor.

The supervisor migrates, seeds and makes the TLS pair once (in `serve._prepare`), binds the
listening sockets, and starts N children with the `spawn` method (a fresh interpreter: no
event loop, engine or thread inherited half-way). Every child accepts on the same sockets and
serves the whole app; the kernel hands each connection to one of them. A child that dies is
started again; SIGTERM or SIGINT to the supervisor stops them all gracefully.

Shared state stays exact because it lives where all children see it: the database (SQLite in
WAL mode or PostgreSQL), the rate-limit store (`DPI_RATE_LIMIT_STORE`, shared by default once
there is more than one worker) and the cache generation (services/cache.py). Background work
runs under the leader lease (services/leadership.py), so once, not N times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from dpi_server.config import Settings

log = logging.getLogger("dpi.workers")
# A child that keeps dying is restarted at most this often, so a broken configuration does
# not turn into a fork loop.
RESTART_DELAY_SECONDS = 1.0

T = TypeVar("T")
ServeFn = Callable[[Settings, "Worker"], Coroutine[Any, Any, None]]


@dataclass
class Worker:
    """What one child needs beyond the settings: its number, the TLS pair and the sockets."""

    index: int
    tls_pair: tuple[Path, Path] | None
    sockets: list[socket.socket]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol must be named: asyncio turns Nagle off only on sockets whose `proto` is
    # IPPROTO_TCP, and accepted sockets inherit 0 from a listener made without it. With Nagle
    # on, each answer's body (a second write after the head) waited for the client's delayed
    # ACK: ~40 ms a request, which made `--workers 2` slower than one process (issue #8).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on uvloop when it is installed (uvicorn[standard] brings it), as
    `uvicorn.run` would choose: its loop costs less per request than asyncio's own."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _child(serve: ServeFn, settings: Settings, worker: Worker) -> None:
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group
        run_loop(serve(settings, worker))


def supervise(settings: Settings, tls_pair: tuple[Path, Path] | None, serve: ServeFn) -> None:
    """Run `settings.workers` children of `serve` until told to stop."""
    if settings.rate_limit_store == "memory":
        log.warning(
            "DPI_RATE_LIMIT_STORE=memory with %d workers: each process counts on its own, so a "
            "client may get up to %d times its limits",
            settings.workers,
            settings.workers,
        )
    sockets = [_bind(settings.host, settings.port)]
    if tls_pair is not None and settings.http_port:
        sockets.append(_bind(settings.host, settings.http_port))
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int) -> multiprocessing.process.BaseProcess:
        process = context.Process(
            target=_child,
            args=(serve, settings, Worker(index, tls_pair, sockets)),
            name=f"dpi-worker-{index}",
        )
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children = [start(i) for i in range(settings.workers)]
    log.info("supervising %d workers on port %d", settings.workers, settings.port)
    try:
        while not stopping:
            time.sleep(0.2)
            for index, child in enumerate(children):
                if child.exitcode is not None and not stopping:
                    log.warning("worker %d exited with %s; restarting", index, child.exitcode)
                    time.sleep(RESTART_DELAY_SECONDS)
                    children[index] = start(index)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: uvicorn finishes in-flight requests first
        deadline = time.monotonic() + 30
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join()
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
