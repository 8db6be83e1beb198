"""`Client`: construction, auth wiring, and sending calls with retries.

Generated from `_client_async.py` by scripts/sync_sdk.py: edit that file, not this one.
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
from dpi._resources_sync.addresses import Addresses
from dpi._resources_sync.bookings import Bookings
from dpi._resources_sync.breaks import Breaks
from dpi._resources_sync.calendars import Calendars
from dpi._resources_sync.doctors import Doctors
from dpi._resources_sync.facilities import Facilities
from dpi._resources_sync.insurance import AddressInsuranceProviders, InsuranceProviders
from dpi._resources_sync.notifications import Notifications
from dpi._resources_sync.services import AddressServices, Services
from dpi._resources_sync.slots import Slots
from dpi._waiting import sync_pause

T = TypeVar("T")
log = logging.getLogger("dpi")


class Client(BaseClient[httpx.Client, httpx.BaseTransport]):
    """An asynchronous client of the Docplanner Integrations API (or of dpi).

    ```python
    with dpi.Client(client_id, secret, base_url="https://127.0.0.1:8443",
                               verify=".dpi/tls/cert.pem") as client:
        facilities = client.facilities.list()
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

    _http_class = httpx.Client

    @cached_property
    def facilities(self) -> Facilities:
        """Facilities (clinics) the client may see."""
        return Facilities(self)

    @cached_property
    def doctors(self) -> Doctors:
        """Doctors of a facility, and opinion requests."""
        return Doctors(self)

    @cached_property
    def addresses(self) -> Addresses:
        """A doctor's addresses."""
        return Addresses(self)

    @cached_property
    def services(self) -> Services:
        """The dictionary of services."""
        return Services(self)

    @cached_property
    def address_services(self) -> AddressServices:
        """Services offered at an address."""
        return AddressServices(self)

    @cached_property
    def insurance_providers(self) -> InsuranceProviders:
        """The dictionary of insurance providers and their plans."""
        return InsuranceProviders(self)

    @cached_property
    def address_insurance_providers(self) -> AddressInsuranceProviders:
        """Insurance providers accepted at an address."""
        return AddressInsuranceProviders(self)

    @cached_property
    def calendars(self) -> Calendars:
        """An address's calendar: status, enable, disable."""
        return Calendars(self)

    @cached_property
    def breaks(self) -> Breaks:
        """Calendar breaks."""
        return Breaks(self)

    @cached_property
    def slots(self) -> Slots:
        """Availability (work periods), free slots and booking a slot."""
        return Slots(self)

    @cached_property
    def bookings(self) -> Bookings:
        """Bookings: list, read, cancel, move, confirm, presence."""
        return Bookings(self)

    @cached_property
    def notifications(self) -> Notifications:
        """The pull queue of notifications."""
        return Notifications(self)

    def _request(self, target: Call[T]) -> T:
        """Send one call, retrying as the policy allows, and read its answer."""
        request = self._build(target)
        policy = self._policy_for(target)
        # A call that can look up what it created may be retried like an idempotent one.
        idempotent = True if target.recover is not None else None
        attempt = 0
        fail: Callable[[], T]  # raises the error of the last attempt
        while True:
            try:
                response = self._http.send(request, auth=self.auth)
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
                response.close()  # the body was read: _finish can still raise from it
                fail = functools.partial(self._finish, target, response)
            if lost and target.recover is not None:
                try:
                    found: T | None = target.recover()
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
            sync_pause(None, delay)

    def get_access_token(self) -> AccessToken:
        """Fetch a new token now (getAccessToken) and use it for the calls that follow.

        Calls fetch tokens by themselves when needed; this is for reading one explicitly.
        """
        try:
            response = self._http.send(self.auth.token_request())
        except httpx.TransportError as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        return self.auth.store(response)

    def close(self) -> None:
        """Close the connections (not those of an `http_client` passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _reraise(error: Exception) -> NoReturn:
    raise error
