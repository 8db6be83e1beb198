"""`/_sandbox/clients`: the operator creates, lists, shows and revokes API clients and sets
their estate, delivery, limits, features and environment (issue #10 item 2)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure
from tests.conftest import Api
from tests.sandbox.isolated import ok

CLIENTS = "/_sandbox/clients"


async def token_for(api: Api, client_id: str, secret: str) -> httpx.Response:
    return await api.http.post(
        "/oauth/v2/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials", "scope": "integration"},
    )


async def create(api: Api, **body: Any) -> dict[str, Any]:
    headers = await api.operator_headers()
    body.setdefault("name", "Vendor")
    created: dict[str, Any] = ok(await api.http.post(CLIENTS, json=body, headers=headers), 201)
    return created


class TestCreate:
    async def test_the_secret_is_shown_once_and_works(self, api: Api, estate: TestEstate) -> None:
        """The creation answer holds the secret; listing and showing never do."""
        headers = await api.operator_headers()
        grant = {"facility_id": estate.facility_ids[0], "can_edit": False}

        created = await create(api, facilities=[grant], features=["remove_address_integration"])

        assert created["environment"] == "sandbox"
        assert created["state"] == "active"
        assert created["facilities"] == [grant]
        assert created["features"] == ["remove_address_integration"]
        assert (
            await token_for(api, created["client_id"], created["client_secret"])
        ).status_code == 200
        shown = ok(await api.http.get(f"{CLIENTS}/{created['client_id']}", headers=headers))
        listed = ok(await api.http.get(CLIENTS, headers=headers))
        assert "client_secret" not in shown
        assert shown == {k: v for k, v in created.items() if k != "client_secret"}
        assert created["client_secret"] not in str(listed)
        assert created["client_id"] in [c["client_id"] for c in listed["clients"]]

    async def test_a_production_client(self, api: Api) -> None:
        created = await create(api, environment="production")

        assert created["environment"] == "production"

    @pytest.mark.parametrize(
        ("body", "status", "words"),
        [
            ({"environment": "staging"}, 400, "Invalid arguments"),
            ({"locale": "xx"}, 400, "unknown locale"),
            ({"features": ["teleport"]}, 400, "unknown feature"),
            ({"facilities": [{"facility_id": 999999999}]}, 404, "no facility"),
        ],
    )
    async def test_bad_input_is_refused_and_creates_nothing(
        self, api: Api, body: dict[str, Any], status: int, words: str
    ) -> None:
        headers = await api.operator_headers()
        before = len(await api.container.services.clients.list())

        refused = failure(
            await api.http.post(CLIENTS, json={"name": "Bad", **body}, headers=headers), status
        )

        assert words in refused["message"]
        assert len(await api.container.services.clients.list()) == before

    async def test_a_facility_of_another_locale_leaves_no_client(self, api: Api) -> None:
        """The estate is granted in the creating transaction."""
        headers = await api.operator_headers()
        spanish = await api.estate(locale="es")
        before = len(await api.container.services.clients.list())

        refused = failure(
            await api.http.post(
                CLIENTS,
                json={"name": "pl", "facilities": [{"facility_id": spanish.facility_ids[0]}]},
                headers=headers,
            ),
            400,
        )

        assert "locale" in refused["message"]
        assert len(await api.container.services.clients.list()) == before

    async def test_a_taken_client_id_is_409(self, api: Api, estate: TestEstate) -> None:
        headers = await api.operator_headers()

        refused = failure(
            await api.http.post(
                CLIENTS, json={"name": "twin", "client_id": estate.client_id}, headers=headers
            ),
            409,
        )

        assert "already exists" in refused["message"]


class TestChanges:
    async def test_unknown_client_is_404(self, api: Api) -> None:
        headers = await api.operator_headers()

        for method, path, body in [
            ("GET", "", None),
            ("DELETE", "", None),
            ("PUT", "/environment", {"environment": "production"}),
            ("PATCH", "/limits", {"enabled": False}),
            ("PATCH", "/delivery", {"mode": "pull"}),
        ]:
            response = await api.http.request(
                method, f"{CLIENTS}/nobody-here{path}", json=body, headers=headers
            )
            assert failure(response, 404)["message"] == "no client with id 'nobody-here'"

    async def test_facilities_are_assigned_and_taken_away(
        self, api: Api, estate: TestEstate
    ) -> None:
        headers = await api.operator_headers()
        created = await create(api)
        path = f"{CLIENTS}/{created['client_id']}/facilities/{estate.facility_ids[1]}"

        assigned = ok(await api.http.put(path, json={"can_edit": False}, headers=headers))
        again = ok(await api.http.put(path, json={}, headers=headers))
        removed = ok(await api.http.delete(path, headers=headers))

        assert assigned["facilities"] == [
            {"facility_id": estate.facility_ids[1], "can_edit": False}
        ]
        assert again["facilities"] == [{"facility_id": estate.facility_ids[1], "can_edit": True}]
        assert removed["facilities"] == []

    async def test_limits_features_and_environment(self, api: Api) -> None:
        headers = await api.operator_headers()
        path = f"{CLIENTS}/{(await create(api))['client_id']}"

        limits = ok(
            await api.http.patch(
                f"{path}/limits",
                json={"read_limit": 5, "write_window_seconds": 30},
                headers=headers,
            )
        )
        off = ok(await api.http.patch(f"{path}/limits", json={"enabled": False}, headers=headers))
        features = ok(
            await api.http.put(
                f"{path}/features",
                json={"features": ["remove_address_integration"]},
                headers=headers,
            )
        )
        live = ok(
            await api.http.put(
                f"{path}/environment", json={"environment": "production"}, headers=headers
            )
        )

        assert limits["rate_limits"] == {
            "enabled": True,
            "read_limit": 5,
            "read_window_seconds": 3600,
            "write_limit": 40,
            "write_window_seconds": 30,
        }
        assert off["rate_limits"]["enabled"] is False
        assert off["rate_limits"]["read_limit"] == 5
        assert features["features"] == ["remove_address_integration"]
        assert live["environment"] == "production"
        bad = failure(
            await api.http.patch(f"{path}/limits", json={"read_limit": 0}, headers=headers), 400
        )
        assert "at least 1" in bad["message"]

    async def test_delivery_push_realtime_events_and_signing(self, api: Api) -> None:
        headers = await api.operator_headers()
        path = f"{CLIENTS}/{(await create(api))['client_id']}/delivery"

        pushed = ok(
            await api.http.patch(
                path,
                json={
                    "mode": "push",
                    "push_url": "https://vendor.example/hook",
                    "api_key_header": "X-Vendor-Key",
                    "api_key": "k-123",
                    "realtime_url": "https://vendor.example/gate",
                    "enable_events": ["address-assigned"],
                    "sign": True,
                },
                headers=headers,
            )
        )
        plain = ok(
            await api.http.patch(
                path, json={"mode": "pull", "realtime_url": "", "sign": False}, headers=headers
            )
        )

        assert pushed["delivery"] == {
            "mode": "push",
            "push_url": "https://vendor.example/hook",
            "api_key_header": "X-Vendor-Key",
            "realtime_url": "https://vendor.example/gate",
            "optional_events": ["address-assigned"],
            "signed": True,
            "healthy": None,
        }
        assert pushed["signing_secret"].startswith("whsec_")
        assert "k-123" not in str(pushed)
        assert plain["signing_secret"] is None
        assert plain["delivery"]["mode"] == "pull"
        assert plain["delivery"]["realtime_url"] is None
        assert plain["delivery"]["signed"] is False

    @pytest.mark.parametrize(
        "body",
        [
            {"mode": "push"},
            {"mode": "pull", "push_url": "https://vendor.example/hook"},
            {"push_url": "http://vendor.example/hook"},
            {"enable_events": ["no-such-event"]},
            {"mode": "carrier-pigeon"},
        ],
    )
    async def test_bad_delivery_is_400_and_changes_nothing(
        self, api: Api, body: dict[str, Any]
    ) -> None:
        headers = await api.operator_headers()
        created = await create(api)

        failure(
            await api.http.patch(
                f"{CLIENTS}/{created['client_id']}/delivery", json=body, headers=headers
            ),
            400,
        )

        shown = ok(await api.http.get(f"{CLIENTS}/{created['client_id']}", headers=headers))
        assert shown["delivery"] == created["delivery"]

    async def test_revoked_clients_lose_their_tokens(self, api: Api, estate: TestEstate) -> None:
        headers = await api.operator_headers()
        assert (
            await api.http.get("/api/v3/integration/facilities", headers=estate.headers)
        ).status_code == 200

        revoked = ok(await api.http.delete(f"{CLIENTS}/{estate.client_id}", headers=headers))

        assert revoked["state"] == "revoked"
        assert revoked["revoked_at"] is not None
        response = await api.http.get("/api/v3/integration/facilities", headers=estate.headers)
        assert response.status_code == 401

    async def test_the_routes_need_the_operator_token(self, api: Api, estate: TestEstate) -> None:
        await api.operator_headers()

        response = await api.http.get(CLIENTS, headers=estate.headers)

        assert failure(response, 401)["errors"] == []
