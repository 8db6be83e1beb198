"""The sandbox's JSON API under `/_sandbox/`: the marketplace side (patients, doctors) and the
operator's controls, for scripts and CI. Every route needs the operator token
(`Authorization: Bearer <operator_token>` from demo-credentials.json); see
services/operator_auth.py. Routers of the parts (marketplace, operator, clock, faults,
journal) are added in `install_sandbox_api`.
"""

from __future__ import annotations

from fastapi import FastAPI

from dpi_server.domain.notifications import BookingDeniedByVendor
from dpi_server.sandbox.api import (
    clients,
    clock,
    estate,
    faults,
    journal,
    marketplace_doctor,
    marketplace_patient,
    reset,
    status,
)
from dpi_server.sandbox.api.auth import SANDBOX_PREFIX, SANDBOX_TAG
from dpi_server.sandbox.api.marketplace_scopes import vendor_refused

__all__ = ["SANDBOX_PREFIX", "SANDBOX_TAG", "install_sandbox_api"]


def install_sandbox_api(app: FastAPI) -> None:
    for module in (
        status,
        clock,
        clients,
        estate,
        reset,
        faults,
        journal,
        marketplace_patient,
        marketplace_doctor,
    ):
        app.include_router(module.router, prefix=SANDBOX_PREFIX)
    # The real-time gate's denial answers with the vendor's code (only patients are gated).
    app.add_exception_handler(BookingDeniedByVendor, vendor_refused)
