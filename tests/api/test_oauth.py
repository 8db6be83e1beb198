"""`POST /oauth/v2/token` as real clients send it (behaviour.md §2, decisions.md, wire.md §1.2)."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import httpx
from sqlalchemy import select

from dpi_server.adapters.db import tables
from dpi_server.bootstrap import build_app
from dpi_server.testing.estate import TestEstate
from tests.conftest import Api

TOKEN_URL = "/oauth/v2/token"
FORM = {"grant_type": "client_credentials", "scope": "integration"}


def php_sdk_body(fields: list[tuple[str, str]], boundary: str) -> bytes:
    """A Guzzle 7 MultipartStream body: parts with Content-Disposition and Content-Length."""
    out = b""
    for name, value in fields:
        data = value.encode()
        out += (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"\r\n'
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class TestTokenRequests:
    async def test_basic_auth_with_form_body(self, api: Api, estate: TestEstate) -> None:
        """The documented curl -u form returns the exact success shape (behaviour.md §2)."""
        response = await api.http.post(
            TOKEN_URL,
            data=FORM,
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
        assert re.fullmatch(r"[0-9a-f]{40}", body["access_token"])
        assert body["expires_in"] == 86400
        assert body["token_type"] == "bearer"
        assert body["scope"] is None

    async def test_credentials_in_form_body(self, api: Api, estate: TestEstate) -> None:
        """client_id/client_secret as form fields are accepted (decisions.md)."""
        response = await api.http.post(
            TOKEN_URL,
            data={**FORM, "client_id": estate.client_id, "client_secret": estate.client_secret},
        )

        assert response.status_code == 200

    async def test_multipart_with_content_type(self, api: Api, estate: TestEstate) -> None:
        """A multipart/form-data body with its boundary header is accepted (wire.md §1.2)."""
        boundary = "a" * 40
        body = php_sdk_body(
            [
                ("grant_type", "client_credentials"),
                ("scope", "integration"),
                ("client_id", estate.client_id),
                ("client_secret", estate.client_secret),
            ],
            boundary,
        )

        response = await api.http.post(
            TOKEN_URL,
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

        assert response.status_code == 200

    async def test_php_sdk_multipart_without_content_type(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Byte-for-byte the PHP SDK's request: multipart body, no Content-Type (wire.md §1.2)."""
        boundary = "5f1c0e0a9d7b3c2e1f4a6b8c0d2e4f6a8b0c1d3e"
        body = php_sdk_body(
            [
                ("grant_type", "client_credentials"),
                ("scope", "integration"),
                ("client_id", estate.client_id),
                ("client_secret", estate.client_secret),
            ],
            boundary,
        )
        request = api.http.build_request(
            "POST", TOKEN_URL, content=body, headers={"User-Agent": "GuzzleHttp/7"}
        )
        assert "content-type" not in request.headers

        response = await api.http.send(request)

        assert response.status_code == 200
        token = response.json()["access_token"]
        listed = await api.http.get(
            "/api/v3/integration/facilities", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.status_code == 200

    async def test_each_request_gets_a_working_token(self, api: Api, estate: TestEstate) -> None:
        """Tokens stay valid side by side until they expire (decisions.md)."""
        auth = {"Authorization": basic(estate.client_id, estate.client_secret)}
        first = (await api.http.post(TOKEN_URL, data=FORM, headers=auth)).json()["access_token"]
        second = (await api.http.post(TOKEN_URL, data=FORM, headers=auth)).json()["access_token"]

        for token in (first, second, estate.token):
            response = await api.http.get(
                "/api/v3/integration/facilities", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200

    async def test_scope_may_be_omitted(self, api: Api, estate: TestEstate) -> None:
        """`scope` must be `integration` or absent (decisions.md)."""
        response = await api.http.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 200


class TestTokenErrors:
    async def test_wrong_secret_is_invalid_client(self, api: Api, estate: TestEstate) -> None:
        """Bad credentials: 401, RFC 6749 invalid_client, WWW-Authenticate: Basic."""
        response = await api.http.post(
            TOKEN_URL, data=FORM, headers={"Authorization": basic(estate.client_id, "nope")}
        )

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")

    async def test_unknown_client_is_invalid_client(self, api: Api) -> None:
        """An unknown client id answers exactly like a wrong secret."""
        response = await api.http.post(
            TOKEN_URL, data={**FORM, "client_id": "ghost", "client_secret": "x"}
        )

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_missing_credentials(self, api: Api) -> None:
        """No client credentials at all: 401 invalid_client."""
        response = await api.http.post(TOKEN_URL, data=FORM)

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_other_grant_type(self, api: Api, estate: TestEstate) -> None:
        """Only client_credentials exists: 400 unsupported_grant_type."""
        response = await api.http.post(
            TOKEN_URL,
            data={"grant_type": "password", "scope": "integration"},
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_missing_grant_type(self, api: Api, estate: TestEstate) -> None:
        """No grant_type: 400 invalid_request."""
        response = await api.http.post(
            TOKEN_URL,
            data={"scope": "integration"},
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_other_scope(self, api: Api, estate: TestEstate) -> None:
        """A scope other than integration: 400 invalid_scope."""
        response = await api.http.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "scope": "admin"},
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_garbage_basic_header(self, api: Api) -> None:
        """An undecodable Basic header: 400 invalid_request, not a crash."""
        response = await api.http.post(
            TOKEN_URL, data=FORM, headers={"Authorization": "Basic !!!notbase64"}
        )

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_broken_multipart(self, api: Api) -> None:
        """A multipart body cut short is refused cleanly."""
        response = await api.http.post(
            TOKEN_URL,
            content=b'--abc\r\nContent-Disposition: form-data; name="grant',
            headers={"Content-Type": "multipart/form-data; boundary=abc"},
        )

        assert response.status_code in (400, 401)
        assert "error" in response.json()

    async def test_revoked_client_cannot_get_tokens(self, api: Api, estate: TestEstate) -> None:
        """A revoked client's credentials stop working (decisions.md)."""
        await api.container.services.clients.revoke(estate.client_id)

        response = await api.http.post(
            TOKEN_URL,
            data=FORM,
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert response.status_code == 401

    async def test_guessing_is_throttled_with_backoff(self, api: Api, estate: TestEstate) -> None:
        """Failed secrets from one address lock that (client id, address) out, growing with
        each failure, with Retry-After; the lock holds even for the right secret from there."""
        statuses = []
        for _ in range(6):
            response = await api.http.post(
                TOKEN_URL, data=FORM, headers={"Authorization": basic(estate.client_id, "guess")}
            )
            statuses.append(response.status_code)
        locked = await api.http.post(
            TOKEN_URL,
            data=FORM,
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )
        api.clock.advance(seconds=2)
        after_the_lock = await api.http.post(
            TOKEN_URL,
            data=FORM,
            headers={"Authorization": basic(estate.client_id, estate.client_secret)},
        )

        assert statuses == [401] * 6
        assert locked.status_code == 429
        assert locked.json()["error"] == "slow_down"
        assert int(locked.headers["retry-after"]) >= 1
        assert after_the_lock.status_code == 200


class TestTokenThrottlingIsPerAddress:
    """Issue #12 item 7: knowing a client id must not be enough to lock that client out."""

    def _from(self, api: Api, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=build_app(api.container), client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="https://testserver")

    async def test_failures_elsewhere_never_refuse_the_right_secret(
        self, api: Api, estate: TestEstate
    ) -> None:
        """30 wrong secrets from one address (today's lock-out recipe), then the right secret
        from another address: 200, and again after 100 more failures from a third."""
        async with (
            self._from(api, "203.0.113.7") as attacker,
            self._from(api, "203.0.113.8") as other_attacker,
            self._from(api, "198.51.100.20") as owner,
        ):
            guesses = [
                await attacker.post(
                    TOKEN_URL,
                    data=FORM,
                    headers={"Authorization": basic(estate.client_id, f"guess-{n}")},
                )
                for n in range(30)
            ]
            first = await owner.post(
                TOKEN_URL, data=FORM, auth=(estate.client_id, estate.client_secret)
            )
            for n in range(100):
                await other_attacker.post(
                    TOKEN_URL,
                    data={**FORM, "client_id": estate.client_id, "client_secret": f"x{n}"},
                )
            second = await owner.post(
                TOKEN_URL, data=FORM, auth=(estate.client_id, estate.client_secret)
            )

        assert {g.status_code for g in guesses} == {401, 429}
        assert first.status_code == 200
        assert second.status_code == 200

    async def test_an_address_guessing_many_client_ids_is_throttled(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Rotating client ids does not escape: the address itself backs off."""
        async with self._from(api, "203.0.113.9") as attacker:
            statuses = [
                (
                    await attacker.post(
                        TOKEN_URL,
                        data={**FORM, "client_id": f"id-{n}", "client_secret": "x"},
                    )
                ).status_code
                for n in range(22)
            ]
        assert statuses[:20] == [401] * 20
        assert 429 in statuses[20:]


class TestTokenStorage:
    async def test_only_hashes_are_stored(self, api: Api, estate: TestEstate) -> None:
        """Neither the secret nor the token appears in the database (decisions.md)."""
        async with api.container.engine.connect() as conn:
            clients = (await conn.execute(select(tables.api_clients))).mappings().all()
            tokens = (await conn.execute(select(tables.access_tokens))).mappings().all()

        stored = repr(clients) + repr(tokens)
        assert estate.client_secret not in stored
        assert estate.token not in stored
