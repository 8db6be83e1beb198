"""`AsyncClient`: construction, auth wiring, and sending calls with retries.

The resources (`client.slots`...) live in `dpi._resources`, one module a group. This module
and those are the source of the sync client too: `scripts/sync_sdk.py` writes `_client_sync.py`
and `dpi._resources_sync` from them (dropping `async`/`await`, `AsyncX` → `X`, `async_pause` →
`sync_pause`), and a test fails when they drift. Edit these, then run
`python scripts/sync_sdk.py`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import NoReturn, Self, TypeVar

import httpx

from dpi._base import BaseClient, Call, raise_lost
from dpi._exceptions import ConnectionError, DpiError, RateLimited, ServerError
from dpi._models import AccessToken
from dpi._resources.addresses import AsyncAddresses
from dpi._resources.bookings import AsyncBookings
from dpi._resources.breaks import AsyncBreaks
from dpi._resources.calendars import AsyncCalendars
from dpi._resources.doctors import AsyncDoctors
from dpi._resources.facilities import AsyncFacilities
from dpi._resources.insurance import AsyncAddressInsuranceProviders, AsyncInsuranceProviders
from dpi._resources.notifications import AsyncNotifications
from dpi._resources.services import AsyncAddressServices, AsyncServices
from dpi._resources.slots import AsyncSlots
from dpi._waiting import async_pause

T = TypeVar("T")
log = logging.getLogger("dpi")


class AsyncClient(BaseClient[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """An asynchronous client of the Docplanner Integrations API (or of dpi).

    ```python
    async with dpi.AsyncClient(client_id, secret, base_url="https://127.0.0.1:8443",
                               verify=".dpi/tls/cert.pem") as client:
        facilities = await client.facilities.list()
    ```

    Args:
        client_id: the API client id.
        client_secret: its secret; it never appears in reprs, logs or errors.
        base_url: the site root (`https://www.znanylekarz.pl`, dpi's address, a proxy); a
            trailing `/api/v3/integration` is accepted.
        verify: TLS verification: True, False, a CA bundle path (dpi's `ca_cert`) or an
            `ssl.SSLContext`.
        timeout: seconds or an `httpx.Timeout` for every request.
        retries: a retry count or a `RetryPolicy` (default: 2 retries, idempotent requests).
        headers: extra headers for every request.
        transport: an httpx transport (`httpx.ASGITransport(app)`, `httpx.MockTransport`...).
        http_client: an httpx client to send with instead of one of the SDK's (not closed by
            the SDK).
    """

    _http_class = httpx.AsyncClient

    @cached_property
    def facilities(self) -> AsyncFacilities:
        """Facilities (clinics) the client may see."""
        return AsyncFacilities(self)

    @cached_property
    def doctors(self) -> AsyncDoctors:
        """Doctors of a facility, and opinion requests."""
        return AsyncDoctors(self)

    @cached_property
    def addresses(self) -> AsyncAddresses:
        """A doctor's addresses."""
        return AsyncAddresses(self)

    @cached_property
    def services(self) -> AsyncServices:
        """The dictionary of services."""
        return AsyncServices(self)

    @cached_property
    def address_services(self) -> AsyncAddressServices:
        """Services offered at an address."""
        return AsyncAddressServices(self)

    @cached_property
    def insurance_providers(self) -> AsyncInsuranceProviders:
        """The dictionary of insurance providers and their plans."""
        return AsyncInsuranceProviders(self)

    @cached_property
    def address_insurance_providers(self) -> AsyncAddressInsuranceProviders:
        """Insurance providers accepted at an address."""
        return AsyncAddressInsuranceProviders(self)

    @cached_property
    def calendars(self) -> AsyncCalendars:
        """An address's calendar: status, enable, disable."""
        return AsyncCalendars(self)

    @cached_property
    def breaks(self) -> AsyncBreaks:
        """Calendar breaks."""
        return AsyncBreaks(self)

    @cached_property
    def slots(self) -> AsyncSlots:
        """Availability (work periods), free slots and booking a slot."""
        return AsyncSlots(self)

    @cached_property
    def bookings(self) -> AsyncBookings:
        """Bookings: list, read, cancel, move, confirm, presence."""
        return AsyncBookings(self)

    @cached_property
    def notifications(self) -> AsyncNotifications:
        """The pull queue of notifications."""
        return AsyncNotifications(self)

    async def _request(self, target: Call[T]) -> T:
        """Send one call, retrying as the policy allows, and read its answer."""
        request = self._build(target)
        policy = self._policy_for(target)
        # A call that can look up what it created may be retried like an idempotent one.
        idempotent = True if target.recover is not None else None
        attempt = 0
        fail: Callable[[], T]  # raises the error of the last attempt
        while True:
            try:
                response = await self._http.send(request, auth=self.auth)
            except httpx.TransportError as exc:
                lost, reason = True, type(exc).__name__
                delay = policy.delay_after_error(attempt, request.method, idempotent=idempotent)
                fail = functools.partial(raise_lost, request, exc)
            except (ServerError, RateLimited) as exc:
                # The token endpoint failed inside the auth flow (the call itself was not
                # sent). Minting a token twice is harmless: retry whatever the call's method.
                if exc.response is None:
                    raise
                delay = policy.delay_after_response(attempt, exc.response, idempotent=True)
                if delay is None:
                    raise
                lost, reason = False, f"token endpoint answered {exc.status}"
                fail = functools.partial(_reraise, exc)
            else:
                lost, reason = response.status_code >= 500, f"answered {response.status_code}"
                delay = policy.delay_after_response(attempt, response, idempotent=idempotent)
                if delay is None and not (lost and target.recover is not None):
                    return self._finish(target, response)
                await response.aclose()  # the body was read: _finish can still raise from it
                fail = functools.partial(self._finish, target, response)
            if lost and target.recover is not None:
                try:
                    found: T | None = await target.recover()
                except DpiError:
                    return fail()  # cannot tell whether the call took effect: do not repeat it
                if found is not None:
                    return found
            if delay is None:
                return fail()
            attempt += 1
            # Method, path and reason only: no header, so no token, ever reaches the log.
            log.info(
                "dpi: retry %d of %s %s in %.2f s (%s)",
                attempt,
                request.method,
                request.url.path,
                delay,
                reason,
            )
            await async_pause(None, delay)

    async def get_access_token(self) -> AccessToken:
        """Fetch a new token now (getAccessToken) and use it for the calls that follow.

        Calls fetch tokens by themselves when needed; this is for reading one explicitly.
        """
        try:
            response = await self._http.send(self.auth.token_request())
        except httpx.TransportError as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        return self.auth.store(response)

    async def aclose(self) -> None:
        """Close the connections (not those of an `http_client` passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _reraise(error: Exception) -> NoReturn:
    raise error
