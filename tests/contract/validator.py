"""Checks a real response against our own OpenAPI document: the operation documents its
status, the media type is one the document names (or there is no body when it names none),
and the body validates against the schema. A response no operation describes (an unknown
path or method under the API prefix) must still be the error envelope.

The body is checked more strictly than the document reads: every object schema is closed
(`additionalProperties: false`), so a key the server sends but the document does not name
fails the test instead of going unnoticed. The published document stays open, as clients
must ignore unknown keys (wire.md §1.7).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema_rs

from dpi_server.api.media import ERROR_MEDIA_TYPE
from dpi_server.api.middleware import API_PREFIX


def _closed(schema: Any) -> Any:
    """`schema` with `additionalProperties: false` on every object that lists properties."""
    if isinstance(schema, dict):
        out = {key: _closed(value) for key, value in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    operations: dict[str, dict[str, Any]]  # lower-case method -> operation

    @property
    def literal_length(self) -> int:
        return len(re.sub(r"\{[^}]+\}", "", self.template))


# Headers of the API's own contract: when a response carries one, the document must list it.
_CONTRACT_HEADERS = {"location", "retry-after", "www-authenticate"}


class ContractViolation(AssertionError):
    pass


class ContractValidator:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._components = _closed(copy.deepcopy(document.get("components", {})))
        self._routes = sorted(
            (
                _Route(
                    template,
                    re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"),
                    {method.lower(): op for method, op in ops.items()},
                )
                for template, ops in document.get("paths", {}).items()
            ),
            key=lambda route: -route.literal_length,
        )
        self._validators: dict[str, jsonschema_rs.Draft202012Validator] = {}
        self.checked: set[tuple[str, str]] = set()  # (operationId, status) seen

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for route in self._routes:
            if route.pattern.match(path):
                found = route.operations.get(method.lower())
                if found is not None:
                    return found
        return None

    def _validator(self, schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            root = {**_closed(schema), "components": self._components}
            validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
            self._validators[key] = validator
        return validator

    def _check_framework_error(self, response: httpx.Response, path: str) -> None:
        """No operation: an unknown path (404) or method (405). Under the API prefix it is
        still Docplanner's envelope, as the document's introduction says."""
        if not path.startswith(API_PREFIX) or response.status_code < 400:
            return
        where = f"{response.request.method} {path} answered {response.status_code}"
        if response.headers.get("content-type") != ERROR_MEDIA_TYPE:
            raise ContractViolation(f"{where} outside the error media type")
        error_schema = {"$ref": "#/components/schemas/Error"}
        errors = [e.message for e in self._validator(error_schema).iter_errors(response.json())]
        if errors:
            raise ContractViolation(f"{where} outside the error envelope: {errors}")
        self.checked.add((f"{response.request.method} (no operation)", str(response.status_code)))

    def check(self, response: httpx.Response) -> None:
        """Raise ContractViolation when `response` is not what the document promises."""
        request = response.request
        if request.url.scheme == "http" and response.status_code == 308:
            return  # the transport's redirect to HTTPS, described in the document's info
        if "x-dpi-fault" in response.headers:
            return  # a sandbox-injected fault (api/faults.py), not the API's contract
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        op = self.operation(request.method, path)
        if op is None:
            self._check_framework_error(response, path)
            return
        name = op.get("operationId", f"{request.method} {path}")
        where = f"{name} ({request.method} {path}) answered {response.status_code}"
        documented = op.get("responses", {})
        answer = documented.get(str(response.status_code)) or documented.get("default")
        if answer is None:
            raise ContractViolation(
                f"{where}, a status the document does not list ({sorted(documented)}): "
                f"{response.text[:300]}"
            )
        content: dict[str, Any] = answer.get("content", {})
        body = response.content
        media_type = response.headers.get("content-type")
        if not content:
            if body:
                raise ContractViolation(f"{where} with a body; the document says no content")
        elif media_type not in content:
            raise ContractViolation(
                f"{where} as {media_type!r}; the document names {sorted(content)}"
            )
        else:
            schema = content[media_type].get("schema")
            if schema is not None:
                errors = [
                    f"  at /{'/'.join(str(p) for p in error.instance_path)}: {error.message}"
                    for error in self._validator(schema).iter_errors(json.loads(body))
                ]
                if errors:
                    raise ContractViolation(
                        f"{where}; the body does not match the document:\n"
                        + "\n".join(errors[:20])
                        + f"\nbody: {body[:1500]!r}"
                    )
        documented_headers = {name.lower() for name in answer.get("headers", {})}
        if "location" in documented_headers and "location" not in response.headers:
            raise ContractViolation(f"{where} without the documented Location header")
        sent = {name.lower() for name in response.headers}
        undocumented = sorted(
            name
            for name in sent & _CONTRACT_HEADERS | {n for n in sent if n.startswith("x-ratelimit-")}
            if name not in documented_headers
        )
        if undocumented:
            raise ContractViolation(
                f"{where} with headers the document does not list: {undocumented}"
            )
        self.checked.add((name, str(response.status_code)))
