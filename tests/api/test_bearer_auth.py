"""Bearer tokens on `/api/v3/integration/*` (decisions.md "Authorization", behaviour.md §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dpi_server.testing.estate import TestEstate
from tests.conftest import Api

URL = "/api/v3/integration/facilities"
INVALID = {"errors": [], "message": "The access token provided is invalid."}
EXPIRED = {"errors": [], "message": "The access token provided has expired."}


class TestMissingCredentials:
    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic Zm9vOmJhcg=="}],
        ids=["none", "empty-bearer", "basic"],
    )
    async def test_body_of_the_live_probe(self, api: Api, headers: dict[str, str]) -> None:
        """No bearer token: 401 with exactly the live probe's body, no `errors` key."""
        response = await api.http.get(URL, headers=headers)

        assert response.status_code == 401
        assert response.json() == {"message": "Authentication credentials could not be found."}
        assert response.headers["content-type"] == "application/vnd.error+docplanner+json"

    async def test_every_api_path_is_protected(self, api: Api) -> None:
        """Nested and unknown API paths need the token too."""
        for path in ("/api/v3/integration/services", "/api/v3/integration/nowhere"):
            assert (await api.http.get(path)).status_code == 401


class TestInvalidTokens:
    async def test_unknown_token(self, api: Api) -> None:
        """An unknown token: 401 envelope and WWW-Authenticate invalid_token."""
        response = await api.http.get(URL, headers={"Authorization": "Bearer " + "0" * 40})

        assert response.status_code == 401
        assert response.json() == INVALID
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    async def test_expired_token(self, api: Api, estate: TestEstate) -> None:
        """After 24 h the token answers the expired message (decisions.md)."""
        api.clock.advance(timedelta(seconds=86399))
        assert (await api.http.get(URL, headers=estate.headers)).status_code == 200

        api.clock.advance(timedelta(seconds=1))
        response = await api.http.get(URL, headers=estate.headers)

        assert response.status_code == 401
        assert response.json() == EXPIRED

    async def test_revoked_client_token_stops_at_once(self, api: Api, estate: TestEstate) -> None:
        """Revoking a client kills its live tokens on the next request."""
        await api.container.services.clients.revoke(estate.client_id)

        response = await api.http.get(URL, headers=estate.headers)

        assert response.status_code == 401
        assert response.json() == INVALID

    async def test_token_of_another_locale_host(self, api: Api, estate: TestEstate) -> None:
        """A pl client's token used on the es host is rejected (decisions.md "Locales")."""
        response = await api.http.get(URL, headers={**estate.headers, "Host": "www.doctoralia.es"})

        assert response.status_code == 401
        assert response.json() == INVALID

    async def test_token_on_its_own_locale_host(self, api: Api, estate: TestEstate) -> None:
        """The pl host (with or without www) accepts a pl client's token."""
        for host in ("www.znanylekarz.pl", "znanylekarz.pl", "localhost:8443"):
            response = await api.http.get(URL, headers={**estate.headers, "Host": host})
            assert response.status_code == 200, host


class TestWireBasics:
    async def test_unknown_route_is_object_not_found(self, api: Api, estate: TestEstate) -> None:
        """An unknown API route: 404 `Object not found` envelope (decisions.md)."""
        response = await api.http.get("/api/v3/integration/nowhere", headers=estate.headers)

        assert response.status_code == 404
        assert response.json() == {"errors": [], "message": "Object not found"}
        assert response.headers["content-type"] == "application/vnd.error+docplanner+json"

    async def test_unsupported_method_is_405_with_allow(self, api: Api, estate: TestEstate) -> None:
        """A known path with another method: 405, Allow header and the envelope."""
        response = await api.http.put(URL, headers=estate.headers, json={})

        assert response.status_code == 405
        assert response.headers["allow"] == "GET"
        assert response.json() == {"errors": [], "message": "Method Not Allowed"}

    async def test_any_accept_header_is_served(self, api: Api, estate: TestEstate) -> None:
        """The SDK's three Accept values and odd ones never cause a 406 (wire.md §1.3)."""
        for accept in (
            "application/vnd.docplanner+json; charset=UTF-8,application/vnd.error+docplanner+json",
            "application/vnd.error+docplanner+json",
            "application/vnd.docplanner+json; charset=UTF-8",
            "text/html",
        ):
            response = await api.http.get(URL, headers={**estate.headers, "Accept": accept})
            assert response.status_code == 200
            assert response.headers["content-type"] == (
                "application/vnd.docplanner+json; charset=UTF-8"
            )

    async def test_plain_http_is_redirected_with_308(self, api: Api, estate: TestEstate) -> None:
        """Plain HTTP gets a 3XX to the same path on HTTPS, method-preserving (decisions.md)."""
        response = await api.http.post(
            "http://testserver/oauth/v2/token?x=1", data={"grant_type": "client_credentials"}
        )

        assert response.status_code == 308
        assert response.headers["location"] == "https://testserver:8443/oauth/v2/token?x=1"
