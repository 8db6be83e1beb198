"""The web pages in a real browser: Debian's Chromium driven by Playwright, offline.

Every request the browser makes to the app's origin is answered by the in-process app through
ASGI (no socket); any other host is refused and recorded. A person books a slot on the
marketplace page and sees the notification appear, live, in the console's log; the operator
creates a client and advances the sandbox clock on the console; every page renders without a
console error, fits a phone's width, and is photographed at desktop and phone width into
`test-output/screenshots/` under the repository root (git-ignored; the path is printed in
the test summary).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from dpi_server.domain.actors import PatientActor
from dpi_server.domain.booking_rules import VisitDetails
from dpi_server.domain.bookings import Patient
from dpi_server.services.bookings import BookSlot
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import ref
from tests.conftest import SUMMARY_PROPERTY, Api
from tests.offline_browser import OfflineRoutes
from tests.pages.support import (
    OPERATOR_TOKEN,
    ORIGIN,
    TUESDAY_9,
    Paths,
    published,
    real_time_afterwards,
)

CHROMIUM = os.environ.get("DPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

__all__ = ["real_time_afterwards"]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("DPI_REQUIRE_BROWSER") != "1",
    reason="no Chromium (apt-get install chromium)",
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The browser tests run on SQLite only: what they check is the pages, not storage."""
    return sqlite_url


class OfflineBrowser(OfflineRoutes):
    """A browser context whose every request to ORIGIN goes through the in-process app,
    recording console errors and page errors of every page it opens."""

    def __init__(self, context: BrowserContext, http: httpx.AsyncClient) -> None:
        super().__init__(ORIGIN, http)
        self.context = context
        self.problems: list[str] = []

    async def page(self) -> Page:
        page = await self.context.new_page()
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        return page

    async def sign_in(self, page: Page) -> None:
        await page.goto(ORIGIN + "/sign-in")
        await page.fill("input[name=token]", OPERATOR_TOKEN)
        await page.click("form[action='/sign-in'] button[type=submit]")
        await page.wait_for_selector(".flash.done")


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def browser(api: Api, chromium: Browser) -> AsyncIterator[OfflineBrowser]:
    await api.operator_headers()
    context = await chromium.new_context(viewport=DESKTOP)
    offline = OfflineBrowser(context, api.http)
    await context.route("**/*", offline.handle)
    try:
        yield offline
    finally:
        await context.close()


@pytest.fixture
async def paths(api: Api, estate: TestEstate) -> Paths:
    return await published(api, estate)


async def test_a_booking_appears_live_in_the_console(
    browser: OfflineBrowser, estate: TestEstate, paths: Paths
) -> None:
    """A person books Tuesday 09:00 on the marketplace page; the console's notification log,
    open in another tab, shows `slot-booked` without being reloaded."""
    console = await browser.page()
    await browser.sign_in(console)
    await console.goto(f"{ORIGIN}/console/notifications?client={estate.client_id}")
    await console.wait_for_selector("#notification-log tr.empty")
    patient = await browser.page()

    await patient.goto(ORIGIN + paths.marketplace)
    await patient.click(".slot >> text=09:00")
    await patient.fill("input[name=name]", "Anna")
    await patient.fill("input[name=surname]", "Nowak")
    await patient.fill("input[name=phone]", "+48 500 100 200")
    await patient.click("text=Book this visit")
    await patient.wait_for_selector(".flash.done")

    row = console.locator("#notification-log tbody tr", has_text="slot-booked")
    await row.wait_for(timeout=10_000)
    assert "queued" in await row.inner_text()
    assert "Anna Nowak" in await patient.inner_text("main")
    assert await patient.locator("form[action*='/bookings/'][action*='/cancel']").count() == 1
    assert browser.problems == []
    assert browser.refused == []


async def test_every_page_renders_cleanly_at_desktop_and_phone_width(
    api: Api,
    estate: TestEstate,
    browser: OfflineBrowser,
    paths: Paths,
    record_property: pytest.RecordProperty,
) -> None:
    """No console error on any page, no horizontal overflow at 375 px, and a screenshot of
    each page at both widths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.page()
    overflowing = {}
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.goto(ORIGIN + "/sign-in")
        await page.screenshot(path=SCREENSHOTS / f"sign-in-{width}.png", full_page=True)
        if viewport is PHONE and await _scroll_width(page) > PHONE["width"]:
            overflowing["sign-in"] = await _scroll_width(page)
    await browser.sign_in(page)
    copy = await _a_booking(api, estate)
    # A request in the journal, and a fault plan with one rule drawn once.
    await api.http.put(
        "/_sandbox/faults",
        json={"seed": 3, "rules": [{"operations": ["getDoctors"], "kind": "503"}]},
        headers=await api.operator_headers(),
    )
    assert (await api.http.get("/api/v3/integration/facilities", headers=estate.headers)).is_success
    pages = {
        "home": "/",
        "marketplace": f"{paths.marketplace}?slot=2026-01-06T09%3A00%3A00%2B01%3A00",
        "doctor": paths.doctor_page,
        "console-clients": "/console",
        "console-notifications": "/console/notifications",
        "console-notification": f"/console/notifications/{copy}",
        "console-client": f"/console/clients/{estate.client_id}",
        "console-journal": f"/console/journal?client={estate.client_id}",
        "console-faults": "/console/faults",
        "console-clock": "/console/clock",
        "console-reset": "/console/reset",
    }

    for name, url in pages.items():
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            await page.set_viewport_size(viewport)
            await page.goto(ORIGIN + url)
            await page.wait_for_load_state("load")
            await page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
            if viewport is PHONE and await _scroll_width(page) > PHONE["width"]:
                overflowing[name] = await _scroll_width(page)

    record_property(SUMMARY_PROPERTY, f"page screenshots: {SCREENSHOTS}")
    assert overflowing == {}
    assert browser.problems == []
    assert browser.refused == []
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 2 * len(pages) + 2


async def _scroll_width(page: Page) -> int:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width


async def _a_booking(api: Api, estate: TestEstate) -> int:
    """A patient's booking on Tuesday 09:00; the id of the notification copy it raised."""
    services = api.container.services
    scope = await services.access.address(PatientActor(), ref(estate))
    details = VisitDetails(patient=Patient(name="Jan", surname="Kowalski", phone="+48500100200"))
    await services.marketplace.book(
        scope,
        datetime.fromisoformat(TUESDAY_9),
        BookSlot(estate.address_service_ids[0], 30, details),
    )
    [copy] = await services.notification_admin.list_copies(estate.client_id)
    return copy.delivery_id


async def test_the_copy_button_copies_the_client_id(
    browser: OfflineBrowser, estate: TestEstate
) -> None:
    """Signed in, `/` shows the client id with a button that puts it on the clipboard."""
    await browser.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    page = await browser.page()
    await browser.sign_in(page)
    await page.goto(ORIGIN + "/")
    button = page.locator(f"button.copy[data-copy='{estate.client_id}']")

    await button.click()

    await page.wait_for_function(
        "b => b.textContent === 'Copied'", arg=await button.element_handle()
    )
    assert await page.evaluate("navigator.clipboard.readText()") == estate.client_id
    assert browser.problems == []


@pytest.mark.usefixtures("real_time_afterwards")
async def test_advancing_the_clock_on_the_console_shows_the_new_time(
    api: Api, browser: OfflineBrowser
) -> None:
    """The operator presses "+91 min" on the clock section: the page answers with the new
    time and what ran on the way."""
    before = api.container.services.clock.now()
    page = await browser.page()
    await browser.sign_in(page)
    await page.goto(ORIGIN + "/console/clock")
    assert await page.inner_text("#clock-mode") == "real"

    await page.click("#advance button[value=PT91M]")
    await page.wait_for_selector("#ran")

    after = before + timedelta(minutes=91)
    assert await page.inner_text("#clock-now") == after.strftime("%a %d %b %Y %H:%M:%S")
    assert await page.inner_text("#clock-mode") == "offset"
    assert "The clock moved forward." in await page.inner_text(".flash.done")
    assert browser.problems == []


async def test_a_new_clients_secret_is_shown_once_and_copied(
    browser: OfflineBrowser, estate: TestEstate
) -> None:
    """Creating a client on the console answers with its secret and a working copy button."""
    await browser.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    page = await browser.page()
    await browser.sign_in(page)
    await page.goto(ORIGIN + "/console")
    await page.fill("#new-client input[name=name]", "Vendor B")
    # The form lists the first facilities of the (shared, large) test database: take one.
    await page.locator("#new-client input[name=facility]").first.check()

    await page.click("#new-client button[type=submit]")
    secret = await page.inner_text("#secret-value")
    button = page.locator(f"button.copy[data-copy='{secret}']")
    await button.click()

    await page.wait_for_function(
        "b => b.textContent === 'Copied'", arg=await button.element_handle()
    )
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    assert "shown this once" in await page.inner_text("main")
    assert browser.problems == []
