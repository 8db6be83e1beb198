"""The API reference works with no internet: `/docs` and `/redoc` load only assets the server
itself serves (issue 7, "Offline docs"). `/` is the sandbox's home page (tests/pages)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from dpi_server.api.app import create_app
from dpi_server.services.registry import Services

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


def docs_app() -> FastAPI:
    """The app without services: the pages and the document never touch them."""
    return create_app(Services.__new__(Services))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=docs_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


def references(html: str) -> list[str]:
    """Every URL the page's HTML points at (scripts, styles, icons, links, the document)."""
    return [a or b for a, b in _REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
class TestOfflineAssets:
    async def test_page_references_only_local_urls(
        self, http: httpx.AsyncClient, page: str
    ) -> None:
        """No URL in the page names another host, so nothing is fetched from a CDN."""
        response = await http.get(page)

        urls = references(response.text)
        assert urls
        assert [u for u in urls if urlsplit(u).scheme or urlsplit(u).netloc] == []

    async def test_every_referenced_asset_is_served(
        self, http: httpx.AsyncClient, page: str
    ) -> None:
        """Each script, style sheet and icon the page names answers 200 with a body."""
        response = await http.get(page)

        for url in references(response.text):
            asset = await http.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url


async def test_swagger_ui_bundle_is_the_real_script(http: httpx.AsyncClient) -> None:
    """The bundled Swagger UI is JavaScript that defines SwaggerUIBundle, not a placeholder."""
    response = await http.get("/docs/assets/swagger-ui-bundle.js")

    assert "javascript" in response.headers["content-type"]
    assert b"SwaggerUIBundle" in response.content


async def test_oauth2_redirect_page_is_served(http: httpx.AsyncClient) -> None:
    """Swagger UI's OAuth2 helper page exists, for the `Authorize` button."""
    response = await http.get("/docs/oauth2-redirect")

    assert response.status_code == 200
    assert "oauth2" in response.text.lower()
