"""The OpenAPI document of our API, built from the app without touching a database."""

from __future__ import annotations

from typing import Any

from dpi_server.api.app import create_app
from dpi_server.services.registry import Services


def openapi_document() -> dict[str, Any]:
    # Routes and schemas do not depend on the services, so none are needed to describe them.
    app = create_app(Services.__new__(Services))
    return app.openapi()
