"""The one seam where exceptions become Docplanner error envelopes (behaviour.md §4)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from dpi_server.api.media import error_response
from dpi_server.api.middleware import _BodyTooLarge
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


_INVALID_JSON = "The request body is not valid JSON."
_UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's own detail


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
            out.setdefault("body", []).append(_INVALID_JSON)
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


def _body_too_large(exc: BaseException) -> bool:
    """Whether the body limit's signal is behind `exc`.

    FastAPI turns any exception raised while it reads a body into a 400 "There was an error
    parsing the body". A streamed body (no Content-Length) that grows past the limit raises
    the limit's signal inside that read, and must still be answered 413, like a body whose
    declared length is too large.
    """
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, _BodyTooLarge):
            return True
        cause = cause.__cause__
    return False


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _body_too_large(exc):
        return error_response(413, _STATUS_MESSAGES[413])
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # A body FastAPI could not parse at all (e.g. nested too deeply for the JSON decoder):
        # the same answer as any other malformed JSON (decisions.md "Wire format").
        return error_response(400, "Invalid arguments", {"body": [_INVALID_JSON]})
    message = _STATUS_MESSAGES.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request.app.router.routes, request) or headers.get(
            "Allow", ""
        )
    return error_response(exc.status_code, message, headers=headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(routes: Sequence[BaseRoute], request: Request) -> str:
    """Every method the path supports. Starlette's own `Allow` names only the route that
    matched the path first, but GET and PATCH of one address are two routes (RFC 9110
    §10.2.1: `Allow` lists the methods the resource supports)."""
    allowed = []
    for method in _METHODS:
        probe = {
            "type": "http",
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "method": method,
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
