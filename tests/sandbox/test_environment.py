"""Sandbox and production clients: the sandbox's patient and doctor sides never act on a
facility an active production client holds (domain/environments.py, issue #10 item 2)."""

from __future__ import annotations

import pytest

from dpi_server.domain.actors import DoctorActor, OperatorActor, PatientActor
from dpi_server.domain.environments import PRODUCTION, SANDBOX, ProductionEstate
from dpi_server.domain.errors import FieldErrors
from dpi_server.services.access import DoctorRef, FacilityRef
from dpi_server.services.estate_admin import NewAddress
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import DOCTOR, PATIENT, Marketplace, ref
from tests.api.support import success
from tests.conftest import Api

MARKETPLACE_SIDE = [PatientActor(), DoctorActor()]


async def production(api: Api, estate: TestEstate) -> None:
    await api.container.services.clients.set_environment(estate.client_id, PRODUCTION)


class TestTimeTravel:
    async def test_the_clock_only_goes_back_to_real_time_with_a_production_client(
        self, api: Api, estate: TestEstate
    ) -> None:
        headers = await api.operator_headers()
        await production(api, estate)

        for path, body in (
            ("/_sandbox/clock/freeze", None),
            ("/_sandbox/clock/advance", {"duration": "PT1M"}),
            ("/_sandbox/clock/set", {"at": "2030-01-01T00:00:00+00:00"}),
        ):
            refused = await api.http.post(path, json=body, headers=headers)
            assert refused.status_code == 409, (path, refused.text)
            assert "production" in refused.json()["message"]
        before = api.clock.now()
        assert (await api.http.get("/_sandbox/clock", headers=headers)).json()["mode"] == "real"
        assert (await api.http.post("/_sandbox/clock/real", headers=headers)).status_code == 200
        assert api.clock.now() == before

        await api.container.services.clients.set_environment(estate.client_id, SANDBOX)
        frozen = await api.http.post("/_sandbox/clock/freeze", headers=headers)
        assert frozen.status_code == 200, frozen.text
        await api.http.post("/_sandbox/clock/real", headers=headers)


class TestScopes:
    @pytest.mark.parametrize("actor", MARKETPLACE_SIDE, ids=["patient", "doctor"])
    async def test_a_production_facility_is_refused_at_every_level(
        self, api: Api, estate: TestEstate, actor: PatientActor | DoctorActor
    ) -> None:
        """Facility, doctor and address scopes: 403 with a message naming production."""
        access = api.container.services.access
        f, d, _a = estate.extra["address_paths"][0]
        await production(api, estate)

        for resolve in (
            access.facility(actor, FacilityRef(f)),
            access.doctor(actor, DoctorRef(f, d)),
            access.address(actor, ref(estate)),
        ):
            with pytest.raises(ProductionEstate) as refused:
                await resolve
            assert refused.value.status == 403
            assert "production" in refused.value.message

    async def test_sandbox_clients_leave_the_marketplace_side_open(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The default environment is sandbox: patients and doctors act as before."""
        details = await api.container.services.clients.details(estate.client_id)

        scope = await api.container.services.access.address(PATIENT, ref(estate))

        assert details[0].client.environment == SANDBOX
        assert scope.address.id == estate.address_ids[0]

    async def test_a_facility_shared_with_a_sandbox_client_is_still_refused(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Any active production client holding the facility is enough."""
        admin = api.container.services.clients
        live = await admin.create("live", "pl", environment=PRODUCTION)
        await admin.assign_facility(live.client.client_id, estate.facility_ids[0])

        with pytest.raises(ProductionEstate):
            await api.container.services.access.address(DOCTOR, ref(estate))

    async def test_other_facilities_stay_open(self, api: Api, estate: TestEstate) -> None:
        """Only what production clients hold is refused; another estate works."""
        await production(api, estate)
        other = await api.estate()

        scope = await api.container.services.access.address(PATIENT, ref(other))

        assert scope.facility.id == other.facility_ids[0]

    async def test_revoking_or_back_to_sandbox_opens_it_again(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The refusal follows the client's state at once (the cache is dropped)."""
        admin, access = api.container.services.clients, api.container.services.access
        await production(api, estate)
        with pytest.raises(ProductionEstate):
            await access.address(PATIENT, ref(estate))

        await admin.set_environment(estate.client_id, SANDBOX)
        await access.address(PATIENT, ref(estate))
        await production(api, estate)
        with pytest.raises(ProductionEstate):
            await access.address(PATIENT, ref(estate))
        await admin.revoke(estate.client_id)
        await access.address(PATIENT, ref(estate))

    async def test_unknown_paths_are_still_404_first(self, api: Api, estate: TestEstate) -> None:
        """Existence is checked before the environment (nothing is revealed)."""
        from dpi_server.domain.errors import ObjectNotFound

        await production(api, estate)

        with pytest.raises(ObjectNotFound):
            await api.container.services.access.facility(PATIENT, FacilityRef(10**9))

    async def test_the_integration_api_and_the_operator_are_unaffected(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The production client uses its own estate; the operator's scopes still resolve."""
        await production(api, estate)
        f = estate.facility_ids[0]

        body = success(
            await api.http.get(f"/api/v3/integration/facilities/{f}", headers=estate.headers)
        )
        scope = await api.container.services.access.address(OperatorActor(), ref(estate))

        assert body["id"] == str(f)
        assert scope.address.id == estate.address_ids[0]

    async def test_an_unknown_environment_is_400(self, api: Api, estate: TestEstate) -> None:
        with pytest.raises(FieldErrors) as refused:
            await api.container.services.clients.set_environment(estate.client_id, "staging")

        assert "environment" in refused.value.field_errors


class TestMarketplaceCalls:
    async def test_a_patient_books_on_sandbox_but_not_on_production(
        self, api: Api, estate: TestEstate
    ) -> None:
        """MarketplaceService.book through a patient scope; once the client is production
        the same call is refused before anything is booked."""
        market = Marketplace(api, estate)
        await market.open_tuesday()
        booked = await market.book("09:00")
        await production(api, estate)

        with pytest.raises(ProductionEstate):
            await market.book("10:00")
        with pytest.raises(ProductionEstate):
            await market.booking_scope(booked.booking.id)

        path = estate.address_path(0)
        listed = success(
            await api.http.get(
                f"{path}/bookings?start=2026-01-06T00:00:00%2B01:00&end=2026-01-07T00:00:00%2B01:00",
                headers=estate.headers,
            )
        )
        assert [b["id"] for b in listed["_items"]] == [str(booked.booking.id)]

    async def test_a_doctor_cannot_add_an_address_at_a_production_facility(
        self, api: Api, estate: TestEstate
    ) -> None:
        """assign_address takes a doctor scope, and a doctor's scope at a production
        facility is refused; the operator's is not."""
        await production(api, estate)
        f, d, _a = estate.extra["address_paths"][0]
        access = api.container.services.access

        with pytest.raises(ProductionEstate):
            await access.doctor(DOCTOR, DoctorRef(f, d))
        scope = await access.doctor(OperatorActor(), DoctorRef(f, d))
        created = await api.container.services.marketplace.assign_address(
            scope, NewAddress(name="By the operator", commercial_type="premium")
        )
        assert created.facility_id == f


class TestPlatformWideControls:
    async def test_refuse_if_production_names_the_control(self, api: Api) -> None:
        """The guard that reset uses, offered to the other platform-wide controls (time
        travel): 409 naming the control while an active production client exists."""
        from dpi_server.domain.environments import ProductionClientsActive

        admin = api.container.services.clients
        live = await admin.create("live for the guard", "pl", environment=PRODUCTION)

        with pytest.raises(ProductionClientsActive) as refused:
            await admin.refuse_if_production("Time travel", "move production bookings in time")

        assert refused.value.status == 409
        assert refused.value.message.startswith(
            "Time travel is refused while an active production API client exists: it would "
            "move production bookings in time."
        )
        await admin.revoke(live.client.client_id)
