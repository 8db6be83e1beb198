"""`dpi postman`: a Postman collection (v2.1) of the API, made from our OpenAPI document.

Like Docplanner's official collection it has one folder per resource, a `baseUrl` variable
and OAuth2 client-credentials auth at the collection level (Postman fetches and renews the
token). An environment file points it at the seeded server: `scripts/run`'s defaults and the
demo estate's ids; `--credentials .dpi/demo-credentials.json` fills in the client id and
secret (leave it out for files that are committed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
API_PREFIX = "/api/v3/integration"
SUCCESS_TYPE = "application/vnd.docplanner+json; charset=UTF-8"

# Folders in the order of behaviour.md §7.2, named as the spec's tags, chosen by the last
# resource segment of the path (the official collection groups the same way).
FOLDERS = {
    "token": "Authorization",
    "facilities": "Facilities",
    "doctors": "Doctors",
    "addresses": "Addresses",
    "integration": "Addresses",
    "services": "Services",
    "insurance-providers": "Insurances",
    "plans": "Insurances",
    "calendar": "Calendars",
    "enable": "Calendars",
    "disable": "Calendars",
    "breaks": "Calendar Breaks",
    "slots": "Slots",
    "book": "Slots",
    "bookings": "Bookings",
    "move": "Bookings",
    "confirm": "Bookings",
    "opinion-request": "Bookings",
    "presence": "Patient Presence",
    "patient": "Patient Presence",
    "notifications": "API Notification Callbacks",
    "multiple": "API Notification Callbacks",
    "release": "API Notification Callbacks",
}
FOLDER_ORDER = list(dict.fromkeys(FOLDERS.values()))

# Path parameters become environment variables holding the seeded estate's ids
# (README "Quick start": address 1 of doctor 1 in facility 1, address service 1).
PATH_VARIABLES = {
    "facility_id": ("facilityId", "1"),
    "doctor_id": ("doctorId", "1"),
    "address_id": ("addressId", "1"),
    "address_service_id": ("addressServiceId", "1"),
    "insurance_provider_id": ("insuranceProviderId", "1"),
    "break_id": ("breakId", "1"),
    "booking_id": ("bookingId", "1"),
    "start": ("slotStart", "2026-12-01T09:00:00+01:00"),
    "date": ("slotDate", "2026-12-01"),
}
QUERY_EXAMPLES = {
    "start": "{{rangeStart}}",
    "end": "{{rangeEnd}}",
    "since": "{{rangeStart}}",
    "till": "{{rangeEnd}}",
    "limit": "100",
    "page": "1",
}


def _variable(name: str) -> str:
    """A Postman variable reference, `{{name}}`."""
    return "{{" + name + "}}"


def _path_variable(name: str) -> str:
    """The environment variable of a path parameter (`booking_id` → `bookingId`)."""
    if name in PATH_VARIABLES:
        return PATH_VARIABLES[name][0]
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _folder(path: str, op: dict[str, Any]) -> str:
    if path.startswith("/_sandbox/"):
        return "Sandbox"
    segments = [s for s in path.split("/") if s and not s.startswith("{")]
    # A route this table does not know yet goes to the folder of its first OpenAPI tag.
    return FOLDERS.get(segments[-1]) or (op.get("tags") or ["Other"])[0]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    for choice in ("anyOf", "oneOf"):
        if choice in schema:
            options = [s for s in schema[choice] if s.get("type") != "null"]
            return _resolve(document, options[0]) if options else {}
    return schema


def _example(document: dict[str, Any], schema: dict[str, Any], name: str = "") -> Any:
    """A readable sample body from a schema: required fields only, ids as "1"."""
    schema = _resolve(document, schema)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {
            key: _example(document, value, key)
            for key, value in schema.get("properties", {}).items()
            if key in required
        }
    if kind == "array":
        return [_example(document, schema.get("items", {}), name)]
    if kind == "integer":
        return 30 if "duration" in name else 1
    if kind == "boolean":
        return False
    if kind == "number":
        return 100
    if name in ("start", "since"):
        return "{{slotStart}}"
    if name in ("end", "till"):
        return "{{slotEnd}}"
    return "1" if name.endswith("_id") else name or "string"


def _request(
    document: dict[str, Any], method: str, path: str, op: dict[str, Any]
) -> dict[str, Any]:
    token = path == "/oauth/v2/token"
    sandbox = path.startswith("/_sandbox/")
    relative = path.removeprefix(API_PREFIX)
    host = "{{siteUrl}}" if token or sandbox else "{{baseUrl}}"
    parts = [
        f":{segment[1:-1]}" if segment.startswith("{") else segment
        for segment in relative.strip("/").split("/")
    ]
    url: dict[str, Any] = {
        "raw": host + "/" + "/".join(parts),
        "host": [host],
        "path": parts,
    }
    variables = [
        {"key": p["name"], "value": _variable(_path_variable(p["name"]))}
        for p in op.get("parameters", [])
        if p["in"] == "path"
    ]
    if variables:
        url["variable"] = variables
    query = [
        {
            "key": p["name"],
            "value": QUERY_EXAMPLES.get(p["name"], ""),
            "description": p.get("description", ""),
            "disabled": p["name"] not in ("start", "end", "since", "till"),
        }
        for p in op.get("parameters", [])
        if p["in"] == "query"
    ]
    if query:
        url["query"] = query
        url["raw"] += "?" + "&".join(f"{q['key']}={q['value']}" for q in query if not q["disabled"])
        url["raw"] = url["raw"].rstrip("?")
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": SUCCESS_TYPE}],
        "url": url,
        "description": op.get("description", ""),
    }
    if sandbox:
        # dpi's own controls take the operator token, not the collection's OAuth2 token.
        request["header"] = [{"key": "Accept", "value": "application/json"}]
        request["auth"] = {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{operatorToken}}", "type": "string"}],
        }
    if token:
        request["auth"] = {"type": "noauth"}
        request["body"] = {
            "mode": "urlencoded",
            "urlencoded": [
                {"key": "grant_type", "value": "client_credentials"},
                {"key": "scope", "value": "integration"},
                {"key": "client_id", "value": "{{clientId}}"},
                {"key": "client_secret", "value": "{{clientSecret}}"},
            ],
        }
    elif "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(_example(document, schema), indent=2),
            "options": {"raw": {"language": "json"}},
        }
    return request


def collection(document: dict[str, Any]) -> dict[str, Any]:
    """The Postman collection of an OpenAPI document (deterministic: same input, same file)."""
    folders: dict[str, list[dict[str, Any]]] = {name: [] for name in FOLDER_ORDER}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            folders.setdefault(_folder(path, op), []).append(
                {"name": op["operationId"], "request": _request(document, method, path, op)}
            )
    auth = {
        "type": "oauth2",
        "oauth2": [
            {"key": "grant_type", "value": "client_credentials", "type": "string"},
            {"key": "accessTokenUrl", "value": "{{tokenUrl}}", "type": "string"},
            {"key": "clientId", "value": "{{clientId}}", "type": "string"},
            {"key": "clientSecret", "value": "{{clientSecret}}", "type": "string"},
            {"key": "scope", "value": "integration", "type": "string"},
            {"key": "client_authentication", "value": "header", "type": "string"},
            {"key": "addTokenTo", "value": "header", "type": "string"},
            {"key": "tokenName", "value": "dpi", "type": "string"},
        ],
    }
    return {
        "info": {
            "name": document["info"]["title"],
            "description": "Generated by `dpi postman` from dpi's OpenAPI document.",
            "schema": SCHEMA,
        },
        "auth": auth,
        "variable": [
            {"key": "domain", "value": "znanylekarz.pl"},
            {"key": "siteUrl", "value": "https://www.{{domain}}"},
            {"key": "baseUrl", "value": "{{siteUrl}}/api/v3/integration"},
            {"key": "tokenUrl", "value": "{{siteUrl}}/oauth/v2/token"},
        ],
        "item": [{"name": name, "item": items} for name, items in folders.items() if items],
    }


def environment(credentials: dict[str, Any] | None = None) -> dict[str, Any]:
    """An environment for the seeded server of `scripts/run` (`https://127.0.0.1:8443`)."""
    site = "https://127.0.0.1:8443"
    if credentials and credentials.get("token_url"):
        site = str(credentials["token_url"]).removesuffix("/oauth/v2/token")
    values = [
        ("siteUrl", site, "default"),
        ("baseUrl", f"{site}{API_PREFIX}", "default"),
        ("tokenUrl", f"{site}/oauth/v2/token", "default"),
        ("clientId", (credentials or {}).get("client_id", ""), "default"),
        ("clientSecret", (credentials or {}).get("client_secret", ""), "secret"),
        ("operatorToken", (credentials or {}).get("operator_token", ""), "secret"),
        ("rangeStart", "2026-12-01T00:00:00+01:00", "default"),
        ("rangeEnd", "2026-12-02T00:00:00+01:00", "default"),
        ("slotEnd", "2026-12-01T12:00:00+01:00", "default"),
        *((name, value, "default") for name, value in PATH_VARIABLES.values()),
    ]
    return {
        "name": "dpi (seeded demo server)",
        "values": [
            {"key": key, "value": value, "type": kind, "enabled": True}
            for key, value, kind in values
        ],
        "_postman_variable_scope": "environment",
    }


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def postman(
    output: Path = typer.Option(
        Path("docs/dpi.postman_collection.json"), "--output", "-o", help="Collection file"
    ),
    environment_file: Path | None = typer.Option(
        None,
        "--environment",
        "-e",
        help="Environment file (default: dpi.postman_environment.json next to the collection)",
    ),
    credentials: Path | None = typer.Option(
        None, "--credentials", help="demo-credentials.json whose client id and secret to fill in"
    ),
) -> None:
    """Write a Postman collection (OAuth2 preset, folders per resource) and an environment."""
    from dpi_server.api.openapi import openapi_document

    output.write_text(_dump(collection(openapi_document())))
    target = environment_file or output.with_name("dpi.postman_environment.json")
    stored = json.loads(credentials.read_text()) if credentials else None
    target.write_text(_dump(environment(stored)))
    typer.echo(f"wrote {output} and {target}")
