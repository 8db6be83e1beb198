"""The sandbox's JSON API under `/_sandbox/`: the marketplace side (patients, doctors) and the
operator's controls, for scripts and CI. Every route needs the operator token
(`Authorization: Bearer <operator_token>` from demo-credentials.json); see
services/operator_auth.py. Routers of the parts (marketplace, operator, clock, faults,
journal) are added in `install_sandbox_api`.
"""

from __future__ import annotations

from fastapi import FastAPI

from dpi_server.sandbox.api import faults, journal, status
from dpi_server.sandbox.api.auth import SANDBOX_PREFIX, SANDBOX_TAG

__all__ = ["SANDBOX_PREFIX", "SANDBOX_TAG", "install_sandbox_api"]


def install_sandbox_api(app: FastAPI) -> None:
    for module in (status, faults, journal):
        app.include_router(module.router, prefix=SANDBOX_PREFIX)
