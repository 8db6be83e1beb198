"""Every operation of behaviour.md §7.2 through `dpi.AsyncClient`, against the real app
in-process: success answers as typed models, and the documented error paths as the
exceptions of the `DpiError` tree.

Times: the FakeClock starts Monday 2026-01-05 08:00 UTC (09:00 in Warsaw)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

import dpi
from dpi_server.bootstrap import Container, build_app
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api
from tests.sdk.conftest import place

WARSAW = ZoneInfo("Europe/Warsaw")
TUE = date(2026, 1, 6)
PATIENT = dpi.Patient(name="Jan", surname="Kowalski", phone="+48500100200")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)


def sdk_for(container: Container, estate: TestEstate) -> dpi.AsyncClient:
    return dpi.AsyncClient(
        estate.client_id,
        estate.client_secret,
        base_url="https://testserver/api/v3/integration",
        transport=httpx.ASGITransport(app=build_app(container)),
    )


async def open_tuesday(client: dpi.AsyncClient, estate: TestEstate, index: int = 0) -> None:
    """Tuesday 10:00-13:00 with the address's 30-minute service."""
    p = place(estate, index)
    service = str(estate.address_service_ids[index * 2])
    await client.slots.replace(
        *p.ids,
        [
            dpi.WorkPeriod(
                start=at(TUE, 10),
                end=at(TUE, 13),
                address_services=[dpi.PeriodService(address_service_id=service, duration=30)],
            )
        ],
    )


async def book(
    client: dpi.AsyncClient, estate: TestEstate, start: datetime, index: int = 0
) -> dpi.Booking:
    p = place(estate, index)
    return await client.slots.book(
        *p.ids,
        start,
        address_service_id=estate.address_service_ids[index * 2],
        duration=30,
        patient=PATIENT,
        comment="via the SDK",
    )


class TestDirectory:
    async def test_facilities_list_and_get(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """getFacilities lists the estate; getFacility embeds doctors with `facility.doctors`
        (§7.2 #1-2, §5)."""
        listed = await client.facilities.list()
        one = await client.facilities.get(estate.facility_ids[0], with_=[dpi.FacilityWith.DOCTORS])

        assert sorted(f.id for f in listed) == sorted(str(i) for i in estate.facility_ids)
        assert one.doctors is not None
        assert {d.id for d in one.doctors} == {str(estate.doctor_ids[0]), str(estate.doctor_ids[1])}

    async def test_unknown_and_foreign_facilities(self, api: Api, client: dpi.AsyncClient) -> None:
        """An unknown id raises NotFound `Object not found`; another client's facility raises
        Forbidden with the spec's message (§18 rule 2)."""
        other = await api.estate()

        with pytest.raises(dpi.NotFound) as missing:
            await client.facilities.get(999_999)
        with pytest.raises(dpi.Forbidden) as foreign:
            await client.facilities.get(other.facility_ids[0])

        assert missing.value.status == 404
        assert missing.value.message == "Object not found"
        assert foreign.value.message == "You are not authorized to see this facility"
        assert foreign.value.errors == {}

    async def test_doctors(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getDoctors lists commercial doctors with their extensions; getDoctor embeds the
        addresses (§7.2 #3-4, §5)."""
        f = estate.facility_ids[0]

        doctors = await client.doctors.list(
            f, with_=[dpi.DoctorsWith.SPECIALIZATIONS, dpi.DoctorsWith.PROFILE_URL]
        )
        doctor = await client.doctors.get(
            f,
            estate.doctor_ids[0],
            with_=[dpi.DoctorWith.ADDRESSES, dpi.DoctorWith.ADDRESS_ONLINE_ONLY],
        )

        assert {d.id for d in doctors} == {str(estate.doctor_ids[0]), str(estate.doctor_ids[1])}
        assert all(d.specializations and d.profile_url for d in doctors)
        assert doctor.addresses is not None
        assert [a.is_online_only for a in doctor.addresses] == [False, True]

    async def test_addresses(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getAddresses/getAddress add the `address.*` fields; updateAddress answers the changed
        address; a bad value raises ValidationError (§7.2 #5-7)."""
        p = place(estate)

        listed = await client.addresses.list(
            p.facility_id, p.doctor_id, with_=[dpi.AddressWith.COMMERCIAL_TYPE]
        )
        updated = await client.addresses.update(
            *p.ids, insurance_support=dpi.InsuranceSupport.PRIVATE_AND_INSURANCE
        )
        read = await client.addresses.get(*p.ids, with_=[dpi.AddressWith.INSURANCE_SUPPORT])
        with pytest.raises(dpi.ValidationError) as refused:
            await client.addresses.update(*p.ids, insurance_support="everything")

        assert [a.commercial_type for a in listed] == ["premium", "premium"]
        assert listed[0].booking_extra_fields is not None
        assert updated.insurance_support == read.insurance_support == "private_and_insurance"
        assert refused.value.status == 400

    async def test_remove_integration(self, api: Api, client: dpi.AsyncClient) -> None:
        """removeAddressIntegration answers 202 for DocplannerPMS clients, 403 otherwise
        (§7.2 #8)."""
        pms = await api.estate(features=frozenset({"remove_address_integration"}))
        plain = await api.estate()

        async with sdk_for(api.container, pms) as pms_client:
            await pms_client.addresses.remove_integration(*place(pms).ids)  # 202, no body
        async with sdk_for(api.container, plain) as plain_client:
            with pytest.raises(dpi.Forbidden) as refused:
                await plain_client.addresses.remove_integration(*place(plain).ids)

        assert refused.value.message == "You are not authorized to use this feature"


class TestServices:
    async def test_dictionary(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getServices filters by `services.only_diagnostics` and `specialization_id`
        (§7.2 #9)."""
        everything = await client.services.list()
        diagnostics = await client.services.list(with_=[dpi.ServicesWith.ONLY_DIAGNOSTICS])

        ids = {s.id for s in everything}
        assert {str(i) for i in estate.service_ids} <= ids
        assert str(estate.service_ids[1]) in {s.id for s in diagnostics}
        assert str(estate.service_ids[0]) not in {s.id for s in diagnostics}

    async def test_address_service_lifecycle(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """add, get, update (only the given fields; None sends null), delete, and the 409 of a
        duplicate and the 404 after deletion (§7.2 #10-14, STYLE.md §9)."""
        p = place(estate)

        added = await client.address_services.add(
            *p.ids, service_id=estate.service_ids[2], price=99.5, description="First visit"
        )
        with pytest.raises(dpi.Conflict):
            await client.address_services.add(*p.ids, service_id=estate.service_ids[2])
        changed = await client.address_services.update(*p.ids, added.id, price=None)
        named = await client.address_services.update(*p.ids, added.id, custom_name="Intro")
        read = await client.address_services.get(
            *p.ids, added.id, with_=[dpi.AddressServiceWith.CUSTOM_NAME]
        )
        listed = await client.address_services.list(*p.ids)
        await client.address_services.delete(*p.ids, added.id)
        with pytest.raises(dpi.NotFound):
            await client.address_services.get(*p.ids, added.id)

        assert added.price == 99
        assert changed.price is None
        assert changed.description == named.description == "First visit"
        assert read.custom_name == "Intro"
        assert added.id in {s.id for s in listed}

    async def test_bad_price_is_a_validation_error(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """A negative price raises ValidationError with the spec's message (§4 catalogue)."""
        p = place(estate)

        with pytest.raises(dpi.ValidationError) as refused:
            await client.address_services.update(*p.ids, estate.address_service_ids[0], price=-1)

        assert refused.value.message.startswith("Invalid price value for service")


class TestInsurance:
    async def test_dictionary_and_address_providers(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """Providers and plans; POST links a provider with plans, a second POST is 400, PUT
        sets the plans, DELETE unlinks and a second DELETE is 400 (§7.2 #15-20)."""
        p = place(estate)
        provider = estate.provider_ids[0]
        plans = estate.plan_ids[provider]

        providers = await client.insurance_providers.list()
        provider_plans = await client.insurance_providers.plans(provider)
        await client.address_insurance_providers.add(*p.ids, provider, plan_ids=plans[:1])
        with pytest.raises(dpi.ValidationError):
            await client.address_insurance_providers.add(*p.ids, provider)
        await client.address_insurance_providers.update_or_create(*p.ids, provider, plan_ids=plans)
        linked = await client.address_insurance_providers.list(*p.ids)
        await client.address_insurance_providers.delete(*p.ids, provider)
        with pytest.raises(dpi.ValidationError) as again:
            await client.address_insurance_providers.delete(*p.ids, provider)

        assert str(provider) in {x.insurance_provider_id for x in providers}
        assert [x.insurance_plan_id for x in provider_plans] == [str(i) for i in plans]
        assert linked[0].insurance_plans is not None
        assert {x.insurance_plan_id for x in linked[0].insurance_plans} == {str(i) for i in plans}
        assert (
            again.value.message
            == "Insurance provider with given ID is not assigned to this address."
        )


class TestCalendars:
    async def test_enable_disable(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getCalendar is 404 before a calendar exists; enable/disable answer no body and 409
        when repeated (§7.2 #21-23, §8.1)."""
        p = place(estate)

        with pytest.raises(dpi.NotFound) as missing:
            await client.calendars.get(*p.ids)
        await client.calendars.enable(*p.ids)
        with pytest.raises(dpi.Conflict):
            await client.calendars.enable(*p.ids)
        enabled = await client.calendars.get(*p.ids)
        await client.calendars.disable(*p.ids)
        disabled = await client.calendars.get(*p.ids)

        assert missing.value.message == "Calendar does not exist"
        assert (enabled.status, disabled.status) == ("enabled", "disabled")

    async def test_not_commercial(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """Enabling a basic address raises the documented 422 as ValidationError (§8.1)."""
        with pytest.raises(dpi.ValidationError) as refused:
            await client.calendars.enable(*place(estate, 4).ids)

        assert refused.value.status == 422


class TestBreaks:
    async def test_lifecycle(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """add answers the break, list/get read it, move changes it (422 for the same range),
        delete removes it (§7.2 #24-28, §8.4)."""
        p = place(estate)
        since, till = at(TUE, 12), at(TUE, 13)

        created = await client.breaks.add(*p.ids, since=since, till=till, description="Lunch")
        listed = await client.breaks.list(*p.ids, since=at(TUE, 0), till=at(TUE, 23))
        await client.breaks.move(*p.ids, created.id, since=since, till=at(TUE, 14))
        with pytest.raises(dpi.ValidationError) as same:
            await client.breaks.move(*p.ids, created.id, since=since, till=at(TUE, 14))
        moved = await client.breaks.get(*p.ids, created.id)
        await client.breaks.delete(*p.ids, created.id)
        with pytest.raises(dpi.NotFound) as gone:
            await client.breaks.get(*p.ids, created.id)

        assert created.since == since
        assert created.since.utcoffset() == timedelta(hours=1)
        assert [b.id for b in listed] == [created.id]
        assert moved.till == at(TUE, 14)
        assert same.value.message == "Same Date Range"
        assert gone.value.message == "Invalid break ID"


class TestSlots:
    async def test_publish_read_delete(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """replaceSlots publishes periods cut on the service duration; getSlots lists aware
        starts with their services; deleteSlots clears the day (§7.2 #29-32, §8.2-8.3)."""
        p = place(estate)
        await open_tuesday(client, estate)

        slots = await client.slots.list(
            *p.ids, start=at(TUE, 0), end=at(TUE, 23), with_=[dpi.SlotsWith.SERVICES]
        )
        await client.slots.delete(*p.ids, TUE)
        after = await client.slots.list(*p.ids, start=at(TUE, 0), end=at(TUE, 23))

        assert [s.start for s in slots] == [
            at(TUE, 10) + timedelta(minutes=30 * i) for i in range(6)
        ]
        assert slots[0].address_services is not None
        assert slots[0].address_services[0].duration == 30
        assert after == []

    async def test_iter_all_reads_past_the_180_day_limit(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """`slots.iter_all` splits a 200-day range into windows getSlots accepts (§8.3)."""
        p = place(estate)
        await open_tuesday(client, estate)
        start = at(TUE, 0) - timedelta(days=100)

        slots = [
            s
            async for s in client.slots.iter_all(
                *p.ids, start=start, end=start + timedelta(days=200)
            )
        ]

        assert [s.start for s in slots] == [
            at(TUE, 10) + timedelta(minutes=30 * i) for i in range(6)
        ]

    async def test_validation_errors_carry_the_field_map(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """A period past 12 weeks is 400 `Invalid arguments` with `errors["slots[0].end"]`;
        a range over 180 days is 400 (§8.2, §8.3)."""
        p = place(estate)
        far = at(TUE, 10) + timedelta(weeks=20)
        period = {
            "start": far,
            "end": far + timedelta(hours=1),
            "address_services": [
                {"address_service_id": str(estate.address_service_ids[0]), "duration": 30}
            ],
        }

        with pytest.raises(dpi.ValidationError) as too_far:
            await client.slots.replace(*p.ids, [period])
        with pytest.raises(dpi.ValidationError) as too_long:
            await client.slots.list(*p.ids, start=at(TUE, 0), end=at(TUE, 0) + timedelta(days=200))

        assert too_far.value.message == "Invalid arguments"
        assert list(too_far.value.errors) == ["slots[0].end"]
        assert too_long.value.message == "Date range must not exceed 180 days"

    async def test_book_and_its_404s(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """bookSlot answers the Booking (booked by `integration`); a start that is no slot
        raises NotFound with the spec's message (§8.5)."""
        await open_tuesday(client, estate)

        booked = await book(client, estate, at(TUE, 10))
        with pytest.raises(dpi.NotFound) as taken:
            await book(client, estate, at(TUE, 10))

        assert (booked.status, booked.booked_by, booked.duration) == ("booked", "integration", 30)
        assert booked.start_at == at(TUE, 10)
        assert booked.end_at == at(TUE, 10, 30)
        assert taken.value.message == (
            "Unable to perform booking. Requested target slot (2026-01-06T10:00:00+01:00) not found"
        )

    async def test_naive_datetimes_are_refused_before_sending(
        self, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """A naive datetime raises ValueError before anything is sent: Docplanner needs a zone
        on every date-time (§3)."""
        naive = datetime(2026, 1, 6, 10)  # noqa: DTZ001 - the point of the test

        with pytest.raises(ValueError, match="timezone"):
            dpi.WorkPeriod(start=naive, end=naive + timedelta(hours=1))
        with pytest.raises(ValueError, match="naive datetime"):
            await client.slots.list(*place(estate).ids, start=naive, end=at(TUE, 23))


class TestBookings:
    async def test_list_page_and_iterate(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getBookings without `page` answers everything, with `page` one page and its totals;
        `iter_all` walks every page (§3 Pagination, §7.2 #33)."""
        p = place(estate)
        await open_tuesday(client, estate)
        for hour, minute in ((10, 0), (10, 30), (11, 0)):
            await book(client, estate, at(TUE, hour, minute))

        everything = await client.bookings.list(*p.ids, start=at(TUE, 0), end=at(TUE, 23))
        first = await client.bookings.list(
            *p.ids,
            start=at(TUE, 0),
            end=at(TUE, 23),
            page=1,
            limit=2,
            with_=[dpi.BookingsWith.PATIENT],
        )
        walked = [
            b
            async for b in client.bookings.iter_all(
                *p.ids, start=at(TUE, 0), end=at(TUE, 23), page_size=2
            )
        ]

        assert len(everything.items) == 3
        assert everything.page is None
        assert (first.page, first.limit, first.pages, first.total) == (1, 2, 2, 3)
        assert first.items[0].patient is not None
        assert first.items[0].patient.name == "Jan"
        assert [b.id for b in walked] == [b.id for b in everything.items]

    async def test_get_move_cancel(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """getBooking carries patient and service; moveBooking answers the new booking (new
        id, `booking.moving` linking both); a second move is 409; cancel twice is 400
        (§8.6)."""
        p = place(estate)
        await open_tuesday(client, estate)
        original = await book(client, estate, at(TUE, 10))

        moved = await client.bookings.move(
            *p.ids,
            original.id,
            start=at(TUE, 11),
            address_service_id=estate.address_service_ids[0],
            duration=30,
        )
        with pytest.raises(dpi.Conflict) as again:
            await client.bookings.move(
                *p.ids,
                original.id,
                start=at(TUE, 12),
                address_service_id=estate.address_service_ids[0],
            )
        read = await client.bookings.get(*p.ids, moved.id, with_=[dpi.BookingWith.MOVING])
        await client.bookings.cancel(*p.ids, moved.id, reason="Patient called")
        with pytest.raises(dpi.ValidationError) as not_booked:
            await client.bookings.cancel(*p.ids, moved.id)
        canceled = await client.bookings.get(*p.ids, moved.id)

        assert moved.id != original.id
        assert moved.start_at == at(TUE, 11)
        assert again.value.message == "The visit has already been canceled or moved"
        assert read.patient is not None
        assert read.address_service is not None
        assert read.moving == dpi.BookingMoving(
            origin_booking_id=original.id, newest_booking_id=moved.id
        )
        assert not_booked.value.status == 400
        assert (canceled.status, canceled.canceled_by) == ("canceled", "integration")

    async def test_confirm(self, client: dpi.AsyncClient, estate: TestEstate) -> None:
        """confirmBooking answers no body, a second confirmation is 409, and
        `booking.confirmation` shows it (§8.6)."""
        p = place(estate)
        await open_tuesday(client, estate)
        booked = await book(client, estate, at(TUE, 10))

        await client.bookings.confirm(*p.ids, booked.id, confirmed_by=dpi.ConfirmedBy.USER)
        with pytest.raises(dpi.Conflict) as again:
            await client.bookings.confirm(*p.ids, booked.id)
        page = await client.bookings.list(
            *p.ids, start=at(TUE, 0), end=at(TUE, 23), with_=[dpi.BookingsWith.CONFIRMATION]
        )

        assert again.value.message == "Visit has already been confirmed"
        assert page.items[0].confirmed is True

    async def test_presence_and_opinion(
        self, clock: FakeClock, client: dpi.AsyncClient, estate: TestEstate
    ) -> None:
        """Presence is 400 for a future visit and 204 once it started; an opinion request for
        the patient's phone succeeds once, then 409; without a visit it is 403 (§8.6, §10)."""
        p = place(estate)
        await open_tuesday(client, estate)
        booked = await book(client, estate, at(TUE, 10))
        with pytest.raises(dpi.Forbidden) as no_visit:
            await client.doctors.request_opinion(
                p.facility_id, p.doctor_id, phone="+48 600 000 000"
            )
        with pytest.raises(dpi.ValidationError) as future:
            await client.bookings.mark_presence(*p.ids, booked.id)

        clock.set(at(TUE, 11))
        await client.bookings.mark_presence(*p.ids, booked.id)
        await client.bookings.mark_absence(*p.ids, booked.id)
        await client.doctors.request_opinion(p.facility_id, p.doctor_id, phone=PATIENT.phone)
        with pytest.raises(dpi.Conflict) as twice:
            await client.doctors.request_opinion(p.facility_id, p.doctor_id, phone=PATIENT.phone)
        page = await client.bookings.list(
            *p.ids, start=at(TUE, 0), end=at(TUE, 23), with_=[dpi.BookingsWith.PRESENCE]
        )

        assert no_visit.value.message == "Visit not found"
        assert future.value.message == "Visit is in the future"
        assert twice.value.message == "Opinion already exists"
        assert page.items[0].presence == "absent"


class TestAuthAndLimits:
    async def test_explicit_token(self, client: dpi.AsyncClient) -> None:
        """getAccessToken answers a 40-hex bearer token with its lifetime (§2)."""
        token = await client.get_access_token()

        assert len(token.access_token) == 40
        assert (token.token_type, token.expires_in, token.scope) == ("bearer", 86400, None)
        assert token.access_token not in repr(token)

    async def test_wrong_secret(self, container: Container, estate: TestEstate) -> None:
        """Refused client credentials raise AuthenticationError with the RFC 6749 code, and
        neither the secret nor its Basic header shows in the error (§2, decisions.md)."""
        wrong = TestEstate(**{**estate.__dict__, "client_secret": "not-the-secret"})

        async with sdk_for(container, wrong) as bad:
            with pytest.raises(dpi.AuthenticationError) as refused:
                await bad.facilities.list()

        assert refused.value.status == 401
        assert refused.value.oauth_error == "invalid_client"
        assert "not-the-secret" not in f"{refused.value} {refused.value!r}"

    async def test_rate_limit_state_is_readable(self, api: Api) -> None:
        """With limiting on, the last answer's X-RateLimit-* headers are `client.rate_limit`
        (§6); a 429 raises RateLimited with `retry_after` and `reset`."""
        estate = await api.estate(rate_limited=True)
        await api.container.services.clients.set_limits(
            estate.client_id, enabled=True, write_limit=1
        )
        p = place(estate)

        async with sdk_for(api.container, estate) as limited:
            await limited.facilities.list()
            read_state = limited.rate_limit
            await limited.calendars.enable(*p.ids)
            with pytest.raises(dpi.RateLimited) as refused:
                await limited.calendars.disable(*p.ids)

        assert read_state is not None
        assert (read_state.limit, read_state.used) == (8000, 1)
        assert read_state.reset is not None
        assert read_state.reset.tzinfo is not None
        assert refused.value.retry_after is not None
        assert refused.value.retry_after > 0
        assert refused.value.reset is not None
        assert refused.value.rate_limit is not None
        assert refused.value.rate_limit.remaining == 0
