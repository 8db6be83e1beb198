"""`AsyncClient` and its resources.

This file is the source of the sync client too: `scripts/sync_sdk.py` writes `_client_sync.py`
from it (dropping `async`/`await`, `AsyncX` → `X`, `async_pause` → `sync_pause`), and a test
fails when the two drift. Edit this file, then run `python scripts/sync_sdk.py`.
"""

from __future__ import annotations

import builtins
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

import httpx

from dpi._base import (
    NOT_GIVEN,
    BaseClient,
    Call,
    Id,
    NotGiven,
    address_path,
    call,
    digits,
    format_value,
    given,
    join_with,
    model_body,
    parse_items,
    parse_model,
    parse_none,
    raise_lost,
)
from dpi._exceptions import ConnectionError, DpiError, NotFound, RateLimited, ServerError
from dpi._models import (
    AccessToken,
    Address,
    AddressService,
    AddressServiceWith,
    AddressWith,
    AllowedPatients,
    Booking,
    BookingsPage,
    BookingsWith,
    BookingWith,
    Calendar,
    CalendarBreak,
    ConfirmedBy,
    Doctor,
    DoctorsWith,
    DoctorWith,
    Facility,
    FacilityWith,
    InsurancePlan,
    InsuranceProvider,
    InsuranceSupport,
    MoveBookingWith,
    Patient,
    Service,
    ServicesWith,
    Slot,
    SlotsWith,
    WorkPeriod,
)
from dpi._notifications import HandlerFailed, Notification, NotificationBatch, parse_pulled
from dpi._waiting import AsyncEvent, AsyncOutcome, async_pause

T = TypeVar("T")
log = logging.getLogger("dpi")

EMPTY_QUEUE_MESSAGE = "No notifications found"
MAX_SLOTS_RANGE = timedelta(days=180)  # getSlots' limit (behaviour.md §8.3, changelog 1.9.3)


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


class _AsyncResource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client


class AsyncFacilities(_AsyncResource):
    """`client.facilities`: the facilities assigned to this API client."""

    async def list(self) -> builtins.list[Facility]:
        """All facilities this client may see (getFacilities)."""
        return await self._client._request(call("getFacilities", parse_items(Facility)))

    async def get(self, facility_id: Id, *, with_: Iterable[FacilityWith | str] = ()) -> Facility:
        """One facility (getFacility); `FacilityWith.DOCTORS` embeds its doctors."""
        return await self._client._request(
            call(
                "getFacility",
                parse_model(Facility),
                {"facility_id": facility_id},
                params={"with": join_with(with_)},
            )
        )


class AsyncDoctors(_AsyncResource):
    """`client.doctors`: the commercial doctors of a facility."""

    async def list(
        self, facility_id: Id, *, with_: Iterable[DoctorsWith | str] = ()
    ) -> builtins.list[Doctor]:
        """The facility's doctors (getDoctors)."""
        return await self._client._request(
            call(
                "getDoctors",
                parse_items(Doctor),
                {"facility_id": facility_id},
                params={"with": join_with(with_)},
            )
        )

    async def get(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[DoctorWith | str] = ()
    ) -> Doctor:
        """One doctor (getDoctor); `DoctorWith.ADDRESSES` embeds the addresses."""
        return await self._client._request(
            call(
                "getDoctor",
                parse_model(Doctor),
                {"facility_id": facility_id, "doctor_id": doctor_id},
                params={"with": join_with(with_)},
            )
        )

    async def request_opinion(self, facility_id: Id, doctor_id: Id, *, phone: str) -> None:
        """Ask the patient of a past visit with this phone for a review (requestOpinion)."""
        await self._client._request(
            call(
                "requestOpinion",
                parse_none,
                {"facility_id": facility_id, "doctor_id": doctor_id},
                json={"phone": phone},
            )
        )


class AsyncAddresses(_AsyncResource):
    """`client.addresses`: a doctor's addresses in a facility."""

    async def list(
        self, facility_id: Id, doctor_id: Id, *, with_: Iterable[AddressWith | str] = ()
    ) -> builtins.list[Address]:
        """The doctor's addresses in the facility (getAddresses)."""
        return await self._client._request(
            call(
                "getAddresses",
                parse_items(Address),
                {"facility_id": facility_id, "doctor_id": doctor_id},
                params={"with": join_with(with_)},
            )
        )

    async def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """One address (getAddress)."""
        return await self._client._request(
            call(
                "getAddress",
                parse_model(Address),
                address_path(facility_id, doctor_id, address_id),
                params={"with": join_with(with_)},
            )
        )

    async def update(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        insurance_support: InsuranceSupport | str,
        with_: Iterable[AddressWith | str] = (),
    ) -> Address:
        """Change what the address accepts (updateAddress); answers the updated address."""
        return await self._client._request(
            call(
                "updateAddress",
                parse_model(Address),
                address_path(facility_id, doctor_id, address_id),
                params={"with": join_with(with_)},
                json=given(insurance_support=insurance_support),
            )
        )

    async def remove_integration(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Remove the address from the integration (removeAddressIntegration; a feature of
        DocplannerPMS clients only, 403 for others)."""
        await self._client._request(
            call(
                "removeAddressIntegration",
                parse_none,
                address_path(facility_id, doctor_id, address_id),
            )
        )


class AsyncServices(_AsyncResource):
    """`client.services`: the dictionary of services."""

    async def list(
        self,
        *,
        with_: Iterable[ServicesWith | str] = (),
        specialization_id: Id | None = None,
    ) -> builtins.list[Service]:
        """Dictionary services, optionally of one specialization (getServices)."""
        return await self._client._request(
            call(
                "getServices",
                parse_items(Service),
                params={"with": join_with(with_), "specialization_id": specialization_id},
            )
        )


class AsyncAddressServices(_AsyncResource):
    """`client.address_services`: the services offered at one address."""

    async def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime | None = None,
        with_: Iterable[AddressServiceWith | str] = (),
    ) -> builtins.list[AddressService]:
        """The address's services (getAddressServices); `start` keeps those of that slot."""
        return await self._client._request(
            call(
                "getAddressServices",
                parse_items(AddressService),
                address_path(facility_id, doctor_id, address_id),
                params={"start": start, "with": join_with(with_)},
            )
        )

    async def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        service_id: Id,
        price: float | NotGiven | None = NOT_GIVEN,
        is_price_from: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        is_visible: bool | NotGiven = NOT_GIVEN,
        default_duration: int | NotGiven | None = NOT_GIVEN,
        allowed_patients: AllowedPatients | Mapping[str, int | None] | NotGiven | None = NOT_GIVEN,
        custom_name: str | NotGiven | None = NOT_GIVEN,
    ) -> AddressService:
        """Offer a dictionary service at the address (addAddressService)."""
        return await self._client._request(
            call(
                "addAddressService",
                parse_model(AddressService),
                address_path(facility_id, doctor_id, address_id),
                json=given(
                    service_id=str(service_id),
                    price=price,
                    is_price_from=is_price_from,
                    description=description,
                    is_visible=is_visible,
                    default_duration=default_duration,
                    allowed_patients=allowed_patients,
                    custom_name=custom_name,
                ),
            )
        )

    async def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        address_service_id: Id,
        *,
        with_: Iterable[AddressServiceWith | str] = (),
    ) -> AddressService:
        """One address service (getAddressService)."""
        return await self._client._request(
            call(
                "getAddressService",
                parse_model(AddressService),
                {
                    **address_path(facility_id, doctor_id, address_id),
                    "address_service_id": address_service_id,
                },
                params={"with": join_with(with_)},
            )
        )

    async def update(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        address_service_id: Id,
        *,
        price: float | NotGiven | None = NOT_GIVEN,
        is_price_from: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        is_visible: bool | NotGiven = NOT_GIVEN,
        default_duration: int | NotGiven | None = NOT_GIVEN,
        allowed_patients: AllowedPatients | Mapping[str, int | None] | NotGiven | None = NOT_GIVEN,
        custom_name: str | NotGiven | None = NOT_GIVEN,
    ) -> AddressService:
        """Change some fields of an address service (updateAddressService). Only the
        arguments given are sent; `None` sends null (`price=None` clears the price)."""
        return await self._client._request(
            call(
                "updateAddressService",
                parse_model(AddressService),
                {
                    **address_path(facility_id, doctor_id, address_id),
                    "address_service_id": address_service_id,
                },
                json=given(
                    price=price,
                    is_price_from=is_price_from,
                    description=description,
                    is_visible=is_visible,
                    default_duration=default_duration,
                    allowed_patients=allowed_patients,
                    custom_name=custom_name,
                ),
            )
        )

    async def delete(
        self, facility_id: Id, doctor_id: Id, address_id: Id, address_service_id: Id
    ) -> None:
        """Stop offering the service at the address (deleteAddressService)."""
        await self._client._request(
            call(
                "deleteAddressService",
                parse_none,
                {
                    **address_path(facility_id, doctor_id, address_id),
                    "address_service_id": address_service_id,
                },
            )
        )


class AsyncInsuranceProviders(_AsyncResource):
    """`client.insurance_providers`: the dictionary of insurance providers."""

    async def list(self) -> builtins.list[InsuranceProvider]:
        """Every dictionary provider (getInsuranceProviders)."""
        return await self._client._request(
            call("getInsuranceProviders", parse_items(InsuranceProvider))
        )

    async def plans(self, insurance_provider_id: Id) -> builtins.list[InsurancePlan]:
        """The plans of one provider (getInsurancePlans)."""
        return await self._client._request(
            call(
                "getInsurancePlans",
                parse_items(InsurancePlan),
                {"insurance_provider_id": insurance_provider_id},
            )
        )


def _provider_body(insurance_provider_id: Id, plan_ids: Iterable[Id] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"insurance_provider_id": str(insurance_provider_id)}
    if plan_ids is not None:
        body["insurance_plans"] = [{"insurance_plan_id": str(p)} for p in plan_ids]
    return body


class AsyncAddressInsuranceProviders(_AsyncResource):
    """`client.address_insurance_providers`: the providers accepted at an address."""

    async def list(
        self, facility_id: Id, doctor_id: Id, address_id: Id
    ) -> builtins.list[InsuranceProvider]:
        """The providers accepted at the address, with their plans
        (getAddressInsuranceProviders)."""
        return await self._client._request(
            call(
                "getAddressInsuranceProviders",
                parse_items(InsuranceProvider),
                address_path(facility_id, doctor_id, address_id),
            )
        )

    async def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        insurance_provider_id: Id,
        *,
        plan_ids: Iterable[Id] | None = None,
    ) -> None:
        """Accept a provider (and some of its plans) at the address
        (addAddressInsuranceProvider); 400 when it is already accepted."""
        await self._client._request(
            call(
                "addAddressInsuranceProvider",
                parse_none,
                address_path(facility_id, doctor_id, address_id),
                json=_provider_body(insurance_provider_id, plan_ids),
            )
        )

    async def update_or_create(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        insurance_provider_id: Id,
        *,
        plan_ids: Iterable[Id] | None = None,
    ) -> None:
        """Accept a provider with exactly these plans (updateOrCreateAddressInsuranceProvider)."""
        await self._client._request(
            call(
                "updateOrCreateAddressInsuranceProvider",
                parse_none,
                address_path(facility_id, doctor_id, address_id),
                json=_provider_body(insurance_provider_id, plan_ids),
            )
        )

    async def delete(
        self, facility_id: Id, doctor_id: Id, address_id: Id, insurance_provider_id: Id
    ) -> None:
        """Stop accepting a provider at the address (deleteAddressInsuranceProvider)."""
        await self._client._request(
            call(
                "deleteAddressInsuranceProvider",
                parse_none,
                {
                    **address_path(facility_id, doctor_id, address_id),
                    "insurance_provider_id": insurance_provider_id,
                },
            )
        )


class AsyncCalendars(_AsyncResource):
    """`client.calendars`: an address's calendar."""

    async def get(self, facility_id: Id, doctor_id: Id, address_id: Id) -> Calendar:
        """The calendar's status (getCalendar); 404 `Calendar does not exist` without one."""
        return await self._client._request(
            call(
                "getCalendar",
                parse_model(Calendar),
                address_path(facility_id, doctor_id, address_id),
            )
        )

    async def enable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Enable the calendar (enableCalendar); 409 when it already is."""
        await self._client._request(
            call("enableCalendar", parse_none, address_path(facility_id, doctor_id, address_id))
        )

    async def disable(self, facility_id: Id, doctor_id: Id, address_id: Id) -> None:
        """Disable the calendar (disableCalendar); 409 when it already is."""
        await self._client._request(
            call("disableCalendar", parse_none, address_path(facility_id, doctor_id, address_id))
        )


class AsyncBreaks(_AsyncResource):
    """`client.breaks`: time blocked in an address's calendar."""

    async def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        since: datetime,
        till: datetime,
    ) -> builtins.list[CalendarBreak]:
        """The breaks between `since` and `till` (getCalendarBreaks)."""
        return await self._client._request(
            call(
                "getCalendarBreaks",
                parse_items(CalendarBreak),
                address_path(facility_id, doctor_id, address_id),
                params={"since": since, "till": till},
            )
        )

    async def add(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        since: datetime,
        till: datetime,
        description: str | None = None,
        apply_on_coupled_addresses: bool = False,
    ) -> CalendarBreak:
        """Block `[since, till)` (addCalendarBreak); with `apply_on_coupled_addresses` the
        doctor's coupled (online/offline) addresses get the same break."""
        body = given(since=since, till=till, apply_on_coupled_addresses=apply_on_coupled_addresses)
        if description is not None:
            body["description"] = description
        return await self._client._request(
            call(
                "addCalendarBreak",
                parse_model(CalendarBreak),
                address_path(facility_id, doctor_id, address_id),
                json=body,
            )
        )

    async def get(
        self, facility_id: Id, doctor_id: Id, address_id: Id, break_id: Id
    ) -> CalendarBreak:
        """One break (getCalendarBreak); 404 `Invalid break ID` for another address's."""
        return await self._client._request(
            call(
                "getCalendarBreak",
                parse_model(CalendarBreak),
                {**address_path(facility_id, doctor_id, address_id), "break_id": break_id},
            )
        )

    async def move(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        break_id: Id,
        *,
        since: datetime,
        till: datetime,
    ) -> None:
        """Give a break new dates (moveCalendarBreak)."""
        await self._client._request(
            call(
                "moveCalendarBreak",
                parse_none,
                {**address_path(facility_id, doctor_id, address_id), "break_id": break_id},
                json=given(since=since, till=till),
            )
        )

    async def delete(self, facility_id: Id, doctor_id: Id, address_id: Id, break_id: Id) -> None:
        """Delete a break (deleteCalendarBreak)."""
        await self._client._request(
            call(
                "deleteCalendarBreak",
                parse_none,
                {**address_path(facility_id, doctor_id, address_id), "break_id": break_id},
            )
        )


class AsyncSlots(_AsyncResource):
    """`client.slots`: availability as work periods, free slots, and booking."""

    async def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[SlotsWith | str] = (),
    ) -> builtins.list[Slot]:
        """Free slot starts in `[start, end)`, at most 180 days (getSlots)."""
        return await self._client._request(
            call(
                "getSlots",
                parse_items(Slot),
                address_path(facility_id, doctor_id, address_id),
                params={"start": start, "end": end, "with": join_with(with_)},
            )
        )

    async def iter_all(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[SlotsWith | str] = (),
    ) -> AsyncIterator[Slot]:
        """Free slots of any range: getSlots answers at most 180 days (400 beyond), so a longer
        range is read in consecutive windows of 180 days."""
        extensions = builtins.list(with_)
        format_value(start), format_value(end)  # refuse naive datetimes before any arithmetic
        # In UTC: 180 wall-clock days across a DST change are 180 days and an hour.
        window_start = start.astimezone(UTC)
        while window_start < end:
            window_end = min(end, window_start + MAX_SLOTS_RANGE)
            for slot in await self.list(
                facility_id,
                doctor_id,
                address_id,
                start=window_start,
                end=window_end,
                with_=extensions,
            ):
                yield slot
            window_start = window_end

    async def replace(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        periods: Sequence[WorkPeriod | Mapping[str, Any]],
    ) -> None:
        """Publish availability (replaceSlots): every day the periods touch is replaced by
        them; a period without services clears its day."""
        await self._client._request(
            call(
                "replaceSlots",
                parse_none,
                address_path(facility_id, doctor_id, address_id),
                json={"slots": [model_body(WorkPeriod, p) for p in periods]},
            )
        )

    async def delete(self, facility_id: Id, doctor_id: Id, address_id: Id, day: date) -> None:
        """Remove the availability of one day (deleteSlots); bookings stay."""
        await self._client._request(
            call(
                "deleteSlots",
                parse_none,
                {**address_path(facility_id, doctor_id, address_id), "date": day},
            )
        )

    async def book(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        start: datetime,
        *,
        address_service_id: Id,
        duration: int,
        patient: Patient | Mapping[str, Any],
        is_returning: bool | None = None,
        is_recurring: bool | None = None,
        comment: str | None = None,
        label: str | None = None,
        insurance_provider_id: Id | None = None,
        insurance_plan_id: Id | None = None,
        retry: bool | None = None,
        safe_retry: bool = False,
    ) -> Booking:
        """Book the free slot at `start` (bookSlot).

        A POST, so not retried by default: a lost answer may hide a booking already made.
        `retry=True` retries anyway. `safe_retry=True` retries connection errors and 5xx
        only after looking the booking up (this patient's phone, this start): when it exists,
        it is the answer, so one call never books twice.
        """
        body: dict[str, Any] = {
            "address_service_id": str(address_service_id),
            "duration": duration,
            "patient": model_body(Patient, patient),
        }
        optional = {
            "is_returning": is_returning,
            "is_recurring": is_recurring,
            "comment": comment,
            "label": label,
            "insurance_provider_id": insurance_provider_id,
            "insurance_plan_id": insurance_plan_id,
        }
        body.update(
            {k: str(v) if k.endswith("_id") else v for k, v in optional.items() if v is not None}
        )

        async def made() -> Booking | None:
            page = await self._client.bookings.list(
                facility_id,
                doctor_id,
                address_id,
                start=start,
                end=start + timedelta(minutes=duration),
                with_=[BookingsWith.PATIENT],
            )
            phone = digits(body["patient"].get("phone"))
            return next(
                (
                    b
                    for b in page.items
                    if b.status == "booked"
                    and b.start_at == start
                    and b.patient is not None
                    and digits(b.patient.phone) == phone
                ),
                None,
            )

        return await self._client._request(
            call(
                "bookSlot",
                parse_model(Booking),
                {**address_path(facility_id, doctor_id, address_id), "start": start},
                json=body,
                retry=retry,
                recover=made if safe_retry else None,
            )
        )


def _booking_path(
    facility_id: Id, doctor_id: Id, address_id: Id, booking_id: Id
) -> dict[str, object]:
    return {**address_path(facility_id, doctor_id, address_id), "booking_id": booking_id}


class AsyncBookings(_AsyncResource):
    """`client.bookings`: the visits of an address."""

    async def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[BookingsWith | str] = (),
        page: int | None = None,
        limit: int | None = None,
    ) -> BookingsPage:
        """Bookings starting in `[start, end)` (getBookings). Without `page` all come in one
        answer; with it, `limit` (default 100) per page. See `iter_all` for every page."""
        return await self._client._request(
            call(
                "getBookings",
                parse_model(BookingsPage),
                address_path(facility_id, doctor_id, address_id),
                params={
                    "start": start,
                    "end": end,
                    "with": join_with(with_),
                    "page": page,
                    "limit": limit,
                },
            )
        )

    async def iter_all(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[BookingsWith | str] = (),
        page_size: int = 100,
    ) -> AsyncIterator[Booking]:
        """Every booking of the range, page after page (`page_size` per request)."""
        extensions = builtins.list(with_)
        page = 1
        while True:
            batch = await self.list(
                facility_id,
                doctor_id,
                address_id,
                start=start,
                end=end,
                with_=extensions,
                page=page,
                limit=page_size,
            )
            for booking in batch.items:
                yield booking
            if not batch.items or page >= (batch.pages or page):
                return
            page += 1

    async def get(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        with_: Iterable[BookingWith | str] = (),
    ) -> Booking:
        """One booking, with its patient and service (getBooking)."""
        return await self._client._request(
            call(
                "getBooking",
                parse_model(Booking),
                _booking_path(facility_id, doctor_id, address_id, booking_id),
                params={"with": join_with(with_)},
            )
        )

    async def cancel(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        reason: str | None = None,
    ) -> None:
        """Cancel a booking (cancelBooking); 400 when it is not booked any more."""
        await self._client._request(
            call(
                "cancelBooking",
                parse_none,
                _booking_path(facility_id, doctor_id, address_id, booking_id),
                json=None if reason is None else {"reason": reason},
            )
        )

    async def move(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        start: datetime,
        address_service_id: Id,
        duration: int | None = None,
        to_address_id: Id | None = None,
        with_: Iterable[MoveBookingWith | str] = (),
        retry: bool | None = None,
        safe_retry: bool = False,
    ) -> Booking:
        """Move a booking (moveBooking): the old one is canceled and the answer is the new
        booking, with a new id. `to_address_id` names another address of the doctor (or of
        another doctor in the facility).

        A POST: not retried unless `retry=True`, or `safe_retry=True`, which after a lost
        answer first reads the booking's `moving` data and answers the booking it moved to.
        """
        body: dict[str, Any] = given(start=start, address_service_id=str(address_service_id))
        if duration is not None:
            body["duration"] = duration
        if to_address_id is not None:
            body["address_id"] = str(to_address_id)

        async def made() -> Booking | None:
            old = await self.get(
                facility_id, doctor_id, address_id, booking_id, with_=[BookingWith.MOVING]
            )
            newest = old.moving.newest_booking_id if old.moving else None
            if newest is None or newest == old.id:
                return None
            target = address_id if to_address_id is None else to_address_id
            return await self.get(facility_id, doctor_id, target, newest)

        return await self._client._request(
            call(
                "moveBooking",
                parse_model(Booking),
                _booking_path(facility_id, doctor_id, address_id, booking_id),
                params={"with": join_with(with_)},
                json=body,
                retry=retry,
                recover=made if safe_retry else None,
            )
        )

    async def confirm(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        booking_id: Id,
        *,
        confirmed_by: ConfirmedBy | str = ConfirmedBy.ADMIN,
    ) -> None:
        """Confirm a future booking (confirmBooking); 409 when already confirmed."""
        await self._client._request(
            call(
                "confirmBooking",
                parse_none,
                _booking_path(facility_id, doctor_id, address_id, booking_id),
                json=given(confirmed_by=confirmed_by),
            )
        )

    async def mark_presence(
        self, facility_id: Id, doctor_id: Id, address_id: Id, booking_id: Id
    ) -> None:
        """The patient came (markPatientPresence); 400 for a visit in the future."""
        await self._client._request(
            call(
                "markPatientPresence",
                parse_none,
                _booking_path(facility_id, doctor_id, address_id, booking_id),
                retry=True,  # marking presence twice leaves the same state: safe to repeat
            )
        )

    async def mark_absence(
        self, facility_id: Id, doctor_id: Id, address_id: Id, booking_id: Id
    ) -> None:
        """The patient did not come (markPatientAbsence)."""
        await self._client._request(
            call(
                "markPatientAbsence",
                parse_none,
                _booking_path(facility_id, doctor_id, address_id, booking_id),
            )
        )


def _empty_queue(error: NotFound) -> bool:
    # The queue answers 404 `No notifications found` when empty; any other 404 (a server
    # without the route answers `Object not found`) is a real error.
    return error.message == EMPTY_QUEUE_MESSAGE


class AsyncNotifications(_AsyncResource):
    """`client.notifications`: the client's pull queue (behaviour.md §11.2).

    Pulling consumes: a pulled notification is never served again, so every one is handed to
    the caller, unknown event types included (`UnknownNotification`).
    """

    async def pull(self) -> Notification | None:
        """The oldest notification, or None when the queue is empty (pullNotification)."""
        try:
            return await self._client._request(
                call("pullNotification", lambda r: parse_pulled(r.json()))
            )
        except NotFound as error:
            if _empty_queue(error):
                return None
            raise

    async def pull_many(self, limit: int = 100) -> NotificationBatch:
        """Up to `limit` (1 to 100) oldest notifications and how many remain
        (pullMultipleNotification); an empty queue gives an empty batch."""
        try:
            return await self._client._request(
                call(
                    "pullMultipleNotification",
                    NotificationBatch.from_response,
                    params={"limit": limit},
                )
            )
        except NotFound as error:
            if _empty_queue(error):
                return NotificationBatch(notifications=[], remaining=0)
            raise

    async def release(self) -> None:
        """Re-queue buried push notifications (releaseNotifications): push clients only,
        once an hour (`RateLimited` with `retry_after` otherwise)."""
        await self._client._request(call("releaseNotifications", parse_none))

    async def consume(
        self,
        handler: Callable[[Notification], AsyncOutcome],
        *,
        limit: int = 100,
        idle_delay: float = 1.0,
        max_idle_delay: float = 30.0,
        stop: AsyncEvent | None = None,
        stop_when_empty: bool = False,
    ) -> int:
        """Pull batches and hand each notification to `handler`, oldest first, until `stop`
        is set (or, with `stop_when_empty`, the queue is empty). Returns how many were handled.

        An empty queue is polled again after `idle_delay` seconds, doubling up to
        `max_idle_delay` while it stays empty. `stop` is checked between batches, so a batch
        already pulled is always handed over in full. Pulled notifications are gone from the
        server: when `handler` raises, the loop ends with `HandlerFailed`, which carries the
        notification that failed and the rest of its batch (the original error is its cause).
        """
        handled = 0
        delay = idle_delay
        while stop is None or not stop.is_set():
            batch = await self.pull_many(limit)
            for index, notification in enumerate(batch.notifications):
                try:
                    await handler(notification)
                except Exception as exc:
                    raise HandlerFailed(notification, batch.notifications[index + 1 :]) from exc
                handled += 1
            if batch.remaining > 0:
                delay = idle_delay
                continue
            if stop_when_empty:
                break
            if batch.notifications:
                delay = idle_delay  # more may have arrived meanwhile: look again at once
                continue
            if await async_pause(stop, delay):
                break
            delay = min(max_idle_delay, delay * 2)
        return handled
