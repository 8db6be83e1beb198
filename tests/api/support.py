"""Assertions every API test uses: status plus media type, then the JSON body."""

from __future__ import annotations

from typing import Any

import httpx

SUCCESS_TYPE = "application/vnd.docplanner+json; charset=UTF-8"
ERROR_TYPE = "application/vnd.error+docplanner+json"


def success(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a success, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == SUCCESS_TYPE
    return response.json()


def failure(response: httpx.Response, status: int) -> Any:
    """The JSON body of an error, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == ERROR_TYPE
    return response.json()


def forbidden(message: str) -> dict[str, Any]:
    """The envelope of an error without a field map."""
    return {"errors": [], "message": message}
