"""The console's controls over HTTP: API clients (create, revoke, environment, delivery,
optional events, rate limits), the sandbox clock and reset (issue #10 items 2 and 6).

Every form needs a session and a same-origin post; a success changes what the public
sandbox API (`/_sandbox/...`) reports, a bad value answers the page with 400 and changes
nothing, and a refusal of the use case shows its message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import Receiver, configure
from tests.conftest import Api
from tests.pages.support import (
    SAME_ORIGIN,
    Paths,
    book,
    published,
    real_time_afterwards,
    sign_in,
)
from tests.sandbox import isolated

__all__ = ["real_time_afterwards"]


async def sandbox_state(api: Api) -> tuple[Any, Any]:
    """Every client as `/_sandbox/clients` shows it, and the clock as `/_sandbox/clock` does."""
    headers = await api.operator_headers()
    clients = await api.http.get("/_sandbox/clients", headers=headers)
    clock = await api.http.get("/_sandbox/clock", headers=headers)
    assert clients.status_code == clock.status_code == 200
    return clients.json()["clients"], clock.json()


async def client_view(api: Api, client_id: str) -> dict[str, Any]:
    answer = await api.http.get(
        f"/_sandbox/clients/{client_id}", headers=await api.operator_headers()
    )
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


async def clock_view(api: Api) -> dict[str, Any]:
    _, clock = await sandbox_state(api)
    view: dict[str, Any] = clock
    return view


@dataclass(frozen=True)
class Vendor:
    """An API client of no facility (the session's database keeps every estate a test
    builds, and the home page lists only the first facilities), and its bearer headers."""

    client_id: str
    headers: dict[str, str]


@pytest.fixture
async def vendor(api: Api) -> AsyncIterator[Vendor]:
    """Revoked afterwards: a live production client left behind would stop every later
    test's time travel and reset."""
    services = api.container.services
    created = await services.clients.create("Vendor A", "pl")
    issued = await services.auth.issue_token(
        grant_type="client_credentials",
        scope="integration",
        client_id=created.client.client_id,
        client_secret=created.client_secret,
    )
    yield Vendor(created.client.client_id, {"Authorization": f"Bearer {issued.access_token}"})
    await services.clients.revoke(created.client.client_id)


def forms_of(vendor: Vendor) -> list[tuple[str, dict[str, Any]]]:
    """(url, a valid form) of every control the console posts."""
    client = f"/console/clients/{vendor.client_id}"
    return [
        ("/console/clients", {"name": "Vendor B", "locale": "pl"}),
        (f"{client}/revoke", {"confirm": "yes"}),
        (f"{client}/environment", {"environment": "production"}),
        (f"{client}/delivery", {"mode": "push", "push_url": "https://vendor.example/n"}),
        (f"{client}/events", {"event": ["address-assigned"]}),
        (
            f"{client}/limits",
            {
                "read_limit": "5",
                "read_window_seconds": "60",
                "write_limit": "2",
                "write_window_seconds": "60",
            },
        ),
        ("/console/clock/freeze", {}),
        ("/console/clock/set", {"at": "2026-01-06T12:00"}),
        ("/console/clock/advance", {"duration": "PT91M"}),
        ("/console/reset", {"confirm": "yes"}),
    ]


FORM_IDS = [
    "create",
    "revoke",
    "environment",
    "delivery",
    "events",
    "limits",
    "freeze",
    "set",
    "advance",
    "reset",
]


class TestAccess:
    @pytest.mark.parametrize("index", range(len(FORM_IDS)), ids=FORM_IDS)
    async def test_every_control_needs_a_session(
        self, api: Api, vendor: Vendor, index: int
    ) -> None:
        """Signed out, a same-origin post is sent to sign in and changes nothing."""
        before = await sandbox_state(api)
        url, form = forms_of(vendor)[index]

        answer = await api.http.post(url, data=form, headers=SAME_ORIGIN)

        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=%2F"
        assert await sandbox_state(api) == before

    @pytest.mark.parametrize("index", range(len(FORM_IDS)), ids=FORM_IDS)
    @pytest.mark.parametrize(
        "headers", [{}, {"Origin": "https://evil.example"}], ids=["no-origin", "foreign"]
    )
    async def test_every_control_refuses_another_origin(
        self, api: Api, vendor: Vendor, index: int, headers: dict[str, str]
    ) -> None:
        """Signed in, a form posted from elsewhere (CSRF) is refused: 403, nothing changed."""
        await sign_in(api)
        before = await sandbox_state(api)
        url, form = forms_of(vendor)[index]

        answer = await api.http.post(url, data=form, headers=headers)

        assert answer.status_code == 403
        assert "not posted from this server" in answer.text
        assert await sandbox_state(api) == before

    @pytest.mark.parametrize("page", ["/console/clock", "/console/reset", "/console/clients/x"])
    async def test_the_new_pages_need_a_session(self, api: Api, page: str) -> None:
        answer = await api.http.get(page)

        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=%2Fconsole%2F")

    async def test_the_sections_are_in_the_console_navigation(self, api: Api) -> None:
        await sign_in(api)

        answer = await api.http.get("/console/clock")

        for href in ("/console", "/console/notifications", "/console/clock", "/console/reset"):
            assert f'href="{href}"' in answer.text
        assert 'href="/console/clock" aria-current="page"' in answer.text


class TestClients:
    async def test_creating_a_client_shows_its_secret_once(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The answer shows the new secret with a copy button; it obtains a token, and the
        client's own page never shows it again."""
        await sign_in(api)
        facility = estate.facility_ids[0]

        answer = await api.http.post(
            "/console/clients",
            data={"name": "Vendor B", "facility": [str(facility)], "can_edit": "true"},
            headers=SAME_ORIGIN,
        )

        assert answer.status_code == 201, answer.text
        clients, _ = await sandbox_state(api)
        created = clients[-1]
        assert created["name"] == "Vendor B"
        assert created["facilities"] == [{"facility_id": facility, "can_edit": True}]
        secret = _shown_once(answer.text)
        assert f'data-copy="{secret}"' in answer.text
        issued = await api.container.services.auth.issue_token(
            grant_type="client_credentials",
            scope="integration",
            client_id=created["client_id"],
            client_secret=secret,
        )
        assert issued.access_token
        again = await api.http.get(f"/console/clients/{created['client_id']}")
        assert again.status_code == 200
        assert secret not in again.text
        assert created["client_id"] in (await api.http.get("/console")).text

    @pytest.mark.parametrize(
        ("form", "status", "message"),
        [
            ({"name": ""}, 400, "name"),
            ({"name": "X", "environment": "staging"}, 400, "sandbox, production"),
            ({"name": "X", "locale": "xx"}, 400, "unknown locale"),
            ({"name": "X", "facility": ["not-a-number"]}, 400, "facility"),
            ({"name": "X", "facility": ["999999"]}, 404, "no facility with id 999999"),
        ],
        ids=["no-name", "environment", "locale", "facility-text", "unknown-facility"],
    )
    async def test_a_refused_client_is_not_created(
        self, api: Api, form: dict[str, Any], status: int, message: str
    ) -> None:
        """The clients page again with the error and what was typed; no client is made."""
        await sign_in(api)
        before = await sandbox_state(api)

        answer = await api.http.post("/console/clients", data=form, headers=SAME_ORIGIN)

        assert answer.status_code == status
        assert 'role="alert"' in answer.text
        assert message in answer.text
        assert 'id="new-client"' in answer.text
        assert await sandbox_state(api) == before

    async def test_an_unknown_client_is_a_404_page(self, api: Api) -> None:
        await sign_in(api)

        answer = await api.http.get("/console/clients/nobody-at-all")

        assert answer.status_code == 404
        assert "nobody-at-all" in answer.text

    async def test_environment(self, api: Api, vendor: Vendor) -> None:
        await sign_in(api)
        url = f"/console/clients/{vendor.client_id}/environment"

        bad = await api.http.post(url, data={"environment": "staging"}, headers=SAME_ORIGIN)
        after_bad = await client_view(api, vendor.client_id)
        good = await api.http.post(url, data={"environment": "production"}, headers=SAME_ORIGIN)

        assert bad.status_code == 400
        assert after_bad["environment"] == "sandbox"
        assert good.status_code == 303
        assert good.headers["location"].endswith("?done=environment-set")
        assert (await client_view(api, vendor.client_id))["environment"] == "production"

    async def test_push_delivery_with_api_key_real_time_and_signing(
        self, api: Api, vendor: Vendor
    ) -> None:
        """Signing on answers the page with the new secret, once; pull undoes push."""
        await sign_in(api)
        url = f"/console/clients/{vendor.client_id}/delivery"
        form = {
            "mode": "push",
            "push_url": "https://vendor.example/notifications",
            "api_key_header": "X-Vendor-Key",
            "api_key": "key-of-the-vendor",
            "realtime_url": "https://vendor.example/realtime",
            "signing": "new",
        }

        signed = await api.http.post(url, data=form, headers=SAME_ORIGIN)
        push = (await client_view(api, vendor.client_id))["delivery"]
        kept = await api.http.post(
            url, data={**form, "api_key": "", "signing": "keep"}, headers=SAME_ORIGIN
        )
        still = (await client_view(api, vendor.client_id))["delivery"]
        pulled = await api.http.post(
            url, data={"mode": "pull", "clear_api_key": "true"}, headers=SAME_ORIGIN
        )
        pull = (await client_view(api, vendor.client_id))["delivery"]

        assert signed.status_code == 200
        assert "whsec_" in _shown_once(signed.text)
        assert push == {
            **push,
            "mode": "push",
            "push_url": "https://vendor.example/notifications",
            "api_key_header": "X-Vendor-Key",
            "realtime_url": "https://vendor.example/realtime",
            "signed": True,
        }
        assert kept.status_code == 303
        assert (still["api_key_header"], still["signed"]) == ("X-Vendor-Key", True)
        assert pulled.status_code == 303
        assert (pull["mode"], pull["push_url"], pull["api_key_header"]) == ("pull", None, None)
        assert (pull["realtime_url"], pull["signed"]) == (None, True)

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"mode": "push"}, "needs a push URL"),
            ({"mode": "push", "push_url": "http://vendor.example/n"}, "https:// URL is needed"),
            ({"mode": "pull", "realtime_url": "ftp://vendor.example"}, "https:// URL"),
            ({"mode": "pull", "api_key_header": "Bad Header"}, "header name"),
            ({"mode": "carrier-pigeon"}, "mode"),
            ({"mode": "pull", "signing": "maybe"}, "signing"),
        ],
        ids=["push-no-url", "plain-http", "realtime-scheme", "header", "mode", "signing"],
    )
    async def test_a_bad_delivery_changes_nothing(
        self, api: Api, vendor: Vendor, form: dict[str, str], message: str
    ) -> None:
        await sign_in(api)
        before = await sandbox_state(api)

        answer = await api.http.post(
            f"/console/clients/{vendor.client_id}/delivery", data=form, headers=SAME_ORIGIN
        )

        assert answer.status_code == 400
        assert message in answer.text
        assert 'id="delivery"' in answer.text
        assert await sandbox_state(api) == before

    async def test_optional_events_are_exactly_the_ticked_ones(
        self, api: Api, vendor: Vendor
    ) -> None:
        await sign_in(api)
        url = f"/console/clients/{vendor.client_id}/events"

        both = await api.http.post(
            url, data={"event": ["address-assigned", "address-unassigned"]}, headers=SAME_ORIGIN
        )
        after_both = (await client_view(api, vendor.client_id))["delivery"]["optional_events"]
        bad = await api.http.post(url, data={"event": ["slot-booked"]}, headers=SAME_ORIGIN)
        after_bad = (await client_view(api, vendor.client_id))["delivery"]["optional_events"]
        none = await api.http.post(url, data={}, headers=SAME_ORIGIN)

        assert (both.status_code, bad.status_code, none.status_code) == (303, 400, 303)
        assert after_both == ["address-assigned", "address-unassigned"]
        assert "not optional events: slot-booked" in bad.text
        assert after_bad == after_both
        assert (await client_view(api, vendor.client_id))["delivery"]["optional_events"] == []

    async def test_rate_limits(self, api: Api, vendor: Vendor) -> None:
        await sign_in(api)
        url = f"/console/clients/{vendor.client_id}/limits"
        form = {
            "read_limit": "5",
            "read_window_seconds": "60",
            "write_limit": "2",
            "write_window_seconds": "30",
        }

        off = await api.http.post(url, data=form, headers=SAME_ORIGIN)
        limits_off = (await client_view(api, vendor.client_id))["rate_limits"]
        bad = await api.http.post(
            url, data={**form, "enabled": "true", "write_limit": "0"}, headers=SAME_ORIGIN
        )
        limits_after_bad = (await client_view(api, vendor.client_id))["rate_limits"]
        on = await api.http.post(url, data={**form, "enabled": "true"}, headers=SAME_ORIGIN)

        assert (off.status_code, bad.status_code, on.status_code) == (303, 400, 303)
        assert limits_off == {
            "enabled": False,
            "read_limit": 5,
            "read_window_seconds": 60,
            "write_limit": 2,
            "write_window_seconds": 30,
        }
        assert "write_limit" in bad.text
        assert limits_after_bad == limits_off
        assert (await client_view(api, vendor.client_id))["rate_limits"]["enabled"] is True

    async def test_revoking_needs_the_confirmation(self, api: Api, vendor: Vendor) -> None:
        await sign_in(api)
        url = f"/console/clients/{vendor.client_id}/revoke"

        unconfirmed = await api.http.post(url, data={}, headers=SAME_ORIGIN)
        after_unconfirmed = (await client_view(api, vendor.client_id))["state"]
        confirmed = await api.http.post(url, data={"confirm": "yes"}, headers=SAME_ORIGIN)
        page = await api.http.get(f"/console/clients/{vendor.client_id}")

        assert unconfirmed.status_code == 400
        assert "Tick the box to confirm revoking the client" in unconfirmed.text
        assert after_unconfirmed == "active"
        assert confirmed.status_code == 303
        assert (await client_view(api, vendor.client_id))["state"] == "revoked"
        assert "revoked" in page.text
        assert "/revoke" not in page.text
        token = await api.http.get("/api/v3/integration/facilities", headers=vendor.headers)
        assert token.status_code == 401


def _shown_once(page: str) -> str:
    """The secret the page shows once (`<code id="secret-value">`)."""
    start = page.index('id="secret-value">') + len('id="secret-value">')
    return page[start : page.index("</code>", start)]


@pytest.mark.usefixtures("real_time_afterwards")
class TestClock:
    async def test_the_page_shows_mode_and_now(self, api: Api) -> None:
        await sign_in(api)

        answer = await api.http.get("/console/clock")

        now = (await clock_view(api))["now"]
        assert answer.status_code == 200
        assert 'id="clock-mode">real<' in answer.text
        assert datetime.fromisoformat(now).isoformat() in answer.text

    @pytest.mark.parametrize("duration", ["PT91M", "91", "pt1h31m"])
    async def test_advancing_moves_the_clock_and_reports_what_ran(
        self, api: Api, duration: str
    ) -> None:
        await sign_in(api)
        before = datetime.fromisoformat((await clock_view(api))["now"])

        answer = await api.http.post(
            "/console/clock/advance", data={"duration": duration}, headers=SAME_ORIGIN
        )
        shown = await api.http.get(answer.headers["location"])

        after = datetime.fromisoformat((await clock_view(api))["now"])
        assert answer.status_code == 303
        assert after - before == timedelta(minutes=91)
        assert after.isoformat() in shown.text
        assert "What ran on the way" in shown.text
        assert "The clock moved forward." in shown.text

    async def test_an_advance_runs_the_due_push_and_says_so(
        self, api: Api, estate: TestEstate
    ) -> None:
        """A push copy waiting on a vendor is delivered on the way; the report counts it."""
        paths: Paths = await published(api, estate)
        receiver = Receiver()
        try:
            await configure(api, estate, push_url=receiver.url)
            await sign_in(api)
            await book(api, paths)

            answer = await api.http.post(
                "/console/clock/advance", data={"duration": "PT1M"}, headers=SAME_ORIGIN
            )
            shown = await api.http.get(answer.headers["location"])
        finally:
            receiver.close()

        assert "delivered=1" in answer.headers["location"]
        assert "1 delivered" in shown.text
        assert len(receiver.posts) == 1

    @pytest.mark.parametrize(
        ("url", "form", "status", "message"),
        [
            ("/console/clock/advance", {"duration": "soon"}, 400, "ISO 8601 duration"),
            ("/console/clock/advance", {"duration": "PT0M"}, 400, "must be positive"),
            ("/console/clock/advance", {"duration": "P99999D"}, 400, "ten years"),
            ("/console/clock/advance", {}, 400, "duration"),
            ("/console/clock/set", {"at": "next tuesday"}, 400, "Not a date and time"),
            ("/console/clock/set", {"at": "2026-01-01T00:00"}, 409, "cannot be set back"),
            ("/console/clock/set", {"at": "2999-01-01T00:00"}, 400, "ten years"),
        ],
        ids=["words", "zero", "too-far", "missing", "set-words", "set-past", "set-too-far"],
    )
    async def test_a_refused_move_leaves_the_clock(
        self, api: Api, url: str, form: dict[str, str], status: int, message: str
    ) -> None:
        await sign_in(api)
        before = await clock_view(api)

        answer = await api.http.post(url, data=form, headers=SAME_ORIGIN)

        assert answer.status_code == status
        assert 'role="alert"' in answer.text
        assert message in answer.text
        assert await clock_view(api) == before

    async def test_a_live_production_client_refuses_time_travel(
        self, api: Api, vendor: Vendor
    ) -> None:
        """Its tokens and retries run on real time: advance is refused with the reason."""
        await sign_in(api)
        await api.container.services.clients.set_environment(vendor.client_id, "production")
        before = await clock_view(api)

        answer = await api.http.post(
            "/console/clock/advance", data={"duration": "PT1H"}, headers=SAME_ORIGIN
        )

        assert answer.status_code == 409
        assert "while an active production API client exists" in answer.text
        assert await clock_view(api) == before

    async def test_set_freeze_and_back_to_real_time(self, api: Api) -> None:
        await sign_in(api)

        moved = await api.http.post(
            "/console/clock/set", data={"at": "2026-01-06T12:00"}, headers=SAME_ORIGIN
        )
        at_noon = await clock_view(api)
        frozen = await api.http.post("/console/clock/freeze", headers=SAME_ORIGIN)
        frozen_view = await clock_view(api)
        frozen_page = await api.http.get("/console/clock")
        real = await api.http.post("/console/clock/real", headers=SAME_ORIGIN)

        assert (moved.status_code, frozen.status_code, real.status_code) == (303, 303, 303)
        assert datetime.fromisoformat(at_noon["now"]) >= datetime.fromisoformat(
            "2026-01-06T12:00:00+00:00"
        )
        assert at_noon["mode"] == "offset"
        assert frozen_view["mode"] == "frozen"
        assert "/console/clock/freeze" not in frozen_page.text
        assert (await clock_view(api))["mode"] == "real"

    async def test_time_travel_does_not_end_the_session(self, api: Api) -> None:
        """Sessions last 12 hours of the wall clock: two days ahead, still signed in."""
        await sign_in(api)

        for _ in range(2):
            answer = await api.http.post(
                "/console/clock/advance", data={"duration": "P1D"}, headers=SAME_ORIGIN
            )
            assert answer.headers["location"].startswith("/console/clock?done=clock-moved")

        assert (await api.http.get("/console/clock")).status_code == 200

    async def test_a_link_cannot_make_the_page_say_words(self, api: Api) -> None:
        """The report comes back as counts only: anything else shows no report."""
        await sign_in(api)
        params = {"done": "clock-moved", "steps": "<b>lots</b>", "attempts": "1"}

        answer = await api.http.get("/console/clock", params=params)

        assert "What ran on the way" not in answer.text
        assert "lots" not in answer.text


# Reset wipes whole databases: these tests have one of their own (SQLite; the reset itself
# is tested on both databases in tests/sandbox/test_reset.py).
@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
async def fresh(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    async for api in isolated.open_fresh(backend, tmp_path):
        yield api


@pytest.fixture
async def unseeded(backend: str, tmp_path: Path) -> AsyncIterator[Api]:
    async for api in isolated.open_fresh(backend, tmp_path, seed=False):
        yield api


class TestReset:
    async def test_reset_goes_back_to_the_snapshot_and_keeps_the_session(self, fresh: Api) -> None:
        await sign_in(fresh)
        seeded = await sandbox_state(fresh)
        created = await fresh.http.post(
            "/console/clients", data={"name": "Made after the seed"}, headers=SAME_ORIGIN
        )
        assert created.status_code == 201

        page = await fresh.http.get("/console/reset")
        answer = await fresh.http.post(
            "/console/reset", data={"confirm": "yes"}, headers=SAME_ORIGIN
        )
        shown = await fresh.http.get(answer.headers["location"])

        assert "hot-path cache" in page.text
        assert answer.status_code == 303
        assert shown.status_code == 200
        assert "The sandbox is back to its snapshot." in shown.text
        assert await sandbox_state(fresh) == seeded

    async def test_without_the_confirmation_nothing_is_reset(self, fresh: Api) -> None:
        await sign_in(fresh)
        await fresh.http.post("/console/clients", data={"name": "Kept"}, headers=SAME_ORIGIN)
        before = await sandbox_state(fresh)

        answer = await fresh.http.post("/console/reset", data={}, headers=SAME_ORIGIN)

        assert answer.status_code == 400
        assert "Tick the box to confirm the reset" in answer.text
        assert await sandbox_state(fresh) == before

    async def test_a_production_client_refuses_the_reset(self, fresh: Api) -> None:
        await sign_in(fresh)
        await fresh.container.services.clients.create("Live vendor", "pl", environment="production")
        before = await sandbox_state(fresh)

        page = await fresh.http.get("/console/reset")
        answer = await fresh.http.post(
            "/console/reset", data={"confirm": "yes"}, headers=SAME_ORIGIN
        )

        assert "Live vendor" in page.text
        assert answer.status_code == 409
        assert "refused while an active production API client exists" in answer.text
        assert await sandbox_state(fresh) == before

    async def test_without_a_snapshot_the_refusal_says_how_to_take_one(self, unseeded: Api) -> None:
        await sign_in(unseeded)
        await unseeded.container.services.clients.create("Someone", "pl")
        before = await sandbox_state(unseeded)

        answer = await unseeded.http.post(
            "/console/reset", data={"confirm": "yes"}, headers=SAME_ORIGIN
        )

        assert answer.status_code == 409
        assert "no snapshot to reset to" in answer.text
        assert await sandbox_state(unseeded) == before
        assert await unseeded.container.services.reset.snapshot_taken_at() is None
