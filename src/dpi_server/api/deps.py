"""What routes need from a request: the services and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_principal(request: Request) -> Principal:
    principal: Principal = request.scope["state"][PRINCIPAL_STATE_KEY]
    return principal


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WITH_DESCRIPTION = (
    "Extensions: comma-separated (`with=a,b`), repeated (`with=a&with=b`) or `with[]=a`."
)
