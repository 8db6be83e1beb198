"""Every error the SDK raises, one tree rooted at `DpiError`:

```
DpiError                    any failure of a call; `status` is None when no response came
├── ConnectionError         the request never got an answer (DNS, refused, TLS, timeout)
├── AuthenticationError     401, or the token endpoint refused the client credentials
├── ValidationError         400 and 422: the request was read and refused (`errors` per field)
├── Forbidden               403: outside the client's estate, or an action not allowed
├── NotFound                404: unknown object, empty notification queue, no such slot
├── Conflict                409: duplicates and state conflicts (already moved, confirmed...)
├── RateLimited             429: `retry_after` and the `rate_limit` window tell when to retry
└── ServerError             5xx
```

Other statuses (405, 413...) raise `DpiError` itself. Every error carries the status, the
envelope's `message` and `errors` map (`{"slots[1].end": ["..."]}`; empty when the server sent
`[]`), the request id when the server sends one, the rate-limit state of the response, and the
httpx `request` and `response`. No error ever shows a client secret or an access token: the
text is built only from the status, the message and the URL.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from dpi._ratelimit import RateLimitState, parse_retry_after

_REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "request-id")


class DpiError(Exception):
    """Base class of every SDK error.

    Attributes:
        status: the HTTP status, or None when there was no response.
        message: the `message` of Docplanner's error envelope (or a description).
        errors: the envelope's field map, `{}` when the server sent `[]` or nothing.
        request_id: the server's request id header, when it sends one.
        rate_limit: the `X-RateLimit-*` state of the response, None without those headers.
        request: the httpx request, when one was built.
        response: the httpx response, when one arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Mapping[str, list[str]] | None = None,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.request = request
        self.response = response
        self.request_id: str | None = None
        self.rate_limit: RateLimitState | None = None
        if response is not None:
            self.request_id = next(
                (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None
            )
            self.rate_limit = RateLimitState.from_headers(response.headers)
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [] if self.status is None else [str(self.status)]
        parts.append(self.message)
        if self.errors:
            parts.append(
                "; ".join(f"{key}: {' '.join(texts)}" for key, texts in self.errors.items())
            )
        if self.request is not None:
            # Only method and URL: headers (and so tokens and secrets) never reach the text.
            parts.append(f"({self.request.method} {self.request.url})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


# The API reference shows `DpiError`, not this private module: the class carries the tree too.
DpiError.__doc__ = inspect.cleandoc(DpiError.__doc__ or "") + "\n\n" + (__doc__ or "")


class ConnectionError(DpiError, builtins.ConnectionError):
    """No answer: the connection failed or timed out (also a `builtins.ConnectionError`)."""


class AuthenticationError(DpiError):
    """401 from the API, or a refusal of the token endpoint.

    `oauth_error` holds the RFC 6749 code (`invalid_client`...) when the token endpoint sent one.
    """

    oauth_error: str | None = None


class ValidationError(DpiError):
    """400 or 422: the request was refused; `errors` maps field paths to messages."""


class Forbidden(DpiError):
    """403: the object is outside the client's estate, or the action is not allowed."""


class NotFound(DpiError):
    """404: no such object (also an empty notification queue: `No notifications found`)."""


class Conflict(DpiError):
    """409: a duplicate, or a state that forbids the action (already moved, confirmed...)."""


class RateLimited(DpiError):
    """429. `retry_after` is the server's `Retry-After` in seconds (None when absent) and
    `reset` the end of the exhausted window (`X-RateLimit-Reset`)."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait, from `Retry-After`."""
        return None if self.response is None else parse_retry_after(self.response.headers)

    @property
    def reset(self) -> datetime | None:
        """When the exhausted window resets, from `X-RateLimit-Reset`."""
        return None if self.rate_limit is None else self.rate_limit.reset


class ServerError(DpiError):
    """5xx: the server failed; idempotent requests are retried before this is raised."""


_BY_STATUS: dict[int, type[DpiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}


def _field_map(raw: Any) -> dict[str, list[str]]:
    """The envelope's `errors`: a map of lists, or `[]` (PHP's empty array) meaning none."""
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(key): [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for key, value in raw.items()
    }


def error_from_response(response: httpx.Response) -> DpiError:
    """The exception for a non-2xx response; reads Docplanner's and RFC 6749's envelopes."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        body = {}
    message = body.get("message") or body.get("error_description") or response.reason_phrase
    status = response.status_code
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else DpiError)
    error = cls(
        str(message),
        status=status,
        errors=_field_map(body.get("errors")),
        request=response.request,
        response=response,
    )
    if isinstance(error, AuthenticationError) and isinstance(body.get("error"), str):
        error.oauth_error = body["error"]
    return error
