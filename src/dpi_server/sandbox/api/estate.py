"""`/_sandbox/estate/...` and `/_sandbox/seed`: the operator creates facilities, doctors,
addresses and dictionary entries (services/estate_admin.py), or a whole larger estate.

The public API has no such operations: on Docplanner they are the marketplace's own data.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.sandbox.bulk_seed import MAX_DOCTORS_PER_FACILITY, MAX_FACILITIES, seed_estate
from dpi_server.services.estate_admin import NewAddress as NewAddressInput
from dpi_server.services.estate_admin import NewDoctor as NewDoctorInput

router = APIRouter(tags=[SANDBOX_TAG])

Name = Field(min_length=1, max_length=120)


class CreatedId(BaseModel):
    id: int


class NewEstateFacility(BaseModel):
    locale: str = "pl"
    name: str = Field(min_length=1, max_length=255)


class NewEstateSpecialization(BaseModel):
    locale: str = "pl"
    name: str = Field(min_length=1, max_length=255)


class NewEstateService(BaseModel):
    locale: str = "pl"
    name: str = Field(min_length=1, max_length=255)
    is_diagnostic: bool = False
    specialization_ids: list[int] = []


class NewEstateInsuranceProvider(BaseModel):
    locale: str = "pl"
    name: str = Field(min_length=1, max_length=255)
    plans: list[str] = []


class NewEstateDoctor(BaseModel):
    locale: str = "pl"
    name: str = Name
    surname: str = Name
    is_commercial: bool = True
    profile_url: str | None = Field(None, max_length=500)
    specialization_ids: list[int] = []
    license_numbers: list[str] = []
    facility_ids: list[int] = Field(min_length=1, description="Facilities the doctor works at")


class NewEstateAddress(BaseModel):
    name: str | None = Field(None, max_length=255)
    city_name: str | None = Field(None, max_length=255)
    post_code: str | None = Field(None, max_length=32)
    street: str | None = Field(None, max_length=255)
    is_online_only: bool = False
    visit_payment: bool = False
    commercial_type: str = "premium"
    insurance_support: str = "private"
    extra_field_gender: bool = False
    extra_field_nin: bool = False
    extra_field_birth_date: bool = False
    payment_account: str | None = Field(None, max_length=64)


class SandboxSeedRequest(BaseModel):
    facilities: int = Field(ge=1, le=MAX_FACILITIES)
    doctors: int = Field(ge=1, le=MAX_DOCTORS_PER_FACILITY, description="Doctors per facility")
    locale: str = "pl"
    snapshot: bool = Field(True, description="Make the seeded state the one reset returns to")


class SandboxSeedResult(BaseModel):
    facilities: int
    doctors: int
    addresses: int
    address_services: int
    facility_ids: list[int]
    snapshot_taken: bool


@router.post(
    "/estate/facilities",
    operation_id="sandboxCreateFacility",
    response_model=CreatedId,
    status_code=201,
)
async def create_facility(
    body: NewEstateFacility, operator: OperatorDep, services: ServicesDep
) -> CreatedId:
    """A facility (clinic) of a locale; assign it to clients with sandboxAssignFacility."""
    return CreatedId(id=await services.estate_admin.add_facility(operator, body.locale, body.name))


@router.post(
    "/estate/doctors", operation_id="sandboxCreateDoctor", response_model=CreatedId, status_code=201
)
async def create_doctor(
    body: NewEstateDoctor, operator: OperatorDep, services: ServicesDep
) -> CreatedId:
    """A doctor connected to facilities of the same locale (404 for an unknown one), with
    specializations and license numbers."""
    doctor = NewDoctorInput(
        body.name,
        body.surname,
        is_commercial=body.is_commercial,
        profile_url=body.profile_url,
        specialization_ids=tuple(body.specialization_ids),
        license_numbers=tuple(body.license_numbers),
    )
    created = await services.estate_admin.add_doctor(
        operator, body.locale, doctor, body.facility_ids
    )
    return CreatedId(id=created)


@router.post(
    "/estate/facilities/{facility_id}/doctors/{doctor_id}/addresses",
    operation_id="sandboxCreateAddress",
    response_model=CreatedId,
    status_code=201,
)
async def create_address(
    facility_id: int,
    doctor_id: int,
    body: NewEstateAddress,
    operator: OperatorDep,
    services: ServicesDep,
) -> CreatedId:
    """An address of the doctor at one of the doctor's facilities (404 otherwise)."""
    address = NewAddressInput(**body.model_dump())
    created = await services.estate_admin.add_address(operator, facility_id, doctor_id, address)
    return CreatedId(id=created)


@router.post(
    "/estate/specializations",
    operation_id="sandboxCreateSpecialization",
    response_model=CreatedId,
    status_code=201,
)
async def create_specialization(
    body: NewEstateSpecialization, operator: OperatorDep, services: ServicesDep
) -> CreatedId:
    """A dictionary specialization of a locale."""
    created = await services.estate_admin.add_specialization(operator, body.locale, body.name)
    return CreatedId(id=created)


@router.post(
    "/estate/services",
    operation_id="sandboxCreateService",
    response_model=CreatedId,
    status_code=201,
)
async def create_service(
    body: NewEstateService, operator: OperatorDep, services: ServicesDep
) -> CreatedId:
    """A dictionary service of a locale (what address services are made from)."""
    created = await services.estate_admin.add_service(
        operator,
        body.locale,
        body.name,
        is_diagnostic=body.is_diagnostic,
        specialization_ids=body.specialization_ids,
    )
    return CreatedId(id=created)


@router.post(
    "/estate/insurance-providers",
    operation_id="sandboxCreateInsuranceProvider",
    response_model=CreatedId,
    status_code=201,
)
async def create_insurance_provider(
    body: NewEstateInsuranceProvider, operator: OperatorDep, services: ServicesDep
) -> CreatedId:
    """A dictionary insurance provider with its plans."""
    created = await services.estate_admin.add_insurance_provider(
        operator, body.locale, body.name, body.plans
    )
    return CreatedId(id=created)


@router.post("/seed", operation_id="sandboxSeed", response_model=SandboxSeedResult, status_code=201)
async def seed(
    body: SandboxSeedRequest, operator: OperatorDep, services: ServicesDep
) -> SandboxSeedResult:
    """N facilities with M doctors each (one address and two or three services per doctor);
    by default the result becomes the state `reset` returns to."""
    counts = await seed_estate(
        services, facilities=body.facilities, doctors_per_facility=body.doctors, locale=body.locale
    )
    if body.snapshot:
        await services.reset.snapshot(operator)
    return SandboxSeedResult(
        facilities=counts.facilities,
        doctors=counts.doctors,
        addresses=counts.addresses,
        address_services=counts.address_services,
        facility_ids=list(counts.facility_ids),
        snapshot_taken=body.snapshot,
    )
