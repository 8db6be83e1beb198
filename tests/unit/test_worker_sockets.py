"""The listening socket `dpi serve --workers` shares (cli/workers.py `_bind`)."""

from __future__ import annotations

import socket

from dpi_server.cli.workers import _bind


def test_the_shared_socket_turns_nagle_off_for_every_connection() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP; an accepted
    socket inherits both from the listener, so answers are not held for a delayed ACK."""
    listener = _bind("127.0.0.1", 0)
    try:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        try:
            assert listener.proto == socket.IPPROTO_TCP
            assert accepted.proto == socket.IPPROTO_TCP
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            accepted.close()
            client.close()
    finally:
        listener.close()
