"""The web pages over HTTP (httpx on the in-process app): sign-in, the CSRF check, and every
page's forms, which change state through the use cases or answer the page again with the
error (400 or the error's own 4xx) and change nothing. Issue #10 items 6 and 7."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from dpi_server.api.app import ApiOptions, create_app
from dpi_server.domain.actors import OperatorActor, PatientActor
from dpi_server.sandbox.pages.session import COOKIE
from dpi_server.services.bookings import BookingWindow
from dpi_server.services.operator_auth import OperatorAuthService
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import Answer, Receiver, configure, ref
from tests.conftest import Api
from tests.pages.support import (
    OPERATOR_TOKEN,
    ORIGIN,
    SAME_ORIGIN,
    TUESDAY_9,
    TUESDAY_10,
    Paths,
    book,
    book_form,
    published,
    sign_in,
)

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


WEEK_START = datetime(2026, 1, 5, tzinfo=ZoneInfo("Europe/Warsaw"))


async def booked_visits(api: Api, estate: TestEstate) -> list[tuple[int, datetime]]:
    """(id, start) of the address's booked visits this week, read through the use cases."""
    services = api.container.services
    scope = await services.access.address(PatientActor(), ref(estate))
    window = BookingWindow(WEEK_START, WEEK_START + timedelta(days=7))
    page = await services.bookings.list(scope, window)
    return [(v.booking.id, v.booking.start) for v in page.views if v.booking.is_booked]


@pytest.fixture
async def paths(api: Api, estate: TestEstate) -> Paths:
    return await published(api, estate)


class TestSignIn:
    @pytest.mark.parametrize(
        "page", ["/console", "/console/notifications", "/marketplace/1/1/1", "/doctor/1/1/1"]
    )
    async def test_protected_pages_redirect_to_the_sign_in_form(self, api: Api, page: str) -> None:
        """Without a session every page but `/` answers 303 to `/sign-in?next=<page>`."""
        answer = await api.http.get(page)

        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=" + page.replace("/", "%2F")

    async def test_a_wrong_token_answers_the_form_again(self, api: Api) -> None:
        """A token that is not the operator's: 400, the form with the error, no cookie."""
        await api.operator_headers()

        answer = await api.http.post(
            "/sign-in", data={"token": "not-the-token-0123456789abc"}, headers=SAME_ORIGIN
        )

        assert answer.status_code == 400
        assert "not an operator token" in answer.text
        assert COOKIE not in answer.cookies

    async def test_the_session_cookie_is_httponly_secure_and_strict(self, api: Api) -> None:
        """The right token sets an HttpOnly, Secure, SameSite=Strict session, which opens
        the console; the token itself is not in the cookie."""
        await api.operator_headers()

        answer = await api.http.post(
            "/sign-in", data={"token": OPERATOR_TOKEN, "next": "/console"}, headers=SAME_ORIGIN
        )
        console = await api.http.get("/console")

        cookie = answer.headers["set-cookie"].lower()
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console?done=signed-in"
        assert {"httponly", "secure", "samesite=strict"} <= {p.strip() for p in cookie.split(";")}
        assert OPERATOR_TOKEN.lower() not in cookie
        assert console.status_code == 200

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "console"]
    )
    async def test_next_never_leaves_the_server(self, api: Api, target: str) -> None:
        """`next` naming another site (or anything but a path here) is replaced by `/`."""
        await api.operator_headers()

        answer = await api.http.post(
            "/sign-in", data={"token": OPERATOR_TOKEN, "next": target}, headers=SAME_ORIGIN
        )

        assert answer.headers["location"] == "/?done=signed-in"

    async def test_sign_out_ends_the_session(self, api: Api) -> None:
        """After signing out the old cookie value no longer opens a page."""
        value = await sign_in(api)

        out = await api.http.post("/sign-out", headers=SAME_ORIGIN)
        api.http.cookies.set(COOKIE, value, domain="testserver")
        again = await api.http.get("/console")

        assert out.status_code == 303
        assert again.status_code == 303

    async def test_an_expired_session_is_refused(self, api: Api) -> None:
        """Sessions last 12 hours on the server's clock."""
        await sign_in(api)

        api.clock.advance(hours=12, seconds=1)
        answer = await api.http.get("/console")

        assert answer.status_code == 303

    async def test_a_session_holds_in_every_process_and_cannot_be_forged(self, api: Api) -> None:
        """The cookie is signed with the token's stored hash: another process (another
        OperatorAuthService on the same database) accepts it; a changed value is refused."""
        value = await sign_in(api)
        services = api.container.services
        other_process = OperatorAuthService(services.uow, services.clock)
        expiry, _, mac = value.partition(".")

        accepted = await other_process.session(value)
        later = await other_process.session(f"{int(expiry) + 3600}.{mac}")
        garbage = await other_process.session("not-a-session")

        assert accepted is not None
        assert later is None
        assert garbage is None

    @pytest.mark.parametrize(
        ("origin", "warned"), [("http://lan.example", True), ("http://localhost", False)]
    )
    async def test_plain_http_off_loopback_warns_that_the_cookie_is_lost(
        self, api: Api, origin: str, warned: bool
    ) -> None:
        """Over `--insecure-http` a browser keeps a Secure cookie only for loopback names."""
        app = create_app(
            api.container.services,
            ApiOptions(redirect_plain_http=False, trusted_hosts=("lan.example",)),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=origin) as plain:
            answer = await plain.get("/sign-in")

        assert answer.status_code == 200
        assert ("served over plain HTTP" in answer.text) is warned


class TestCsrf:
    @pytest.mark.parametrize(
        "headers",
        [{}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}],
        ids=["no-origin", "foreign-origin", "foreign-referer"],
    )
    async def test_a_form_from_elsewhere_is_refused_and_changes_nothing(
        self, api: Api, estate: TestEstate, paths: Paths, headers: dict[str, str]
    ) -> None:
        """A signed-in browser posting a form another site made: 403, nothing booked."""
        await sign_in(api)

        answer = await api.http.post(
            paths.marketplace + "/book", data=book_form(TUESDAY_9, paths.service), headers=headers
        )

        assert answer.status_code == 403
        assert "not posted from this server" in answer.text
        assert await booked_visits(api, estate) == []

    async def test_the_sign_in_form_is_checked_too(self, api: Api) -> None:
        """Login CSRF: the sign-in form from another origin is refused."""
        await api.operator_headers()

        answer = await api.http.post(
            "/sign-in", data={"token": OPERATOR_TOKEN}, headers={"Origin": "https://evil.example"}
        )

        assert answer.status_code == 403
        assert COOKIE not in answer.cookies

    async def test_a_referer_of_our_own_origin_is_enough(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)

        answer = await api.http.post(
            paths.marketplace + "/book",
            data=book_form(TUESDAY_9, paths.service),
            headers={"Referer": ORIGIN + paths.marketplace},
        )

        assert answer.status_code == 303
        assert len(await booked_visits(api, estate)) == 1


class TestHome:
    async def test_signed_out_it_shows_the_estate_but_no_credentials(
        self, api: Api, estate: TestEstate
    ) -> None:
        # The session's database holds many estates and the page lists a bounded number of
        # them (OVERVIEW_LIMIT): check the links of the first facility it lists.
        overview = await api.container.services.estate_admin.overview(OperatorActor())
        f, d, a = next(
            (o.facility.id, at.doctor.id, at.addresses[0].id)
            for o in overview
            for at in o.doctors
            if at.addresses
        )

        answer = await api.http.get("/")

        assert answer.status_code == 200
        assert f"/marketplace/{f}/{d}/{a}" in answer.text
        assert f"/doctor/{f}/{d}/{a}" in answer.text
        assert {"/docs", "/redoc", "/openapi.json"} <= set(_REFERENCE.findall(answer.text))
        assert estate.client_id not in answer.text

    async def test_signed_in_it_shows_the_client_id_and_where_the_secret_is(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The client id and URLs with copy buttons; the secret is never shown (only its
        hash is stored), the page names the credentials file instead."""
        await sign_in(api)

        answer = await api.http.get("/")

        assert f'data-copy="{estate.client_id}"' in answer.text
        assert f'data-copy="{ORIGIN}/oauth/v2/token"' in answer.text
        assert "demo-credentials.json" in answer.text
        assert estate.client_secret not in answer.text

    async def test_pages_run_only_their_own_scripts_and_are_never_framed(self, api: Api) -> None:
        answer = await api.http.get("/")

        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("page", ["/", "/sign-in"])
    async def test_every_asset_is_local_and_served(self, api: Api, page: str) -> None:
        """Nothing comes from another host, and every referenced asset answers 200."""
        answer = await api.http.get(page)

        urls = _REFERENCE.findall(answer.text)
        assert [u for u in urls if urlsplit(u).netloc or urlsplit(u).scheme] == []
        for url in (u for u in urls if u.startswith("/static/")):
            assert (await api.http.get(url)).status_code == 200, url

    async def test_pages_are_not_in_the_openapi_document(self, api: Api) -> None:
        document = (await api.http.get("/openapi.json")).json()

        assert not [
            p
            for p in document["paths"]
            if p.startswith(("/marketplace", "/doctor", "/console", "/sign"))
        ]
        assert "/" not in document["paths"]


class TestMarketplace:
    async def test_the_week_shows_the_free_slots(self, api: Api, paths: Paths) -> None:
        await sign_in(api)

        answer = await api.http.get(paths.marketplace)
        chosen = await api.http.get(paths.marketplace, params={"slot": TUESDAY_10})

        assert answer.status_code == 200
        assert answer.text.count('class="slot') == 6  # 09:00 to 11:30
        assert "Book this visit" not in answer.text
        assert "No availability was ever published" not in answer.text
        assert f'value="{TUESDAY_10}"' in chosen.text
        assert f'value="{paths.service}:30"' in chosen.text

    async def test_booking_cancelling_and_moving_as_a_patient(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)

        booked = await book(api, paths)
        [(visit, start)] = await booked_visits(api, estate)
        moved = await api.http.post(
            f"{paths.marketplace}/bookings/{visit}/move",
            data={"start": TUESDAY_10},
            headers=SAME_ORIGIN,
        )
        [(new_visit, new_start)] = await booked_visits(api, estate)
        page = await api.http.get(moved.headers["location"])
        canceled = await api.http.post(
            f"{paths.marketplace}/bookings/{new_visit}/cancel",
            data={"reason": "ill"},
            headers=SAME_ORIGIN,
        )

        assert booked.status_code == 303
        assert booked.headers["location"].endswith("week=2026-01-05&done=booked")
        assert start == datetime.fromisoformat(TUESDAY_9)
        assert moved.status_code == 303
        assert (new_start, new_visit != visit) == (datetime.fromisoformat(TUESDAY_10), True)
        assert "The visit is moved." in page.text
        assert "Anna Nowak" in page.text
        assert canceled.status_code == 303
        assert await booked_visits(api, estate) == []

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"phone": "call me"}, "phone"),
            ({"name": ""}, "name"),
            ({"service": "x"}, "Choose one of the slot"),
            ({"start": "tomorrow"}, "Not a date and time"),
        ],
        ids=["bad-phone", "no-name", "bad-service", "bad-start"],
    )
    async def test_a_bad_form_answers_400_and_books_nothing(
        self, api: Api, estate: TestEstate, paths: Paths, change: dict[str, str], message: str
    ) -> None:
        await sign_in(api)

        answer = await book(api, paths, **change)

        assert answer.status_code == 400
        assert 'role="alert"' in answer.text
        assert message in answer.text
        assert "Traceback" not in answer.text
        assert await booked_visits(api, estate) == []

    async def test_what_a_person_typed_is_shown_as_text(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        """Names are escaped in every page that shows them: markup stays text."""
        await sign_in(api)
        await book(api, paths, name="<b>Anna</b>")

        market = await api.http.get(paths.marketplace)
        doctor = await api.http.get(paths.doctor_page)

        for page in (market, doctor):
            assert "&lt;b&gt;Anna&lt;/b&gt;" in page.text
            assert "<b>Anna</b>" not in page.text

    async def test_a_taken_slot_shows_the_domain_error(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)
        await book(api, paths)

        again = await book(api, paths)

        assert 400 <= again.status_code < 500
        assert 'role="alert"' in again.text
        assert len(await booked_visits(api, estate)) == 1

    async def test_the_real_time_gates_denial_is_shown_with_its_error_code(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        """behaviour.md §12: the vendor's 4xx `{"error_code": 7}` reaches the patient."""
        vendor = Receiver(answer=lambda _r: Answer(409, b'{"error_code": 7}'))
        try:
            await configure(api, estate, realtime_url=vendor.url)
            await sign_in(api)

            answer = await book(api, paths)
        finally:
            vendor.close()

        assert answer.status_code == 409
        assert "not accepted by the clinic" in answer.text
        assert "error_code 7" in answer.text
        assert len(vendor.posts) == 1
        assert await booked_visits(api, estate) == []

    async def test_an_address_without_availability_says_so(
        self, api: Api, estate: TestEstate
    ) -> None:
        await sign_in(api)
        f, d, a = estate.extra["address_paths"][0]

        answer = await api.http.get(f"/marketplace/{f}/{d}/{a}")

        assert answer.status_code == 200
        assert "No availability was ever published" in answer.text

    async def test_an_unknown_address_is_a_404_page(self, api: Api) -> None:
        await sign_in(api)

        answer = await api.http.get("/marketplace/999999/1/1")

        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")


class TestDoctor:
    async def test_breaks_are_added_moved_and_removed(self, api: Api, paths: Paths) -> None:
        await sign_in(api)
        page = paths.doctor_page

        added = await api.http.post(
            page + "/breaks?week=2026-01-05",
            data={"since": "2026-01-06T10:00", "till": "2026-01-06T10:30", "description": "Coffee"},
            headers=SAME_ORIGIN,
        )
        shown = await api.http.get(added.headers["location"])
        [break_id] = re.findall(r"/breaks/(\d+)/move", shown.text)
        moved = await api.http.post(
            f"{page}/breaks/{break_id}/move",
            data={"since": "2026-01-06T11:00", "till": "2026-01-06T11:30"},
            headers=SAME_ORIGIN,
        )
        after_move = await api.http.get(page)
        slots = await api.http.get(paths.marketplace)
        removed = await api.http.post(f"{page}/breaks/{break_id}/delete", headers=SAME_ORIGIN)
        after_remove = await api.http.get(page)

        assert (added.status_code, moved.status_code, removed.status_code) == (303, 303, 303)
        assert "Coffee" in shown.text
        assert "The break is added." in shown.text
        assert 'value="2026-01-06T11:00"' in after_move.text
        assert slots.text.count('class="slot') == 5  # 11:00 is taken by the break
        assert f"break {break_id}" not in after_remove.text

    async def test_a_bad_break_answers_the_page_with_the_error(
        self, api: Api, paths: Paths
    ) -> None:
        await sign_in(api)

        backwards = await api.http.post(
            paths.doctor_page + "/breaks",
            data={"since": "2026-01-06T11:00", "till": "2026-01-06T10:00"},
            headers=SAME_ORIGIN,
        )
        garbage = await api.http.post(
            paths.doctor_page + "/breaks",
            data={"since": "soon", "till": "later"},
            headers=SAME_ORIGIN,
        )
        page = await api.http.get(paths.doctor_page)

        assert backwards.status_code == 422
        assert "Invalid date range" in backwards.text
        assert garbage.status_code == 400
        assert "No break this week." in page.text

    async def test_presence_of_a_past_visit(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)
        await book(api, paths)
        [(visit, _)] = await booked_visits(api, estate)
        before = await api.http.get(paths.doctor_page)
        future = await api.http.post(
            f"{paths.doctor_page}/bookings/{visit}/presence",
            data={"presence": "present"},
            headers=SAME_ORIGIN,
        )

        api.clock.advance(days=1, hours=2)
        await sign_in(api)  # sessions last 12 hours
        marked = await api.http.post(
            f"{paths.doctor_page}/bookings/{visit}/presence",
            data={"presence": "absent"},
            headers=SAME_ORIGIN,
        )
        bad = await api.http.post(
            f"{paths.doctor_page}/bookings/{visit}/presence",
            data={"presence": "maybe"},
            headers=SAME_ORIGIN,
        )
        after = await api.http.get(paths.doctor_page)

        assert "/presence" not in before.text  # a future visit offers no presence buttons
        assert future.status_code == 400
        assert marked.status_code == 303
        assert marked.headers["location"].endswith("done=presence")
        assert bad.status_code == 400
        assert "ABSENT" in after.text.upper()

    async def test_address_services_are_created_changed_and_deleted(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)
        page = await api.http.get(paths.doctor_page)
        add_form = page.text.split('action="' + paths.doctor_page + "/services?", 1)[1]
        choice = re.findall(r'<option value="(\d+)">', add_form)[0]

        added = await api.http.post(
            paths.doctor_page + "/services",
            data={"service_id": choice, "price": "150", "default_duration": "20"},
            headers=SAME_ORIGIN,
        )
        shown = await api.http.get(paths.doctor_page)
        created = max(int(x) for x in re.findall(r"address service (\d+)", shown.text))
        bad = await api.http.post(
            f"{paths.doctor_page}/services/{created}", data={"price": "-5"}, headers=SAME_ORIGIN
        )
        changed = await api.http.post(
            f"{paths.doctor_page}/services/{created}",
            data={"price": "200", "is_visible": "true"},
            headers=SAME_ORIGIN,
        )
        after_change = await api.http.get(paths.doctor_page)
        deleted = await api.http.post(
            f"{paths.doctor_page}/services/{created}/delete", headers=SAME_ORIGIN
        )
        after_delete = await api.http.get(paths.doctor_page)

        assert (added.status_code, changed.status_code, deleted.status_code) == (303, 303, 303)
        assert bad.status_code == 400
        assert 'value="200"' in after_change.text
        assert f"address service {created}" not in after_delete.text


class TestConsole:
    async def test_clients_with_delivery_model_and_rate_limits(
        self, api: Api, estate: TestEstate
    ) -> None:
        await sign_in(api)

        answer = await api.http.get("/console")

        assert estate.client_id in answer.text
        assert "pull" in answer.text
        assert 'aria-label="Console sections"' in answer.text

    async def test_the_notification_log_and_its_json_twin(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)
        await book(api, paths)

        page = await api.http.get("/console/notifications", params={"client": estate.client_id})
        live = await api.http.get(
            "/console/notifications.json", params={"client": estate.client_id}
        )
        queued = await api.http.get(
            "/console/notifications.json", params={"client": estate.client_id, "state": "pulled"}
        )

        assert "slot-booked" in page.text
        assert [(c["name"], c["state"]) for c in live.json()["copies"]] == [
            ("slot-booked", "queued")
        ]
        assert queued.json()["copies"] == []

    async def test_one_copy_shows_its_body_and_attempts(
        self, api: Api, estate: TestEstate, paths: Paths
    ) -> None:
        await sign_in(api)
        await book(api, paths)
        [copy] = await api.container.services.notification_admin.list_copies(estate.client_id)

        page = await api.http.get(f"/console/notifications/{copy.delivery_id}")
        missing = await api.http.get("/console/notifications/999999999")

        assert page.status_code == 200
        assert (
            "&#34;name&#34;: &#34;slot-booked&#34;" in page.text
            or '"name": "slot-booked"' in page.text
        )
        assert "Nowak" in page.text
        assert "No attempt" in page.text
        assert missing.status_code == 404

    @pytest.mark.parametrize(
        "params", [{"state": "lost"}, {"client": "nobody"}], ids=["bad-state", "bad-client"]
    )
    async def test_bad_filters_answer_400(self, api: Api, params: dict[str, str]) -> None:
        await sign_in(api)

        page = await api.http.get("/console/notifications", params=params)
        live = await api.http.get("/console/notifications.json", params=params)

        assert page.status_code == 400
        assert 'role="alert"' in page.text
        assert live.status_code == 400
        assert live.json()["message"]

    async def test_the_json_log_needs_a_session(self, api: Api) -> None:
        answer = await api.http.get("/console/notifications.json")

        assert answer.status_code == 303
