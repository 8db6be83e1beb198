"""The Postman collection in docs/ is what `dpi postman` makes from the app (issue #11 §7)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dpi_server.api.openapi import openapi_document
from dpi_server.cli.main import app
from dpi_server.cli.postman import collection, environment

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_collection_matches_the_app() -> None:
    """docs/dpi.postman_collection.json and its environment equal what the command writes;
    regenerate with `dpi postman -o docs/dpi.postman_collection.json`."""
    committed = json.loads((DOCS / "dpi.postman_collection.json").read_text())
    committed_env = json.loads((DOCS / "dpi.postman_environment.json").read_text())

    assert committed == collection(openapi_document())
    assert committed_env == environment()


def test_folders_per_resource_and_every_operation_once() -> None:
    """One folder per resource, as the official collection; every operation exactly once."""
    made = collection(openapi_document())
    names = [item["name"] for folder in made["item"] for item in folder["item"]]
    operations = [
        op["operationId"] for path in openapi_document()["paths"].values() for op in path.values()
    ]

    assert sorted(names) == sorted(operations)
    assert [f["name"] for f in made["item"]][:4] == [
        "Authorization",
        "Facilities",
        "Doctors",
        "Addresses",
    ]


def test_routes_it_does_not_know_still_get_a_folder() -> None:
    """A new route (say, from a later issue) lands in its tag's folder with a path variable,
    rather than breaking the command."""
    document = openapi_document()
    document["paths"]["/api/v3/integration/widgets/{widget_id}"] = {
        "get": {
            "operationId": "getWidget",
            "tags": ["Widgets"],
            "parameters": [
                {"in": "path", "name": "widget_id", "required": True, "schema": {"type": "string"}}
            ],
        }
    }

    made = collection(document)

    [folder] = [f for f in made["item"] if f["name"] == "Widgets"]
    assert folder["item"][0]["request"]["url"]["variable"] == [
        {"key": "widget_id", "value": "{{widgetId}}"}
    ]


def test_oauth2_client_credentials_preset() -> None:
    """The collection authenticates with OAuth2 client credentials from the environment."""
    auth = collection(openapi_document())["auth"]
    settings = {entry["key"]: entry["value"] for entry in auth["oauth2"]}

    assert auth["type"] == "oauth2"
    assert settings["grant_type"] == "client_credentials"
    assert settings["accessTokenUrl"] == "{{tokenUrl}}"
    assert (settings["clientId"], settings["clientSecret"]) == ("{{clientId}}", "{{clientSecret}}")
    assert settings["scope"] == "integration"


def test_command_fills_credentials(tmp_path: Path) -> None:
    """`dpi postman --credentials demo-credentials.json` fills the environment's client."""
    credentials = tmp_path / "demo-credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "client_id": "37768_abc",
                "client_secret": "shh",
                "token_url": "https://127.0.0.1:9443/oauth/v2/token",
            }
        )
    )
    output = tmp_path / "c.json"

    result = CliRunner().invoke(
        app, ["postman", "-o", str(output), "--credentials", str(credentials)]
    )

    assert result.exit_code == 0, result.output
    values = {
        v["key"]: v["value"]
        for v in json.loads((tmp_path / "dpi.postman_environment.json").read_text())["values"]
    }
    assert values["clientId"] == "37768_abc"
    assert values["baseUrl"] == "https://127.0.0.1:9443/api/v3/integration"
    assert json.loads(output.read_text()) == collection(openapi_document())
