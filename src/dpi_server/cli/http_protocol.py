"""uvicorn's httptools protocol with request-head limits and error answers in our envelope.

uvicorn sets no limit on the request head when it parses with httptools: a 64 MiB header line
is buffered (httptools concatenates each fragment onto the header so far, so the cost grows
with the square of its size and stalls the event loop) and 100,000 header lines are accepted.
And what the parser refuses is answered `text/plain` before our app runs. This subclass

- counts the bytes of each request head *before* handing them to the parser, so no more than
  `max_head_bytes` is ever buffered: a request line over the limit gets 414, a head over it
  431, more than `max_headers` header lines 431;
- answers every parser error (bad Content-Length, Content-Length with Transfer-Encoding, a
  bare LF, an unreadable URL...) with 400 in the error envelope instead of uvicorn's text.

Every such answer closes the connection: after a framing error nothing later on it can be
trusted to start where we think it does. (issue #12, items 1 and 9; docs/decisions.md)
"""

from __future__ import annotations

import http
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from dpi_server.api.media import ERROR_MEDIA_TYPE, error_body

DEFAULT_MAX_HEAD_BYTES = 16 * 1024
DEFAULT_MAX_HEADERS = 100

URL_TOO_LONG = "Request URI is too long"
HEAD_TOO_LARGE = "Request header fields are too large"
TOO_MANY_HEADERS = "Too many request header fields"
UNREADABLE = "Invalid HTTP request"


class _HeadLimit(Exception):
    """Raised from a parser callback: httptools stops parsing and reports a callback error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying the error envelope, closing the connection."""
    body = error_body(message)
    phrase = http.HTTPStatus(status).phrase
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        f"content-type: {ERROR_MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Set the limits with `limited_protocol()`; uvicorn builds one instance per connection."""

    max_head_bytes: ClassVar[int] = DEFAULT_MAX_HEAD_BYTES
    max_headers: ClassVar[int] = DEFAULT_MAX_HEADERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes of the current request head seen so far; None once its headers are complete.
        self._head_bytes: int | None = 0
        self._header_count = 0
        self._header_bytes = 0
        self._url_bytes = 0

    # The parser's view of the head, kept exact even when a pipelined request starts in the
    # middle of a chunk that `data_received` could not split.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        self._header_bytes = 0
        self._url_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.max_head_bytes:
            raise _HeadLimit(414, URL_TOO_LONG)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_count > self.max_headers:
            raise _HeadLimit(431, TOO_MANY_HEADERS)
        if self._url_bytes + self._header_bytes > self.max_head_bytes:
            raise _HeadLimit(431, HEAD_TOO_LARGE)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        view = memoryview(data)
        while view:
            if self._head_bytes is None:  # a body: the parser takes it all
                chunk, view = view, view[len(view) :]
            else:
                room = self.max_head_bytes + 1 - self._head_bytes
                chunk, view = view[:room], view[room:]
                self._head_bytes += len(chunk)
            if not self._feed(bytes(chunk)):
                return
            if self._head_bytes is not None and self._head_bytes > self.max_head_bytes:
                # The head did not end within the limit: refuse before buffering any more.
                if self._url_bytes and not self._header_count:
                    self._refuse(414, URL_TOO_LONG)
                else:
                    self._refuse(431, HEAD_TOO_LARGE)
                return

    def _feed(self, chunk: bytes) -> bool:
        try:
            self.parser.feed_data(chunk)
        except httptools.HttpParserUpgrade:
            # No WebSocket on this server (`ws="none"`): uvicorn's own handling warns and the
            # request goes on as plain HTTP.
            self._unsupported_upgrade_warning()
        except httptools.HttpParserError as exc:
            limit = exc.__context__ if isinstance(exc.__context__, _HeadLimit) else None
            if limit is not None:
                self._refuse(limit.status, limit.message)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self._refuse(400, UNREADABLE)
            return False
        return True

    def _refuse(self, status: int, message: str) -> None:
        # An answer written while an earlier pipelined response is still being sent would
        # interleave with it on the wire; then the connection is simply closed.
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(error_response(status, message))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's fallback for errors it finds itself: the envelope, not plain text."""
        self._refuse(400, UNREADABLE)


_GENERATED = "LimitedHttpToolsProtocol_"


def limited_protocol(max_head_bytes: int, max_headers: int) -> type[LimitedHttpToolsProtocol]:
    """A protocol class with these limits, to pass as uvicorn's `http=`.

    The class is named after its limits and found again by that name (`__getattr__` below),
    so it pickles by reference: uvicorn's worker processes receive their config pickled.
    """
    name = f"{_GENERATED}{int(max_head_bytes)}_{int(max_headers)}"
    found = globals().get(name)
    if isinstance(found, type) and issubclass(found, LimitedHttpToolsProtocol):
        return found
    made = type(
        name,
        (LimitedHttpToolsProtocol,),
        {"max_head_bytes": max_head_bytes, "max_headers": max_headers, "__module__": __name__},
    )
    globals()[name] = made
    return made


def __getattr__(name: str) -> type[LimitedHttpToolsProtocol]:
    """Rebuild a class made by `limited_protocol` when an unpickler asks for it by name."""
    if name.startswith(_GENERATED):
        size, _, count = name.removeprefix(_GENERATED).partition("_")
        if size.isdigit() and count.isdigit():
            return limited_protocol(int(size), int(count))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
