"""The one seam where exceptions become Docplanner error envelopes (behaviour.md §4)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from dpi_server.api.media import error_response
from dpi_server.domain.errors import DomainError, TooManyRequests

log = logging.getLogger("dpi.api")

_STATUS_MESSAGES = {
    400: "Invalid arguments",
    401: "Authentication credentials could not be found.",
    403: "Access denied",
    404: "Object not found",
    405: "Method Not Allowed",
    413: "Request body is too large",
    415: "Unsupported Media Type",
}


def _field_path(loc: Sequence[Any]) -> str:
    """`("body", "slots", 1, "end")` -> `slots[1].end`, the spec's key style."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header"):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def validation_field_errors(errors: Sequence[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in errors:
        if err.get("type") == "json_invalid":
            out.setdefault("body", []).append("The request body is not valid JSON.")
            continue
        key = _field_path(err.get("loc", ()))
        out.setdefault(key, []).append(str(err.get("msg", "Invalid value")))
    return out


async def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status, exc.message, exc.field_errors or None, headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "Invalid arguments", validation_field_errors(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = _STATUS_MESSAGES.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message, headers=exc.headers)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
