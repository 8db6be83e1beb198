"""OAuth2 client credentials as an `httpx.Auth` (behaviour.md §2).

The flow fetches a token from `/oauth/v2/token` (HTTP Basic plus a form body, as Docplanner
documents it), keeps it until shortly before `expires_in` runs out, and sends it as
`Authorization: Bearer`. Concurrent requests that find no valid token wait for one fetch
(single flight: a `threading.Lock` for the sync client, an `asyncio.Lock` for the async one).
A 401 answer invalidates the token that was used and the request is sent once more.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx

from dpi._exceptions import (
    AuthenticationError,
    DpiError,
    RateLimited,
    ServerError,
    error_from_response,
)
from dpi._models import AccessToken


class Secret:
    """A string that never shows itself in a repr, str or log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself; only the token request uses it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class _Cached:
    token: str
    refresh_at: float  # time.monotonic() after which the token is renewed


def _refresh_margin(expires_in: float) -> float:
    # Renew a minute early (a tenth of the lifetime for short ones) so that a request never
    # leaves with a token that expires on the way.
    return min(60.0, expires_in / 10)


class ClientCredentialsAuth(httpx.Auth):
    """Fetches, caches and renews client-credentials tokens; adds `Authorization: Bearer`.

    Args:
        token_url: the absolute URL of `/oauth/v2/token`.
        client_id: the API client id.
        client_secret: its secret (kept in a `Secret`, never shown).
        scope: the scope asked for; Docplanner has exactly one, `integration`.
        clock: a monotonic clock in seconds, replaceable in tests.
    """

    requires_response_body = False

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Secret,
        *,
        scope: str = "integration",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
        self.scope = scope
        self._clock = clock
        self._cached: _Cached | None = None
        self._thread_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        self._async_lock_loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0  # how many tokens this auth has fetched (for tests and metrics)

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r})"

    # -- the pieces both flows share --------------------------------------------------------

    def token_request(self) -> httpx.Request:
        """The request for a new token: HTTP Basic credentials and a form body."""
        pair = f"{self.client_id}:{self._secret.reveal()}".encode()
        return httpx.Request(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials", "scope": self.scope},
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                "Accept": "application/json",
            },
        )

    def store(self, response: httpx.Response) -> AccessToken:
        """Read a token response (already read) and cache the token; raise on refusal."""
        if response.status_code != 200:
            error = error_from_response(response)
            if isinstance(error, AuthenticationError | ServerError | RateLimited):
                raise error  # 5xx and 429 stay themselves, so that the client retries them
            refused = AuthenticationError(
                error.message, status=error.status, request=response.request, response=response
            )
            refused.oauth_error = _oauth_error(response)
            raise refused
        try:
            token = AccessToken.model_validate(response.json())
        except ValueError as exc:
            raise DpiError(
                "The token endpoint sent an unreadable answer",
                status=response.status_code,
                request=response.request,
                response=response,
            ) from exc
        lifetime = float(token.expires_in or 3600)
        self._cached = _Cached(
            token.access_token, self._clock() + lifetime - _refresh_margin(lifetime)
        )
        self.fetches += 1
        return token

    def _valid_token(self) -> str | None:
        cached = self._cached
        if cached is None or self._clock() >= cached.refresh_at:
            return None
        return cached.token

    def _invalidate(self, used: str) -> None:
        # Only the token that failed is dropped: another request may already have renewed it.
        if self._cached is not None and self._cached.token == used:
            self._cached = None

    @staticmethod
    def _authorize(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    # -- sync ---------------------------------------------------------------------------------

    def _sync_token(self) -> Generator[httpx.Request, httpx.Response, str]:
        with self._thread_lock:
            token = self._valid_token()
            if token is None:
                response = yield self.token_request()
                response.read()
                token = self.store(response).access_token
            return token

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = yield from self._sync_token()
        self._authorize(request, token)
        response = yield request
        if response.status_code == 401:
            self._invalidate(token)
            token = yield from self._sync_token()
            self._authorize(request, token)
            yield request

    # -- async --------------------------------------------------------------------------------

    def _lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; a client reused under a new loop (two
        # asyncio.run calls) gets a new lock rather than an error.
        loop = asyncio.get_running_loop()
        if self._async_lock is None or self._async_lock_loop is not loop:
            self._async_lock = asyncio.Lock()
            self._async_lock_loop = loop
        return self._async_lock

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        lock = self._lock()
        for attempt in range(2):
            async with lock:
                token = self._valid_token()
                if token is None:
                    token_response = yield self.token_request()
                    await token_response.aread()
                    token = self.store(token_response).access_token
            self._authorize(request, token)
            response = yield request
            if response.status_code != 401 or attempt == 1:
                return
            self._invalidate(token)


def _oauth_error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("error") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
