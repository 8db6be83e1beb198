"""Sandbox and production API clients (behaviour.md §14: the credentials decide which
environment a caller reaches).

Every API client is `sandbox` (the default) or `production`. The sandbox's own controls (the
patient and doctor sides, reset, time travel) exist to exercise an integration; they never
act on what a production client holds, so a production estate changes only through the
integration API and the operator's explicit commands (docs/decisions.md "Environments").
"""

from __future__ import annotations

from dpi_server.domain.errors import Conflict, FieldErrors, Forbidden

SANDBOX = "sandbox"
PRODUCTION = "production"
ENVIRONMENTS = (SANDBOX, PRODUCTION)


def check_environment(value: str) -> str:
    """`value` when it names an environment, else 400 keyed `environment`."""
    if value not in ENVIRONMENTS:
        raise FieldErrors({"environment": [f"One of {', '.join(ENVIRONMENTS)}."]})
    return value


class ProductionEstate(Forbidden):
    """A patient or doctor control of the sandbox aimed at a production client's facility."""

    message = (
        "This facility is held by a production API client: the sandbox's patient and doctor "
        "controls do not act on production estates."
    )


class ProductionClientsActive(Conflict):
    """A sandbox control that acts on the whole platform (reset, time travel) while an
    active production client exists."""

    def __init__(self, control: str = "Reset", effect: str = "erase production data") -> None:
        super().__init__(
            f"{control} is refused while an active production API client exists: it would "
            f"{effect}. Revoke the production clients (or set them to sandbox) first."
        )
