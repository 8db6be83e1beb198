"""The response checker used by every API test catches what it should (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dpi_server.api.media import ERROR_MEDIA_TYPE, SUCCESS_MEDIA_TYPE
from dpi_server.api.openapi import openapi_document
from tests.contract.validator import ContractValidator, ContractViolation

BASE = "https://testserver/api/v3/integration"


@pytest.fixture(scope="module")
def checker() -> ContractValidator:
    return ContractValidator(openapi_document())


def answer(
    method: str, url: str, status: int, body: Any = None, media: str = SUCCESS_MEDIA_TYPE
) -> httpx.Response:
    request = httpx.Request(method, url)
    if body is None:
        return httpx.Response(status, request=request)
    return httpx.Response(status, json=body, headers={"content-type": media}, request=request)


class TestContractValidator:
    def test_accepts_a_documented_body(self, checker: ContractValidator) -> None:
        """A facility list of the documented shape passes."""
        checker.check(
            answer("GET", BASE + "/facilities", 200, {"_items": [{"id": "1", "name": "A"}]})
        )

    def test_rejects_an_undocumented_key(self, checker: ContractValidator) -> None:
        """A key the document does not name fails, though the published schema is open."""
        body = {"_items": [{"id": "1", "name": "A", "surprise": True}]}

        with pytest.raises(ContractViolation, match="surprise"):
            checker.check(answer("GET", BASE + "/facilities", 200, body))

    def test_rejects_a_wrong_type(self, checker: ContractValidator) -> None:
        """An id sent as a number fails: ids are strings on the wire."""
        with pytest.raises(ContractViolation, match="string"):
            checker.check(
                answer("GET", BASE + "/facilities", 200, {"_items": [{"id": 1, "name": "A"}]})
            )

    def test_rejects_an_undocumented_status(self, checker: ContractValidator) -> None:
        """getFacilities documents no 404."""
        body = {"errors": [], "message": "Object not found"}

        with pytest.raises(ContractViolation, match="status"):
            checker.check(answer("GET", BASE + "/facilities", 404, body, ERROR_MEDIA_TYPE))

    def test_rejects_a_wrong_media_type(self, checker: ContractValidator) -> None:
        """An error sent as a success media type fails."""
        body = {"errors": [], "message": "Object not found"}

        with pytest.raises(ContractViolation, match="the document names"):
            checker.check(answer("GET", BASE + "/facilities/9", 404, body, SUCCESS_MEDIA_TYPE))

    def test_rejects_a_body_where_none_is_documented(self, checker: ContractValidator) -> None:
        """deleteSlots answers 204 with no body."""
        url = BASE + "/facilities/1/doctors/1/addresses/1/slots/2026-12-01"

        with pytest.raises(ContractViolation, match="no content"):
            checker.check(answer("DELETE", url, 204, {"x": 1}))

    def test_matches_encoded_path_parameters(self, checker: ContractValidator) -> None:
        """bookSlot's `{start}` arrives percent-encoded and still finds its operation."""
        url = (
            BASE
            + "/facilities/1/doctors/1/addresses/1/slots/2026-12-01T09%3A00%3A00%2B01%3A00/book"
        )

        with pytest.raises(ContractViolation, match="bookSlot"):
            checker.check(answer("POST", url, 200, {"id": "1"}))

    def test_an_unknown_api_path_still_needs_the_envelope(self, checker: ContractValidator) -> None:
        """No operation matches, yet an error under the API prefix must be the envelope."""
        with pytest.raises(ContractViolation, match="error media type"):
            checker.check(
                answer("GET", BASE + "/nope", 404, {"detail": "Not Found"}, "application/json")
            )
