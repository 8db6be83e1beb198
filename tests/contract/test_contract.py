"""The OpenAPI document states the real contract (issue 7): a body schema or an explicit "no
content" for every success, the error envelope for every error, no FastAPI 422, the OAuth2
client-credentials scheme, and a registry entry for every operation."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from dpi_server.api.contract import OPERATIONS
from dpi_server.api.contract.document import response_table
from dpi_server.api.media import ERROR_MEDIA_TYPE, SUCCESS_MEDIA_TYPE
from dpi_server.api.openapi import openapi_document

# Operations whose success has no body (wire.md §2.1, behaviour.md §7.2).
NO_CONTENT = {
    "removeAddressIntegration": "202",
    "deleteAddressService": "204",
    "addAddressInsuranceProvider": "204",
    "updateOrCreateAddressInsuranceProvider": "204",
    "deleteAddressInsuranceProvider": "204",
    "enableCalendar": "200",
    "disableCalendar": "200",
    "moveCalendarBreak": "204",
    "deleteCalendarBreak": "204",
    "replaceSlots": "201",
    "deleteSlots": "204",
    "cancelBooking": "204",
    "confirmBooking": "204",
    "requestOpinion": "200",
    "markPatientPresence": "204",
    "markPatientAbsence": "204",
    "releaseNotifications": "204",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(
    document: dict[str, Any], *, sandbox: bool = True
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation; the Docplanner API's only with `sandbox=False`."""
    return [
        (path, method, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if sandbox or not _sandbox(op)
    ]


def test_registry_and_app_name_the_same_operations(document: dict[str, Any]) -> None:
    """Every operation of the app has a contract entry, and every entry an operation (the
    sandbox's own routes aside: they are dpi's, with the operator's scheme)."""
    ids = {op["operationId"] for _, _, op in operations(document) if not _sandbox(op)}

    assert ids == set(OPERATIONS)


def _sandbox(op: dict[str, Any]) -> bool:
    return "Sandbox" in op.get("tags", ())


def test_sandbox_routes_need_the_operator_token(document: dict[str, Any]) -> None:
    sandbox = [(path, op) for path, _, op in operations(document) if _sandbox(op)]

    assert sandbox, "the sandbox API is documented"
    for path, op in sandbox:
        assert path.startswith("/_sandbox/"), path
        assert op["security"] == [{"operatorToken": []}], path
        assert "401" in op["responses"], path
    untagged = [
        p for p, _, op in operations(document) if p.startswith("/_sandbox") and not _sandbox(op)
    ]
    assert untagged == []


def test_every_success_has_a_schema_or_says_no_content(document: dict[str, Any]) -> None:
    """Each operation has one 2xx; it names a schema in the Docplanner media type, or (for the
    operations that answer no body) no content at all."""
    table: dict[str, list[tuple[str, str]]] = {}
    for op_id, _method, path, status, what in response_table(document):
        if status.startswith("2") and not path.startswith("/_sandbox/"):
            table.setdefault(op_id, []).append((status, what))

    for op_id, successes in table.items():
        assert len(successes) == 1, (op_id, successes)
        status, what = successes[0]
        if op_id in NO_CONTENT:
            assert (status, what) == (NO_CONTENT[op_id], "no content"), op_id
        elif op_id == "getAccessToken":
            assert what == "application/json TokenResponse"
        else:
            assert what.startswith(SUCCESS_MEDIA_TYPE + " "), (op_id, what)
    assert set(table) == set(OPERATIONS)


def test_errors_use_the_envelope_and_never_fastapi_422(document: dict[str, Any]) -> None:
    """Every 4xx of the API is the `Error` envelope in its own media type; FastAPI's
    `HTTPValidationError` appears nowhere (validation failures answer 400)."""
    for path, _method, op in operations(document, sandbox=False):
        for status, answer in op["responses"].items():
            if not status.startswith("4"):
                continue
            content = answer["content"]
            if path.startswith("/api/"):
                assert list(content) == [ERROR_MEDIA_TYPE], (op["operationId"], status)
                assert content[ERROR_MEDIA_TYPE]["schema"]["$ref"].endswith("/Error")
    assert "HTTPValidationError" not in str(document)
    assert "ValidationError" not in document["components"]["schemas"]


def test_api_operations_need_the_oauth2_client_credentials_token(
    document: dict[str, Any],
) -> None:
    """The `oauth2` scheme's token URL is our token endpoint; every API operation needs it
    and answers 401 and 429; the token endpoint takes Basic or no scheme."""
    scheme = document["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/v2/token"

    for path, _method, op in operations(document, sandbox=False):
        if path.startswith("/api/v3/integration/"):
            assert op["security"] == [{"oauth2": ["integration"]}], op["operationId"]
            assert {"401", "429"} <= set(op["responses"]), op["operationId"]
        else:
            assert op["security"] == [{"clientBasic": []}, {}]


def test_token_endpoint_documents_its_form_and_multipart_body(
    document: dict[str, Any],
) -> None:
    """The token request is a form-urlencoded or multipart body with `grant_type`."""
    op = document["paths"]["/oauth/v2/token"]["post"]
    content = op["requestBody"]["content"]

    assert set(content) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    token_request = document["components"]["schemas"]["TokenRequest"]
    assert token_request["required"] == ["grant_type"]


def test_bodies_are_documented_as_the_routes_send_them(document: dict[str, Any]) -> None:
    """Created resources carry `Location`; `with` lists each operation's values."""
    for _path, _method, op in operations(document, sandbox=False):
        contract = OPERATIONS[op["operationId"]]
        success = op["responses"][str(contract.success.status)]
        assert ("Location" in success.get("headers", {})) == contract.success.location
        for value in contract.extensions:
            (with_,) = [p for p in op["parameters"] if p["name"] == "with"]
            assert f"`{value}`" in with_["description"]


def test_each_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    """Every component schema is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect)."""
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_operation_has_one_spec_tag(document: dict[str, Any]) -> None:
    """Each operation sits under exactly one of the spec's tags, so it is listed once."""
    names = {tag["name"] for tag in document["tags"]}

    for _path, _method, op in operations(document, sandbox=False):
        assert len(op["tags"]) == 1
        assert op["tags"][0] in names


def test_operations_with_a_body_are_those_the_registry_says(document: dict[str, Any]) -> None:
    """400 and 413 are documented exactly where the route takes a JSON body."""
    for _path, _method, op in operations(document, sandbox=False):
        contract = OPERATIONS[op["operationId"]]
        if contract.api:
            assert contract.body == ("requestBody" in op), op["operationId"]
