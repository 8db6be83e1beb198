"""`/docs` and `/redoc` render in a real browser with the network cut (issue 7).

Chromium is Debian's (`apt-get install chromium`), driven by Playwright. The page is served by
the app in this process: every request the browser makes to the app's origin is answered
through ASGI, and any request to another host is refused and recorded, so the test proves both
that the page renders and that it asked for nothing outside the server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.api.test_docs_pages import docs_app
from tests.offline_browser import OfflineRoutes

ORIGIN = "https://dpi.test"
# ReDoc's sidebar credit loads this image and hides it itself when it fails: cosmetic only.
REDOC_CREDIT_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CHROMIUM = os.environ.get("DPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("DPI_REQUIRE_BROWSER") != "1",
    reason="no Chromium (apt-get install chromium)",
)


class OfflineBrowser(OfflineRoutes):
    def __init__(self, page: Page, http: httpx.AsyncClient) -> None:
        super().__init__(ORIGIN, http)
        self.page = page


@pytest.fixture
async def browser_page() -> AsyncIterator[OfflineBrowser]:
    transport = httpx.ASGITransport(app=docs_app())
    async with (
        httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(offline=False)
            page = await context.new_page()
            offline = OfflineBrowser(page, http)
            await context.route("**/*", offline.handle)
            yield offline
        finally:
            await browser.close()


async def test_swagger_ui_renders_every_operation_offline(browser_page: OfflineBrowser) -> None:
    """Swagger UI draws the title and the operations, fetching nothing from another host."""
    page = browser_page.page

    await page.goto(ORIGIN + "/docs")
    await page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    await page.wait_for_selector(".opblock", timeout=30_000)

    assert "Docplanner" in await page.inner_text(".swagger-ui .info .title")
    assert await page.locator(".opblock").count() >= 40
    # Each operation once, under its one tag.
    assert await page.locator("[id$='-getSlots']").count() == 1
    assert browser_page.refused == []


async def test_redoc_renders_offline(browser_page: OfflineBrowser) -> None:
    """ReDoc draws the API title and the operation list, fetching nothing from another host."""
    page = browser_page.page

    await page.goto(ORIGIN + "/redoc")
    await page.wait_for_selector("h1", timeout=30_000)
    await page.wait_for_selector("[data-section-id='operation/getSlots']", timeout=30_000)

    assert "Docplanner" in await page.inner_text("h1")
    assert [url for url in browser_page.refused if url != REDOC_CREDIT_LOGO] == []
