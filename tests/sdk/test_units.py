"""The SDK's own pieces with `httpx.MockTransport`: token caching, error mapping, rate-limit
and retry arithmetic, NOT_GIVEN (STYLE.md §8-9)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

import dpi
from dpi._ratelimit import parse_retry_after
from dpi._retry import RetryPolicy

SECRET = "s3cr3t-never-shown"
TOKEN_BODY = {"access_token": "a" * 40, "expires_in": 3600, "token_type": "bearer", "scope": None}


class Recorder:
    """A mock Docplanner: a token endpoint and `/facilities`, recording what it received."""

    def __init__(self, facilities: list[httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.facilities = facilities or []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/v2/token":
            self.tokens += 1
            return httpx.Response(200, json={**TOKEN_BODY, "access_token": f"{self.tokens:040d}"})
        if self.facilities:
            return self.facilities.pop(0)
        return httpx.Response(200, json={"_items": [{"id": 1, "name": "Clinic", "new": True}]})


class SlowTokens(Recorder):
    """A Recorder whose token endpoint takes a moment, so that concurrent callers overlap."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            time.sleep(0.05)
        with self._lock:
            return super().__call__(request)


class AsyncSlowTokens(httpx.AsyncBaseTransport):
    """SlowTokens for the async client, pausing without blocking the loop."""

    def __init__(self, recorder: SlowTokens) -> None:
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            await asyncio.sleep(0.05)
        await request.aread()
        return Recorder.__call__(self.recorder, request)


def make_client(recorder: Recorder, clock: list[float] | None = None, **options: Any) -> dpi.Client:
    client = dpi.Client(
        "id", SECRET, base_url="https://dp.test", transport=httpx.MockTransport(recorder), **options
    )
    if clock is not None:
        client.auth._clock = lambda: clock[0]
    return client


class TestTokenCache:
    def test_token_request_is_basic_auth_with_a_form_body(self) -> None:
        """The token request is what Docplanner documents: Basic credentials and
        `grant_type=client_credentials&scope=integration` (§2)."""
        recorder = Recorder()

        make_client(recorder).facilities.list()

        token, api = recorder.requests
        assert token.url == "https://dp.test/oauth/v2/token"
        assert token.headers["authorization"].startswith("Basic ")
        assert token.content == b"grant_type=client_credentials&scope=integration"
        assert api.headers["authorization"] == f"Bearer {1:040d}"
        assert api.headers["accept"].startswith("application/vnd.docplanner+json")

    def test_cached_until_shortly_before_expiry(self) -> None:
        """One token serves every call until a minute before `expires_in` runs out (§2)."""
        recorder = Recorder()
        clock = [1000.0]
        client = make_client(recorder, clock)

        client.facilities.list()
        clock[0] += 3500
        client.facilities.list()
        clock[0] += 60
        client.facilities.list()

        assert recorder.tokens == 2

    def test_expiry_under_concurrency_renews_once(self) -> None:
        """When the cached token runs out while 20 threads call at once, one renewal serves
        them all (single flight on refresh too)."""
        recorder = SlowTokens()
        clock = [1000.0]
        client = make_client(recorder, clock)
        client.facilities.list()
        clock[0] += 3600
        barrier = threading.Barrier(20)

        def call(_: int) -> None:
            barrier.wait()
            client.facilities.list()

        with ThreadPoolExecutor(20) as pool:
            list(pool.map(call, range(20)))

        assert recorder.tokens == 2

    async def test_async_expiry_under_concurrency_renews_once(self) -> None:
        """The same for 20 asyncio tasks sharing an AsyncClient."""
        recorder = SlowTokens()
        clock = [1000.0]
        client = dpi.AsyncClient(
            "id", SECRET, base_url="https://dp.test", transport=AsyncSlowTokens(recorder)
        )
        client.auth._clock = lambda: clock[0]
        await client.facilities.list()
        clock[0] += 3600

        await asyncio.gather(*(client.facilities.list() for _ in range(20)))

        assert recorder.tokens == 2

    def test_secret_never_shows(self, caplog: pytest.LogCaptureFixture) -> None:
        """Neither the secret nor a token appears in reprs, logs (httpx/httpcore at DEBUG) or
        error texts."""
        recorder = Recorder([httpx.Response(500, json={"errors": [], "message": "boom"})])
        client = make_client(recorder, retries=0)

        with caplog.at_level(logging.DEBUG), pytest.raises(dpi.ServerError) as failed:
            client.facilities.list()

        shown = " ".join(
            [caplog.text, repr(client), repr(client.auth), str(failed.value), repr(failed.value)]
        )
        assert SECRET not in shown
        assert f"{1:040d}" not in shown
        assert repr(dpi.Secret(SECRET)) == "Secret('**********')"

    def test_token_refusals(self) -> None:
        """A 400 from the token endpoint is still an AuthenticationError, with its RFC 6749
        code (decisions.md "Authorization")."""

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                400, json={"error": "invalid_scope", "error_description": "Unknown scope"}
            )

        client = dpi.Client(
            "id", SECRET, base_url="https://dp.test", transport=httpx.MockTransport(handler)
        )

        with pytest.raises(dpi.AuthenticationError) as refused:
            client.facilities.list()

        assert (refused.value.status, refused.value.oauth_error) == (400, "invalid_scope")
        assert refused.value.message == "Unknown scope"

    def test_a_failing_token_endpoint_is_retried(self) -> None:
        """A 503 from the token endpoint is retried (minting twice is harmless), even for a
        POST call that itself would not be."""
        answers = [
            httpx.Response(503, json={"message": "busy"}),
            httpx.Response(200, json=TOKEN_BODY),
        ]

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/oauth/v2/token":
                return answers.pop(0)
            return httpx.Response(200)

        client = dpi.Client(
            "id",
            SECRET,
            base_url="https://dp.test",
            transport=httpx.MockTransport(handler),
            retries=dpi.RetryPolicy(backoff=0),
        )

        client.calendars.enable(1, 2, 3)

        assert answers == []

    def test_retries_are_logged_without_secrets(self, caplog: pytest.LogCaptureFixture) -> None:
        """Each retry logs method, path, delay and reason on the `dpi` logger, nothing more."""
        recorder = Recorder([httpx.Response(503, json={"message": "busy"})])
        client = make_client(recorder, retries=dpi.RetryPolicy(backoff=0))

        with caplog.at_level(logging.INFO, logger="dpi"):
            client.facilities.list()

        assert caplog.messages == [
            "dpi: retry 1 of GET /api/v3/integration/facilities in 0.00 s (answered 503)"
        ]


class TestModels:
    def test_unknown_fields_are_kept_and_ids_become_strings(self) -> None:
        """Responses keep fields the SDK does not know; numeric ids arrive as strings."""
        [facility] = make_client(Recorder()).facilities.list()

        assert facility.id == "1"
        assert facility.model_extra == {"new": True}

    def test_birth_dates_written_as_date_times_are_read(self) -> None:
        """A birth date sent as a full date-time (the official SDK's habit) reads as a date."""
        patient = dpi.BookingPatient.model_validate({"birth_date": "1985-01-01T00:00:00+01:00"})

        assert patient.birth_date == date(1985, 1, 1)

    def test_an_answer_that_does_not_fit_is_a_dpi_error(self) -> None:
        """A success body the models cannot read raises DpiError (every SDK error is one)."""
        recorder = Recorder([httpx.Response(200, json={"_items": [{"name": "no id"}]})])

        with pytest.raises(dpi.DpiError, match="unreadable answer to getFacilities"):
            make_client(recorder).facilities.list()

    def test_not_given_differs_from_none(self) -> None:
        """PATCH bodies hold only the given fields; None is sent as null (STYLE.md §9)."""
        seen: list[Any] = []

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/token"):
                return httpx.Response(200, json=TOKEN_BODY)
            seen.append(json.loads(request.content))
            return httpx.Response(200, json={"id": "5"})

        client = dpi.Client(
            "id", SECRET, base_url="https://dp.test", transport=httpx.MockTransport(handler)
        )

        client.address_services.update(1, 2, 3, 5, price=None, is_visible=False)
        client.address_services.update(1, 2, 3, 5)

        assert seen == [{"price": None, "is_visible": False}, {}]
        assert not dpi.NOT_GIVEN
        assert repr(dpi.NOT_GIVEN) == "NOT_GIVEN"
        assert dpi.NotGiven() is dpi.NOT_GIVEN

    def test_paths_and_queries_are_percent_encoded(self) -> None:
        """Date-times in paths and queries are ISO 8601 with offset, `+` and `:` encoded, and
        `with` is one comma-joined parameter (wire.md §1.4-1.5)."""
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/token"):
                return httpx.Response(200, json=TOKEN_BODY)
            seen.append(request)
            return httpx.Response(200, json={"_items": []})

        client = dpi.Client(
            "id", SECRET, base_url="https://dp.test", transport=httpx.MockTransport(handler)
        )
        start = datetime(2026, 1, 6, 10, tzinfo=UTC) + timedelta(0)

        client.slots.list(1, 2, 3, start=start, end=start, with_=[dpi.SlotsWith.SERVICES, "x.y"])

        client.slots.list(1, 2, 3, start=start, end=start, with_="slot.services")

        raw = seen[0].url.raw_path.decode()
        assert raw.startswith("/api/v3/integration/facilities/1/doctors/2/addresses/3/slots?")
        assert "start=2026-01-06T10%3A00%3A00%2B00%3A00" in raw
        assert "with=slot.services%2Cx.y" in raw
        assert seen[1].url.params["with"] == "slot.services"  # a bare string is one value


class TestHttpClients:
    def test_an_http_client_passed_in_is_used_and_left_open(self) -> None:
        """`http_client=` sends through the caller's httpx client (its transport, its
        settings) and `close()` leaves it to its owner (STYLE.md §8)."""
        recorder = Recorder()
        own = httpx.Client(transport=httpx.MockTransport(recorder), headers={"X-Tenant": "t1"})

        with dpi.Client("id", SECRET, base_url="https://dp.test", http_client=own) as client:
            client.facilities.list()

        assert recorder.requests[-1].headers["x-tenant"] == "t1"
        assert not own.is_closed
        own.close()

    async def test_async_client_lifecycle(self) -> None:
        """The async client closes its own httpx client on exit."""
        client = dpi.AsyncClient(
            "id", SECRET, base_url="https://dp.test", transport=httpx.MockTransport(Recorder())
        )

        async with client:
            facilities = await client.facilities.list()

        assert [f.name for f in facilities] == ["Clinic"]
        assert client._http.is_closed


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (400, dpi.ValidationError),
            (401, dpi.AuthenticationError),
            (403, dpi.Forbidden),
            (404, dpi.NotFound),
            (405, dpi.DpiError),
            (409, dpi.Conflict),
            (422, dpi.ValidationError),
            (429, dpi.RateLimited),
            (502, dpi.ServerError),
        ],
    )
    def test_statuses_map_to_the_tree(self, status: int, kind: type[dpi.DpiError]) -> None:
        """Each status raises its class of the tree drawn in `dpi._exceptions` (issue #11 §4)."""
        body = {"errors": {"slots[1].end": ["Too far"]}, "message": "Invalid arguments"}
        headers = {"X-Request-Id": "req-1", "X-RateLimit-Limit": "40", "X-RateLimit-Remaining": "0"}
        # A 401 is answered twice: the client renews its token and tries once more.
        answers = 2 if status == 401 else 1
        recorder = Recorder([httpx.Response(status, json=body, headers=headers)] * answers)

        with pytest.raises(dpi.DpiError) as raised:
            make_client(recorder, retries=0).facilities.list()

        assert type(raised.value) is kind
        assert raised.value.status == status
        assert raised.value.errors == {"slots[1].end": ["Too far"]}
        assert raised.value.request_id == "req-1"
        assert raised.value.rate_limit == dpi.RateLimitState(40, 0, None, None)
        assert "slots[1].end: Too far" in str(raised.value)

    def test_connection_error_is_also_the_builtin(self) -> None:
        """`dpi.ConnectionError` is a DpiError and a builtins.ConnectionError."""
        assert issubclass(dpi.ConnectionError, dpi.DpiError)
        assert issubclass(dpi.ConnectionError, ConnectionError)  # the builtin


class TestRateLimitAndRetryArithmetic:
    def test_headers_parse(self) -> None:
        """X-RateLimit-* become a RateLimitState; no headers, no state (§6)."""
        state = dpi.RateLimitState.from_headers(
            {
                "X-RateLimit-Limit": "40",
                "X-RateLimit-Remaining": "12",
                "X-RateLimit-Used": "28",
                "X-RateLimit-Reset": "2026-11-27T19:09:00+01:00",
            }
        )

        assert state is not None
        assert (state.limit, state.remaining, state.used) == (40, 12, 28)
        assert state.seconds_until_reset(datetime(2026, 11, 27, 18, 8, tzinfo=UTC)) == 60
        assert dpi.RateLimitState.from_headers({}) is None

    def test_retry_after_forms_and_bad_values(self) -> None:
        """Retry-After may be seconds or an HTTP date; unreadable headers count as absent."""
        now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

        assert parse_retry_after({"Retry-After": "12"}, now) == 12
        assert parse_retry_after({"retry-after": "Mon, 05 Jan 2026 08:00:30 GMT"}, now) == 30
        assert parse_retry_after({"Retry-After": "soon"}, now) is None
        assert parse_retry_after({}, now) is None
        odd = dpi.RateLimitState.from_headers(
            {"X-RateLimit-Limit": "many", "X-RateLimit-Reset": "2026-01-05T09:00:00"}
        )
        assert odd == dpi.RateLimitState(None, None, None, None)  # a reset needs an offset

    def test_backoff_doubles_with_jitter_and_a_cap(self) -> None:
        """Delays grow 0.5, 1, 2... within ±jitter, never beyond max_backoff."""
        policy = RetryPolicy(max_retries=10, backoff=0.5, max_backoff=4, jitter=0.2)

        delays = [policy.delay_after_error(n, "GET") for n in range(6)]

        for n, delay in enumerate(delays):
            base = min(4, 0.5 * 2**n)
            assert delay is not None
            assert base * 0.8 <= delay <= base * 1.2

    def test_what_is_retried(self) -> None:
        """5xx and 429 on idempotent methods; never 4xx; POST only when asked; a wait longer
        than max_wait is not waited for."""
        policy = RetryPolicy(jitter=0)
        request = httpx.Request("GET", "https://dp.test/x")
        post = httpx.Request("POST", "https://dp.test/x")

        def answer(
            status: int, req: httpx.Request = request, retry_after: str | None = None
        ) -> httpx.Response:
            headers = {} if retry_after is None else {"Retry-After": retry_after}
            return httpx.Response(status, headers=headers, request=req)

        assert policy.delay_after_response(0, answer(503)) == 0.5
        assert policy.delay_after_response(0, answer(429, retry_after="7")) == 7
        assert policy.delay_after_response(0, answer(429, retry_after="3600")) is None
        assert policy.delay_after_response(0, answer(404)) is None
        assert policy.delay_after_response(2, answer(503)) is None
        assert policy.delay_after_response(0, answer(503, post)) is None
        assert RetryPolicy(retry_non_idempotent=True).delay_after_response(0, answer(503, post))
        assert policy.delay_after_error(0, "PATCH") is None
