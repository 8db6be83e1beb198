"""Request bodies that a route reads by hand, documented all the same.

A route that reads its JSON body itself (for example in a dependency that runs after the
estate check) declares it with `openapi_extra=json_body(Model)`. FastAPI then writes the
`requestBody` with a `$ref` to `Model`, and `apply_contract` adds the schema of `Model` (and of
the models it nests) to the components.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_REF = "#/components/schemas/{model}"
_MODELS: dict[str, type[BaseModel]] = {}


def json_body(
    model: type[BaseModel], *, required: bool = True, description: str | None = None
) -> dict[str, Any]:
    """The `openapi_extra` of a route whose JSON body is `model` (optional if not `required`)."""
    known = _MODELS.setdefault(model.__name__, model)
    if known is not model:
        raise ValueError(f"two request models are named {model.__name__!r}")
    body: dict[str, Any] = {
        "required": required,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
    }
    if description is not None:
        body["description"] = description
    return {"requestBody": body}


def declared_models() -> tuple[type[BaseModel], ...]:
    """The models named by `json_body` so far, in name order."""
    return tuple(_MODELS[name] for name in sorted(_MODELS))
