"""What routes need from a request: the services and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services

# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, two thread hand-offs per dependency per request for what is a dict lookup.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_principal(request: Request) -> Principal:
    principal: Principal = request.scope["state"][PRINCIPAL_STATE_KEY]
    return principal


async def address_ids(facility_id: str, doctor_id: str, address_id: str) -> tuple[str, str, str]:
    """The `/facilities/{f}/doctors/{d}/addresses/{a}` ids, checked later by the use case."""
    return facility_id, doctor_id, address_id


ServicesDep = Annotated[Services, Depends(get_services)]
AddressPathDep = Annotated[tuple[str, str, str], Depends(address_ids)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WITH_DESCRIPTION = (
    "Extensions: comma-separated (`with=a,b`), repeated (`with=a&with=b`) or `with[]=a`."
)
