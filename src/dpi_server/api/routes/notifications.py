"""Notifications: pull one, pull many, release buried push copies (behaviour.md §11,
wire.md §4). Bodies are stored rendered, so a pull joins JSON texts without re-encoding.
Their responses are documented in api/contract/registry.py, their bodies' schemas here."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from dpi_server.api.deps import ActorDep, ServicesDep
from dpi_server.api.media import SUCCESS_MEDIA_TYPE, empty
from dpi_server.domain import errors
from dpi_server.domain.notifications import PULL_LIMIT_MAX

router = APIRouter(tags=["Notifications"])
SCHEMAS_PACKAGE = "dpi_server.notification_schemas"


@router.get("/notifications", operation_id="pullNotification")
async def pull_notification(actor: ActorDep, services: ServicesDep) -> Response:
    """The oldest notification not pulled yet, consumed by this read; 404 when none."""
    pulled = await services.notifications.pull(actor, 1)
    return Response(pulled.bodies[0], media_type=SUCCESS_MEDIA_TYPE)


@router.get("/notifications/multiple", operation_id="pullMultipleNotification")
async def pull_multiple(
    actor: ActorDep,
    services: ServicesDep,
    limit: str | None = Query(default=None, description="1..100, default 1"),
) -> Response:
    """Up to `limit` of the oldest notifications and how many remain queued; 404 when none."""
    pulled = await services.notifications.pull(actor, _limit(limit))
    text = '{"notifications":[' + ",".join(pulled.bodies) + f'],"remaining":{pulled.remaining}}}'
    return Response(text, media_type=SUCCESS_MEDIA_TYPE)


@router.post("/notifications/release", operation_id="releaseNotifications", status_code=204)
async def release(actor: ActorDep, services: ServicesDep) -> Response:
    """Re-queue the push notifications that were buried: push clients only, once an hour."""
    await services.notifications.release(actor)
    return empty(204)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    try:
        return int(raw)
    except ValueError:
        raise errors.FieldErrors(
            {"limit": [f"This value should be between 1 and {PULL_LIMIT_MAX}."]}
        ) from None


def _rewrite_refs(value: Any) -> Any:
    return json.loads(json.dumps(value).replace("#/$defs/", "#/components/schemas/Notification_"))


@cache
def notification_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each notification type, by wire name (the files shipped with the
    package; the tests validate every emitted payload against them)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in resources.files(SCHEMAS_PACKAGE).iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            found[schema["properties"]["name"]["const"]] = schema
    return found


def add_notification_schemas(document: dict[str, Any]) -> None:
    """Components for every notification type (webhook bodies and pull answers). The
    schema files share their `$defs`; each definition becomes one component."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    refs = []
    for schema in sorted(notification_schemas().values(), key=lambda s: str(s["title"])):
        for key, definition in schema.get("$defs", {}).items():
            target = f"Notification_{key}"
            rewritten = _rewrite_refs(definition)
            if components.setdefault(target, rewritten) != rewritten:
                raise ValueError(f"notification schemas disagree on $defs/{key}")
        kept = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
        components[schema["title"]] = _rewrite_refs(kept)
        refs.append({"$ref": f"#/components/schemas/{schema['title']}"})
    components["Notification"] = {
        "description": "A notification: pulled, or POSTed to a push client's URL.",
        "oneOf": refs,
    }
    # What push clients receive (Docplanner's `pushNotifications` callback): one POST per
    # notification, any 2xx within the timeout accepting it.
    document.setdefault("webhooks", {})["notification"] = {
        "post": {
            "summary": "A notification pushed to the client's URL",
            "operationId": "pushNotifications",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Notification"}}
                },
            },
            "responses": {"200": {"description": "Any 2xx accepts the notification"}},
        }
    }
    components["PullMultipleNotificationsResponse"] = {
        "type": "object",
        "properties": {
            "notifications": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Notification"},
            },
            "remaining": {"type": "integer"},
        },
        "required": ["notifications", "remaining"],
    }
