"""A route that reads its body by hand still documents it, through `json_body`
(api/contract/requests.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from dpi_server.api.contract import apply_contract, json_body
from dpi_server.api.contract import requests as request_bodies


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """These models must not leak into the app's document of later tests."""
    monkeypatch.setattr(request_bodies, "_MODELS", {})


class _Inner(BaseModel):
    value: int


class _ReadByHand(BaseModel):
    name: str
    inner: _Inner | None = None


def test_json_body_documents_the_model_and_what_it_nests() -> None:
    """The operation gets a JSON `requestBody` naming the model, and the components hold the
    model's schema and the schemas of the models inside it."""
    app = FastAPI()

    @app.post("/things", operation_id="addThing", openapi_extra=json_body(_ReadByHand))
    async def add_thing() -> None:
        """Reads its body itself."""

    document = apply_contract(app.openapi())

    body = document["paths"]["/things"]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/_ReadByHand"}
    schemas = document["components"]["schemas"]
    assert schemas["_ReadByHand"]["required"] == ["name"]
    assert "_Inner" in schemas


def test_optional_body() -> None:
    """`required=False` documents an optional body (cancelBooking, requestOpinion)."""
    extra = json_body(_ReadByHand, required=False)

    assert extra["requestBody"]["required"] is False
