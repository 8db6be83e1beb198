"""Request bodies read as a dependency that runs after the path's scope is resolved.

FastAPI reads and validates declared bodies before it solves dependencies, so a foreign path
would answer a bad body's 400 before its 403. Reading the body here, inside a dependency
that depends on the scope, keeps the documented order; `documented(Model)` puts the model
back into our OpenAPI as the operation's request body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from dpi_server.domain import errors
from dpi_server.services.offload import off_loop

M = TypeVar("M", bound=BaseModel)
# Bodies larger than this are parsed in a worker thread (services/offload.py).
HEAVY_BODY_BYTES = 256 * 1024
INVALID_JSON = "The request body is not valid JSON."
# Models whose schemas our OpenAPI document must carry (see `add_request_schemas`).
_DOCUMENTED: dict[str, type[BaseModel]] = {}


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("slots", 1, "end")` -> `slots[1].end`, the spec's key style."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header"):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def validation_field_errors(problems: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in problems:
        if problem.get("type") == "json_invalid":
            out.setdefault("body", []).append(INVALID_JSON)
            continue
        key = field_path(problem.get("loc", ()))
        out.setdefault(key, []).append(str(problem.get("msg", "Invalid value")))
    return out


def parse_body(raw: bytes, model: type[M], *, optional: bool = False) -> M:
    """JSON whatever the Content-Type (the API has no other format); errors as field maps.
    An `optional` body may be left out, which means all its fields take their defaults."""
    if not raw.strip():
        if optional:
            return model()
        raise errors.FieldErrors({"body": ["Field required"]})
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise errors.FieldErrors({"body": [INVALID_JSON]}) from None
    if data is None and optional:
        return model()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.FieldErrors(validation_field_errors(list(exc.errors()))) from None


def json_body(model: type[M], after: Callable[..., Any], *, optional: bool = False) -> Any:
    """A dependency that reads `model` once the dependency `after` (a scope) has run."""

    async def read(request: Request, _scope: Any = Depends(after)) -> M:
        raw = await request.body()
        heavy = len(raw) > HEAVY_BODY_BYTES
        return await off_loop(heavy, parse_body, raw, model, optional=optional)

    read.__name__ = f"read_{model.__name__}"
    return Depends(read)


def documented(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` describing `model` as the operation's JSON request body."""
    _DOCUMENTED[model.__name__] = model
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def add_request_schemas(document: dict[str, Any]) -> None:
    """Put every documented body model (and the models it nests) into `components`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in sorted(_DOCUMENTED.items()):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for nested, nested_schema in schema.pop("$defs", {}).items():
            schemas.setdefault(nested, nested_schema)
        schemas[name] = schema
