"""The operator token check every `/_sandbox/` route depends on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dpi_server.api.contract.document import SANDBOX_TAG
from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.errors import DomainError
from dpi_server.services.registry import Services

SANDBOX_PREFIX = "/_sandbox"
__all__ = ["SANDBOX_PREFIX", "SANDBOX_TAG", "OperatorDep", "ServicesDep"]


class OperatorTokenRequired(DomainError):
    status = 401
    message = "An operator token is required: Authorization: Bearer <operator_token>."


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def operator(request: Request) -> OperatorActor:
    """The operator behind `Authorization: Bearer <token>`, else 401 in the envelope."""
    header = request.headers.getlist("authorization")
    if len(header) != 1:
        raise OperatorTokenRequired()
    scheme, _, token = header[0].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OperatorTokenRequired()
    actor = await services_of(request).operator_auth.verify(token.strip())
    if actor is None:
        raise OperatorTokenRequired()
    return actor


OperatorDep = Annotated[OperatorActor, Depends(operator)]
ServicesDep = Annotated[Services, Depends(services_of)]
