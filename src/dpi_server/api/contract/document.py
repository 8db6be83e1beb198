"""Turn FastAPI's generated OpenAPI document into the API's real contract.

FastAPI knows the paths, parameters and request bodies, but not the bodies our routes render
by hand, and it documents a 422 `HTTPValidationError` that the error seam answers as 400.
`apply_contract` writes, for every operation in api/contract/registry.py: its success
(schema, or "no content"), the error envelope for each status it answers, the rate-limit and
`Location` headers, the security requirement and the `with` values; and the components
(the wire schemas of api/contract/models.py and the OAuth2 client-credentials scheme).
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from dpi_server.api.contract.models import RESPONSE_MODELS
from dpi_server.api.contract.registry import OPERATIONS, TAG_OF, TAGS, Operation, Success
from dpi_server.api.media import ERROR_MEDIA_TYPE, SUCCESS_MEDIA_TYPE

TOKEN_PATH = "/oauth/v2/token"
OAUTH_SCHEME = "oauth2"
BASIC_SCHEME = "clientBasic"
TOKEN_MEDIA_TYPE = "application/json"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_REF = "#/components/schemas/{model}"

_STATUS_TEXT = {
    400: "Bad request: the request is invalid.",
    401: (
        "No usable credentials: `Authentication credentials could not be found.` (a bare "
        "`{message}` when no token is sent), or an invalid or expired token."
    ),
    403: "Forbidden.",
    404: "Not found.",
    409: "Conflict with the current state.",
    413: "`Request body is too large`.",
    422: "Cannot be processed.",
    429: "`Too Many Requests`: the client's window is exhausted; see `Retry-After`.",
    503: (
        "`Service temporarily unavailable, try again`: the write lost a race in the database "
        "on every attempt; nothing changed, send it again after `Retry-After`."
    ),
}

SANDBOX_TAG = "Sandbox"
OPERATOR_SCHEME = "operatorToken"

_SECURITY_SCHEMES = {
    OAUTH_SCHEME: {
        "type": "oauth2",
        "description": (
            "OAuth2 client credentials: `POST /oauth/v2/token` with the client id and secret "
            "(HTTP Basic or in the body), then `Authorization: Bearer <access_token>`."
        ),
        "flows": {
            "clientCredentials": {
                "tokenUrl": TOKEN_PATH,
                "scopes": {"integration": "API integration"},
            }
        },
    },
    BASIC_SCHEME: {
        "type": "http",
        "scheme": "basic",
        "description": "The client id and secret of the token endpoint (RFC 6749 §2.3.1).",
    },
    OPERATOR_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "The sandbox's operator token (`operator_token` in demo-credentials.json). It "
            "opens `/_sandbox/` only; API access tokens are refused there."
        ),
    },
}

_RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": ("integer", "Requests allowed in the window this request counted in."),
    "X-RateLimit-Remaining": ("integer", "Requests left in that window."),
    "X-RateLimit-Used": ("integer", "Requests already made in that window."),
    "X-RateLimit-Reset": ("string", "When the window resets (ISO 8601, the locale's zone)."),
}


_NO_LIMITS = " Absent when the client's rate limiting is disabled."


def _header(kind: str, description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": kind}}


@cache
def wire_schemas() -> dict[str, Any]:
    """The JSON Schemas of the response models, by component name."""
    _, top = models_json_schema([(m, "validation") for m in RESPONSE_MODELS], ref_template=_REF)
    defs: dict[str, Any] = top["$defs"]
    return defs


def _rate_limited(headers: dict[str, Any]) -> dict[str, Any]:
    for name in _RATE_LIMIT_HEADERS:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
    return headers


def _success(operation: Operation) -> dict[str, Any]:
    success: Success = operation.success
    answer: dict[str, Any] = {"description": success.description}
    headers: dict[str, Any] = {}
    if success.location:
        headers["Location"] = _header("string", "The absolute URL of the created resource.")
    if operation.api:
        _rate_limited(headers)
    else:
        headers["Cache-Control"] = _header("string", "`no-store`: tokens are not cached.")
    if headers:
        answer["headers"] = headers
    if success.schema is not None:
        media = SUCCESS_MEDIA_TYPE if operation.api else TOKEN_MEDIA_TYPE
        answer["content"] = {media: {"schema": {"$ref": _REF.format(model=success.schema)}}}
    return answer


def _error(operation: Operation, status: int) -> dict[str, Any]:
    text = operation.errors.get(status) or _STATUS_TEXT.get(status, "Error.")
    answer: dict[str, Any] = {"description": text}
    headers: dict[str, Any] = {}
    oauth = not operation.api and status != 413
    if status in (429, 503):
        headers["Retry-After"] = _header("integer", "Seconds to wait before retrying.")
    if operation.api and status not in (401, 413):
        _rate_limited(headers)
    if status == 401:
        challenge = "`Bearer ...`." if operation.api else '`Basic realm="Service"`.'
        headers["WWW-Authenticate"] = _header("string", challenge)
    if headers:
        answer["headers"] = headers
    media, schema = (TOKEN_MEDIA_TYPE, "OAuthError") if oauth else (ERROR_MEDIA_TYPE, "Error")
    answer["content"] = {media: {"schema": {"$ref": _REF.format(model=schema)}}}
    return answer


def _document_with(op: dict[str, Any], values: tuple[str, ...]) -> None:
    """Describe the `with` parameter (adding it where the route reads it by hand)."""
    parameters: list[dict[str, Any]] = op.setdefault("parameters", [])
    found = [p for p in parameters if p.get("in") == "query" and p.get("name") == "with"]
    parameter = found[0] if found else {"name": "with", "in": "query", "required": False}
    if not found:
        parameters.append(parameter)
    listed = ", ".join(f"`{v}`" for v in values)
    parameter["description"] = (
        "Extensions, comma-separated (`with=a,b`); also repeated or `with[]=`. "
        f"Values: {listed}. Unknown values are ignored."
    )
    parameter["schema"] = {"type": "string"}


def _token_request_body() -> dict[str, Any]:
    schema = {"$ref": _REF.format(model="TokenRequest")}
    return {
        "required": True,
        "description": (
            "Form-urlencoded or multipart (also multipart with no `Content-Type`, as the "
            "official PHP SDK sends it)."
        ),
        "content": {
            "application/x-www-form-urlencoded": {"schema": schema},
            "multipart/form-data": {"schema": schema},
        },
    }


def summary_of(operation_id: str) -> str:
    """`getAddressServices` -> `Get address services`: stable whatever the handler's name."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", operation_id).lower()
    return words[:1].upper() + words[1:]


def _apply(op: dict[str, Any], operation: Operation, method: str) -> None:
    op["summary"] = summary_of(op["operationId"])
    responses = {str(operation.success.status): _success(operation)}
    statuses = operation.error_statuses()
    if operation.api and method != "get":
        statuses.append(503)  # every write retries lost races, then gives up (decisions.md)
    for status in statuses:
        responses[str(status)] = _error(operation, status)
    op["responses"] = responses
    if operation.api:
        op["security"] = [{OAUTH_SCHEME: ["integration"]}]
    else:
        op["security"] = [{BASIC_SCHEME: []}, {}]
        op.setdefault("requestBody", _token_request_body())
    if operation.extensions:
        _document_with(op, operation.extensions)


def _apply_sandbox(op: dict[str, Any]) -> None:
    """A sandbox route keeps FastAPI's JSON schemas; it gets the operator scheme and the
    error envelope of its refusals."""
    op["summary"] = summary_of(op["operationId"])
    op["security"] = [{OPERATOR_SCHEME: []}]
    responses = op.setdefault("responses", {})
    for status in (400, 401, 403, 404, 409):
        responses.setdefault(str(status), _sandbox_error(status))


def _sandbox_error(status: int) -> dict[str, Any]:
    text = (
        "No valid operator token (`Authorization: Bearer <operator_token>`)."
        if status == 401
        else _STATUS_TEXT.get(status, "Error.")
    )
    schema = {"$ref": _REF.format(model="Error")}
    return {"description": text, "content": {ERROR_MEDIA_TYPE: {"schema": schema}}}


def _strip_fastapi_validation(op: dict[str, Any]) -> None:
    responses = op.get("responses", {})
    answer = responses.get("422", {})
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]


def apply_contract(generated: dict[str, Any]) -> dict[str, Any]:
    """A copy of FastAPI's `generated` document with the real responses and security."""
    document = copy.deepcopy(generated)
    for ops in document.get("paths", {}).values():
        for method, op in ops.items():
            _strip_fastapi_validation(op)
            operation_id = op.get("operationId", "")
            operation = OPERATIONS.get(operation_id)
            if operation is not None:
                _apply(op, operation, method)
            elif SANDBOX_TAG in op.get("tags", ()):
                _apply_sandbox(op)
            if operation_id in TAG_OF:
                op["tags"] = [TAG_OF[operation_id]]
    document["tags"] = [{"name": tag} for tag in TAGS]
    document["tags"].append(
        {
            "name": SANDBOX_TAG,
            "description": (
                "dpi's own sandbox controls (not part of the Docplanner API): act as a patient "
                "or a doctor, manage clients, reset, move the clock, inject faults, read the "
                "journal. Authorised by the operator token."
            ),
        }
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for name, schema in wire_schemas().items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"component schema {name!r} is defined twice")
        schemas[name] = copy.deepcopy(schema)
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = copy.deepcopy(_SECURITY_SCHEMES)
    components["headers"] = {
        name: _header(kind, text + _NO_LIMITS) for name, (kind, text) in _RATE_LIMIT_HEADERS.items()
    }
    return document


def response_table(document: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Per operation and status: (operationId, method, path, status, what the body is).

    What the body is reads `<media type> <schema>` or `no content`.
    """
    rows: list[tuple[str, str, str, str, str]] = []
    for path, ops in document.get("paths", {}).items():
        for method, op in ops.items():
            for status, answer in op.get("responses", {}).items():
                content = answer.get("content", {})
                bodies = [
                    f"{media} {body.get('schema', {}).get('$ref', 'inline').rsplit('/', 1)[-1]}"
                    for media, body in content.items()
                ]
                what = "; ".join(bodies) if bodies else "no content"
                rows.append((op.get("operationId", ""), method.upper(), path, status, what))
    return rows
