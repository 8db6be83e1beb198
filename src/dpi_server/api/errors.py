"""The one seam where exceptions become Docplanner error envelopes (behaviour.md §4)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from dpi_server.api.body import INVALID_JSON, validation_field_errors
from dpi_server.api.media import error_response
from dpi_server.api.middleware import _BodyTooLarge
from dpi_server.domain.errors import DomainError

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


_UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's own detail


async def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return error_response(exc.status, exc.message, exc.field_errors or None, headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "Invalid arguments", validation_field_errors(list(exc.errors())))


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
        return error_response(400, "Invalid arguments", {"body": [INVALID_JSON]})
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


async def _body_too_large_signal(_request: Request, _exc: Exception) -> Response:
    """A body read by `api/body.py` grew past the limit while it streamed in."""
    return error_response(413, _STATUS_MESSAGES[413])


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(_BodyTooLarge, _body_too_large_signal)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
