"""`/_sandbox/clients`: the operator's controls of API clients (services/clients.py and the
delivery settings of services/notifications.py), as `dpi client ...` offers them.

A client's secret is in the answer to its creation only; it is stored as a hash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from dpi_server.domain.environments import SANDBOX
from dpi_server.domain.errors import FieldErrors
from dpi_server.domain.notifications import DEFAULT_API_KEY_HEADER
from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.services.clients import ClientDetails
from dpi_server.services.notifications import DeliveryChange
from dpi_server.services.registry import Services

router = APIRouter(tags=[SANDBOX_TAG])

ClientId = Annotated[str, Path(max_length=80, description="The client's OAuth client_id")]


class FacilityGrant(BaseModel):
    facility_id: int
    can_edit: bool = True


class ClientRateLimits(BaseModel):
    enabled: bool
    read_limit: int
    read_window_seconds: int
    write_limit: int
    write_window_seconds: int


class ClientDelivery(BaseModel):
    mode: str
    push_url: str | None
    api_key_header: str | None = Field(description="Only when an API key is set")
    realtime_url: str | None
    optional_events: list[str]
    signed: bool
    healthy: bool | None


class ApiClientView(BaseModel):
    client_id: str
    name: str
    locale: str
    environment: str
    state: str = Field(description="active or revoked")
    created_at: str
    revoked_at: str | None
    features: list[str]
    facilities: list[FacilityGrant]
    rate_limits: ClientRateLimits
    delivery: ClientDelivery


class ApiClientList(BaseModel):
    clients: list[ApiClientView]


class NewApiClient(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    locale: str = "pl"
    environment: str = SANDBOX
    features: list[str] = []
    facilities: list[FacilityGrant] = []
    client_id: str | None = Field(None, min_length=8, max_length=80)
    client_secret: str | None = Field(None, min_length=16, max_length=200)


class CreatedApiClient(ApiClientView):
    client_secret: str = Field(description="Shown here once; only its hash is stored")


class FacilityAccess(BaseModel):
    can_edit: bool = True


class ClientLimitsChange(BaseModel):
    enabled: bool | None = None
    read_limit: int | None = None
    read_window_seconds: int | None = None
    write_limit: int | None = None
    write_window_seconds: int | None = None


class ClientDeliveryUpdate(BaseModel):
    """Fields left out keep their value."""

    mode: str | None = Field(None, pattern="^(pull|push)$", description="push needs push_url")
    push_url: str | None = None
    api_key_header: str | None = Field(None, max_length=100)
    api_key: str | None = Field(None, description="'' clears it")
    realtime_url: str | None = Field(None, description="'' turns the real-time gate off")
    enable_events: list[str] = []
    disable_events: list[str] = []
    sign: bool | None = Field(None, description="true: a new signing secret, shown once")


class ClientDeliveryResult(ApiClientView):
    signing_secret: str | None = Field(None, description="Only when sign=true made one")


class ClientFeatures(BaseModel):
    features: list[str]


class ClientEnvironment(BaseModel):
    environment: str = Field(description="sandbox or production")


def _view(details: ClientDetails) -> ApiClientView:
    c, estate, s = details.client, details.estate, details.delivery
    return ApiClientView(
        client_id=c.client_id,
        name=c.name,
        locale=c.locale,
        environment=c.environment,
        state="active" if c.usable else "revoked",
        created_at=c.created_at.isoformat(),
        revoked_at=None if c.revoked_at is None else c.revoked_at.isoformat(),
        features=sorted(c.features),
        facilities=[
            FacilityGrant(facility_id=f, can_edit=estate.may_edit(f))
            for f in sorted(estate.facility_ids)
        ],
        rate_limits=ClientRateLimits(
            enabled=c.rate_limit_enabled,
            read_limit=c.read_limit,
            read_window_seconds=c.read_window_seconds,
            write_limit=c.write_limit,
            write_window_seconds=c.write_window_seconds,
        ),
        delivery=ClientDelivery(
            mode="push" if s.is_push else "pull",
            push_url=s.push_url,
            api_key_header=(s.api_key_header or DEFAULT_API_KEY_HEADER)
            if s.api_key_value
            else None,
            realtime_url=s.realtime_url,
            optional_events=sorted(s.events),
            signed=s.signing_secret is not None,
            healthy=s.healthy,
        ),
    )


async def _one(services: Services, client_id: str) -> ApiClientView:
    return _view((await services.clients.details(client_id))[0])


@router.post(
    "/clients", operation_id="sandboxCreateClient", response_model=CreatedApiClient, status_code=201
)
async def create_client(
    body: NewApiClient, _operator: OperatorDep, services: ServicesDep
) -> CreatedApiClient:
    """Create an API client (sandbox by default) with its facilities; the secret is shown
    in this answer only."""
    created = await services.clients.create(
        body.name,
        body.locale,
        client_id=body.client_id,
        client_secret=body.client_secret,
        features=frozenset(body.features),
        environment=body.environment,
        facilities=[(g.facility_id, g.can_edit) for g in body.facilities],
    )
    view = await _one(services, created.client.client_id)
    return CreatedApiClient(**view.model_dump(), client_secret=created.client_secret)


@router.get("/clients", operation_id="sandboxListClients", response_model=ApiClientList)
async def list_clients(_operator: OperatorDep, services: ServicesDep) -> ApiClientList:
    """Every API client, revoked ones included, oldest first."""
    return ApiClientList(clients=[_view(d) for d in await services.clients.details()])


@router.get("/clients/{client_id}", operation_id="sandboxGetClient", response_model=ApiClientView)
async def get_client(
    client_id: ClientId, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """One client: environment, estate, limits, features and delivery (never its secret)."""
    return await _one(services, client_id)


@router.delete(
    "/clients/{client_id}", operation_id="sandboxRevokeClient", response_model=ApiClientView
)
async def revoke_client(
    client_id: ClientId, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """Revoke the client: its tokens stop working at once; it stays listed as revoked."""
    await services.clients.revoke(client_id)
    return await _one(services, client_id)


@router.put(
    "/clients/{client_id}/facilities/{facility_id}",
    operation_id="sandboxAssignFacility",
    response_model=ApiClientView,
)
async def assign_facility(
    client_id: ClientId,
    facility_id: int,
    body: FacilityAccess,
    _operator: OperatorDep,
    services: ServicesDep,
) -> ApiClientView:
    """Add the facility to the client's estate (or change whether it may edit calendars)."""
    await services.clients.assign_facility(client_id, facility_id, can_edit=body.can_edit)
    return await _one(services, client_id)


@router.delete(
    "/clients/{client_id}/facilities/{facility_id}",
    operation_id="sandboxUnassignFacility",
    response_model=ApiClientView,
)
async def unassign_facility(
    client_id: ClientId, facility_id: int, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """Take the facility away; its undelivered notification copies go with it."""
    await services.clients.unassign_facility(client_id, facility_id)
    return await _one(services, client_id)


@router.patch(
    "/clients/{client_id}/limits", operation_id="sandboxSetLimits", response_model=ApiClientView
)
async def set_limits(
    client_id: ClientId, body: ClientLimitsChange, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """Turn rate limiting on or off and size its windows; fields left out keep their value."""
    await services.clients.set_limits(
        client_id,
        enabled=body.enabled,
        read_limit=body.read_limit,
        read_window_seconds=body.read_window_seconds,
        write_limit=body.write_limit,
        write_window_seconds=body.write_window_seconds,
    )
    return await _one(services, client_id)


@router.put(
    "/clients/{client_id}/features", operation_id="sandboxSetFeatures", response_model=ApiClientView
)
async def set_features(
    client_id: ClientId, body: ClientFeatures, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """Exactly these per-client features (e.g. remove_address_integration)."""
    await services.clients.set_features(client_id, frozenset(body.features))
    return await _one(services, client_id)


@router.put(
    "/clients/{client_id}/environment",
    operation_id="sandboxSetEnvironment",
    response_model=ApiClientView,
)
async def set_environment(
    client_id: ClientId, body: ClientEnvironment, _operator: OperatorDep, services: ServicesDep
) -> ApiClientView:
    """sandbox or production: the sandbox's patient, doctor and reset controls never act on
    what an active production client holds."""
    await services.clients.set_environment(client_id, body.environment)
    return await _one(services, client_id)


@router.patch(
    "/clients/{client_id}/delivery",
    operation_id="sandboxSetDelivery",
    response_model=ClientDeliveryResult,
)
async def set_delivery(
    client_id: ClientId, body: ClientDeliveryUpdate, _operator: OperatorDep, services: ServicesDep
) -> ClientDeliveryResult:
    """Pull or push (URL, API-key header and value), the real-time URL, optional events and
    Standard Webhooks signing; a new signing secret is in this answer only."""
    if body.mode == "push" and not body.push_url:
        raise FieldErrors({"push_url": ["The push model needs a push_url."]})
    if body.mode == "pull" and body.push_url:
        raise FieldErrors({"push_url": ["A pull client has no push_url."]})
    change = DeliveryChange(
        push_url=body.push_url,
        pull=body.mode == "pull",
        api_key_header=body.api_key_header,
        api_key=body.api_key,
        realtime_url=body.realtime_url or None,
        no_realtime=body.realtime_url == "",
        enable_events=frozenset(body.enable_events),
        disable_events=frozenset(body.disable_events),
        sign=body.sign,
    )
    done = await services.notification_admin.configure(client_id, change)
    view = await _one(services, client_id)
    return ClientDeliveryResult(**view.model_dump(), signing_secret=done.new_signing_secret)
