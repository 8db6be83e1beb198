"""The sync `dpi.Client` against dpi on a real HTTPS port, and both clients under concurrency
and injected failures (a real reverse proxy in front of the real app)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import dpi
from dpi_server.testing.estate import TestEstate
from tests.sdk.conftest import Place, place
from tests.sdk.servers import Fault, FaultProxy, LiveDpi

WARSAW = ZoneInfo("Europe/Warsaw")
TUE = datetime(2026, 1, 6, tzinfo=WARSAW)


def credentials_file(live: LiveDpi, estate: TestEstate, folder: Path) -> Path:
    """A demo-credentials.json as `dpi serve` writes it."""
    path = folder / "demo-credentials.json"
    path.write_text(
        json.dumps(
            {
                "client_id": estate.client_id,
                "client_secret": estate.client_secret,
                "token_url": f"{live.url}/oauth/v2/token",
                "api_base_url": f"{live.url}/api/v3/integration",
                "ca_cert": str(live.ca_cert),
            }
        )
    )
    return path


def sync_client(proxy: FaultProxy, estate: TestEstate, **options: object) -> dpi.Client:
    return dpi.Client(estate.client_id, estate.client_secret, base_url=proxy.url, **options)  # type: ignore[arg-type]


class TestSyncClientOverTls:
    def test_round_trip_from_a_credentials_file(self, live: LiveDpi, tmp_path: Path) -> None:
        """from_credentials_file trusts dpi's `ca_cert`; publish, read, book, read back, over
        real HTTPS (README "Python SDK")."""
        estate = live.estate()
        p = place(estate)
        service = str(estate.address_service_ids[0])

        with dpi.Client.from_credentials_file(credentials_file(live, estate, tmp_path)) as client:
            client.slots.replace(
                *p.ids,
                [
                    {
                        "start": TUE.replace(hour=10),
                        "end": TUE.replace(hour=11),
                        "address_services": [{"address_service_id": service, "duration": 30}],
                    }
                ],
            )
            slots = client.slots.list(*p.ids, start=TUE, end=TUE + timedelta(days=1))
            booked = client.slots.book(
                *p.ids,
                slots[0].start,
                address_service_id=service,
                duration=30,
                patient=dpi.Patient(name="Anna", phone="+48500600700"),
            )
            read = client.bookings.get(*p.ids, booked.id)
            everything = list(
                client.bookings.iter_all(*p.ids, start=TUE, end=TUE + timedelta(days=1))
            )
            client.slots.delete(*p.ids, date(2026, 1, 6))

        assert [s.start.hour for s in slots] == [10, 10]
        assert read.patient is not None
        assert read.patient.name == "Anna"
        assert [b.id for b in everything] == [booked.id]

    def test_unknown_ca_is_a_connection_error(self, live: LiveDpi) -> None:
        """Without dpi's CA the TLS handshake fails: ConnectionError, not retried forever."""
        estate = live.estate()

        with (
            dpi.Client(
                estate.client_id, estate.client_secret, base_url=live.url, retries=0
            ) as client,
            pytest.raises(dpi.ConnectionError) as failed,
        ):
            client.facilities.list()

        assert failed.value.status is None
        assert estate.client_secret not in str(failed.value)

    def test_for_locale_points_at_the_marketplace(self) -> None:
        """for_locale("pl") → https://www.znanylekarz.pl, tokens from /oauth/v2/token (§1)."""
        client = dpi.Client.for_locale("pl", "id", "secret")

        assert client.base_url == "https://www.znanylekarz.pl"
        assert client.auth.token_url == "https://www.znanylekarz.pl/oauth/v2/token"
        assert "secret" not in repr(client) + repr(client.auth)
        with pytest.raises(ValueError, match="unknown locale"):
            dpi.Client.for_locale("xx", "id", "secret")


class TestSingleFlightToken:
    def test_twenty_threads_fetch_one_token(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """20 threads sharing one Client start together with no token: exactly one token
        request reaches the server, and all 20 calls succeed (issue #11 acceptance)."""
        estate = live.estate()
        barrier = threading.Barrier(20)

        with sync_client(proxy, estate) as client:

            def call(_: int) -> int:
                barrier.wait()
                return len(client.facilities.list())

            with ThreadPoolExecutor(20) as pool:
                counts = list(pool.map(call, range(20)))

        assert counts == [2] * 20
        assert proxy.count("POST", "/oauth/v2/token") == 1
        assert client.auth.fetches == 1

    async def test_twenty_tasks_fetch_one_token(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """20 asyncio tasks sharing one AsyncClient: exactly one token request."""
        estate = await asyncio.to_thread(live.estate)

        async with dpi.AsyncClient(
            estate.client_id, estate.client_secret, base_url=proxy.url
        ) as client:
            results = await asyncio.gather(*(client.facilities.list() for _ in range(20)))

        assert [len(r) for r in results] == [2] * 20
        assert proxy.count("POST", "/oauth/v2/token") == 1

    def test_a_401_renews_the_token_once(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """A 401 (a revoked or expired token) makes the client fetch a new token and send the
        request again, once; a second 401 is raised (§2)."""
        estate = live.estate()
        with sync_client(proxy, estate) as client:
            client.facilities.list()
            proxy.faults.append(Fault(401, "GET", "/facilities"))

            client.facilities.list()
            proxy.faults.extend(
                [Fault(401, "GET", "/facilities"), Fault(401, "GET", "/facilities")]
            )
            with pytest.raises(dpi.AuthenticationError):
                client.facilities.list()

        assert proxy.count("POST", "/oauth/v2/token") == 3


class TestRetries:
    def test_503s_are_retried_until_success(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """Two 503s in a row, then the real answer: a GET recovers within the default budget
        of 2 retries, with backoff between attempts (§6 "use exponential backoff")."""
        estate = live.estate()
        proxy.faults.extend([Fault(503, "GET", "/facilities"), Fault(503, "GET", "/facilities")])
        policy = dpi.RetryPolicy(backoff=0.05)

        with sync_client(proxy, estate, retries=policy) as client:
            facilities = client.facilities.list()

        attempts = [s for s in proxy.seen if s.path.endswith("/facilities")]
        assert len(facilities) == 2
        assert [s.status for s in attempts] == [503, 503, 200]
        assert attempts[2].at - attempts[1].at >= 0.05

    def test_retry_after_is_honoured(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """A 429 with `Retry-After: 1` is retried after at least that second (§6)."""
        estate = live.estate()
        proxy.faults.append(Fault(429, "GET", "/facilities", headers={"Retry-After": "1"}))

        with sync_client(proxy, estate) as client:
            client.facilities.list()

        attempts = [s for s in proxy.seen if s.path.endswith("/facilities")]
        assert [s.status for s in attempts] == [429, 200]
        assert attempts[1].at - attempts[0].at >= 1.0

    def test_rate_limit_reset_is_honoured(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """A 429 without Retry-After waits until `X-RateLimit-Reset` (§6)."""
        estate = live.estate()
        reset = datetime.now(WARSAW) + timedelta(seconds=1.5)
        proxy.faults.append(
            Fault(429, "GET", "/facilities", headers={"X-RateLimit-Reset": reset.isoformat()})
        )

        with sync_client(proxy, estate) as client:
            client.facilities.list()

        attempts = [s for s in proxy.seen if s.path.endswith("/facilities")]
        assert [s.status for s in attempts] == [429, 200]
        assert attempts[1].wall >= reset.timestamp() - 0.01

    def test_budget_exhausted_raises_the_last_error(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """After max_retries the last answer is raised (ServerError for a 503)."""
        estate = live.estate()
        proxy.faults.extend([Fault(503, "GET", "/facilities") for _ in range(3)])

        policy = dpi.RetryPolicy(max_retries=1, backoff=0)
        with (
            sync_client(proxy, estate, retries=policy) as c,
            pytest.raises(dpi.ServerError) as failed,
        ):
            c.facilities.list()

        assert failed.value.status == 503
        assert len([s for s in proxy.seen if s.path.endswith("/facilities")]) == 2

    def test_a_post_is_not_retried_unless_asked(self, live: LiveDpi, proxy: FaultProxy) -> None:
        """bookSlot answered 503 is raised at once (the visit may exist); with `retry=True` the
        same call is retried and books (issue #11 acceptance)."""
        estate = live.estate()
        p = place(estate)
        service = str(estate.address_service_ids[0])
        with sync_client(proxy, estate, retries=dpi.RetryPolicy(backoff=0)) as client:
            client.slots.replace(
                *p.ids,
                [
                    dpi.WorkPeriod(
                        start=TUE.replace(hour=10),
                        end=TUE.replace(hour=11),
                        address_services=[
                            dpi.PeriodService(address_service_id=service, duration=30)
                        ],
                    )
                ],
            )
            proxy.faults.extend([Fault(503, "POST", "/book"), Fault(503, "POST", "/book")])

            with pytest.raises(dpi.ServerError):
                book_ten(client, p, service)
            booked = book_ten(client, p, service, retry=True)

        assert [s.status for s in proxy.seen if s.path.endswith("/book")] == [503, 503, 200]
        assert booked.status == "booked"

    def test_connection_errors_are_retried(self, live: LiveDpi) -> None:
        """A refused connection is retried, then raised as ConnectionError."""
        estate = live.estate()
        started = time.monotonic()

        with (
            dpi.Client(
                estate.client_id,
                estate.client_secret,
                base_url="http://127.0.0.1:9",  # discard port: nothing listens
                retries=dpi.RetryPolicy(max_retries=2, backoff=0.1, jitter=0),
            ) as client,
            pytest.raises(dpi.ConnectionError),
        ):
            client.facilities.list()

        assert time.monotonic() - started >= 0.3  # 0.1 + 0.2 of backoff


def book_ten(
    client: dpi.Client, p: Place, service: str, phone: str = "+48500000003", **options: Any
) -> dpi.Booking:
    """Book Tuesday 10:00 for 30 minutes for patient Ola."""
    return client.slots.book(
        *p.ids,
        TUE.replace(hour=10),
        address_service_id=service,
        duration=30,
        patient={"name": "Ola", "phone": phone},
        **options,
    )


class TestSafeRetry:
    """bookSlot and moveBooking have no idempotency key; `safe_retry` looks before it
    repeats them (issue #11 "go beyond where the Docplanner API needs it")."""

    def _open(self, client: dpi.Client, estate: TestEstate) -> str:
        service = str(estate.address_service_ids[0])
        client.slots.replace(
            *place(estate).ids,
            [
                dpi.WorkPeriod(
                    start=TUE.replace(hour=10),
                    end=TUE.replace(hour=12),
                    address_services=[dpi.PeriodService(address_service_id=service, duration=30)],
                )
            ],
        )
        return service

    def test_a_booking_whose_answer_was_lost_is_found_not_repeated(
        self, live: LiveDpi, proxy: FaultProxy
    ) -> None:
        """The server booked but the 200 became a 503 on the way back: the client finds the
        booking by patient and start and answers it; bookSlot was sent once."""
        estate = live.estate()
        p = place(estate)
        with sync_client(proxy, estate, retries=dpi.RetryPolicy(backoff=0)) as client:
            service = self._open(client, estate)
            proxy.faults.append(Fault(503, "POST", "/book", forward=True))

            booked = book_ten(client, p, service, phone="+48 500 000 003", safe_retry=True)
            page = client.bookings.list(*p.ids, start=TUE, end=TUE + timedelta(days=1))

        assert proxy.count("POST", "/book") == 1
        assert [b.id for b in page.items] == [booked.id]
        assert booked.start_at == TUE.replace(hour=10)

    def test_a_booking_that_never_arrived_is_sent_again(
        self, live: LiveDpi, proxy: FaultProxy
    ) -> None:
        """The 503 came before the server: the lookup finds nothing and bookSlot is retried."""
        estate = live.estate()
        p = place(estate)
        with sync_client(proxy, estate, retries=dpi.RetryPolicy(backoff=0)) as client:
            service = self._open(client, estate)
            proxy.faults.append(Fault(503, "POST", "/book"))

            booked = book_ten(client, p, service, safe_retry=True)

        assert [s.status for s in proxy.seen if s.path.endswith("/book")] == [503, 200]
        assert booked.status == "booked"

    def test_a_move_whose_answer_was_lost_answers_the_new_booking(
        self, live: LiveDpi, proxy: FaultProxy
    ) -> None:
        """A lost moveBooking answer is recovered from the old booking's `moving` data."""
        estate = live.estate()
        p = place(estate)
        with sync_client(proxy, estate, retries=dpi.RetryPolicy(backoff=0)) as client:
            service = self._open(client, estate)
            first = book_ten(client, p, service)
            proxy.faults.append(Fault(502, "POST", "/move", forward=True))

            moved = client.bookings.move(
                *p.ids,
                first.id,
                start=TUE.replace(hour=11),
                address_service_id=service,
                safe_retry=True,
            )

        assert proxy.count("POST", "/move") == 1
        assert moved.id != first.id
        assert moved.start_at == TUE.replace(hour=11)


class TestEveryMethodSync:
    def test_every_operation_once_over_https(self, live: LiveDpi) -> None:
        """The generated sync client calls each operation of the table once, for real, over
        HTTPS (the async tests cover the error paths; notifications need issue #9)."""
        estate = live.estate(features=frozenset({"remove_address_integration"}))
        p = place(estate)
        f, d = p.facility_id, p.doctor_id
        service = str(estate.address_service_ids[0])
        provider = estate.provider_ids[0]
        ten = TUE.replace(hour=10)
        period = dpi.WorkPeriod(
            start=ten,
            end=TUE.replace(hour=12),
            address_services=[dpi.PeriodService(address_service_id=service, duration=30)],
        )
        patient = dpi.Patient(name="Iga", phone="+48500700800")
        client = dpi.Client(
            estate.client_id, estate.client_secret, base_url=live.url, verify=live.ca_cert
        )

        with client:
            assert client.get_access_token().token_type == "bearer"
            assert client.facilities.list()
            assert client.facilities.get(f).id == str(f)
            assert client.doctors.list(f)
            assert client.doctors.get(f, d).id == str(d)
            assert client.addresses.list(f, d)
            assert client.addresses.get(*p.ids).id == str(p.address_id)
            client.addresses.update(*p.ids, insurance_support="private")
            assert client.services.list()
            added = client.address_services.add(*p.ids, service_id=estate.service_ids[2])
            assert client.address_services.get(*p.ids, added.id).id == added.id
            client.address_services.update(*p.ids, added.id, description="Updated")
            assert len(client.address_services.list(*p.ids)) == 3
            client.address_services.delete(*p.ids, added.id)
            assert client.insurance_providers.list()
            assert client.insurance_providers.plans(provider)
            client.address_insurance_providers.add(*p.ids, provider)
            client.address_insurance_providers.update_or_create(*p.ids, provider, plan_ids=[])
            assert client.address_insurance_providers.list(*p.ids)
            client.address_insurance_providers.delete(*p.ids, provider)
            client.slots.replace(*p.ids, [period])
            assert client.calendars.get(*p.ids).status == "enabled"
            client.calendars.disable(*p.ids)
            client.calendars.enable(*p.ids)
            pause = client.breaks.add(
                *p.ids, since=TUE.replace(hour=11), till=TUE.replace(hour=11, minute=30)
            )
            assert client.breaks.get(*p.ids, pause.id).id == pause.id
            client.breaks.move(
                *p.ids, pause.id, since=TUE.replace(hour=11), till=TUE.replace(hour=12)
            )
            assert client.breaks.list(*p.ids, since=TUE, till=TUE + timedelta(days=1))
            client.breaks.delete(*p.ids, pause.id)
            assert client.slots.list(*p.ids, start=TUE, end=TUE + timedelta(days=1))
            first = client.slots.book(
                *p.ids, ten, address_service_id=service, duration=30, patient=patient
            )
            moved = client.bookings.move(
                *p.ids, first.id, start=TUE.replace(hour=11), address_service_id=service
            )
            client.bookings.confirm(*p.ids, moved.id)
            assert client.bookings.get(*p.ids, moved.id).id == moved.id
            assert client.bookings.list(*p.ids, start=TUE, end=TUE + timedelta(days=1)).items
            live.clock.advance(days=1, hours=5)  # Tuesday 14:00 in Warsaw: the visit is past
            try:
                client.bookings.mark_presence(*p.ids, moved.id)
                client.bookings.mark_absence(*p.ids, moved.id)
                client.doctors.request_opinion(f, d, phone=patient.phone)
            finally:
                live.clock.advance(days=-1, hours=-5)
            client.bookings.cancel(*p.ids, moved.id)
            client.slots.delete(*p.ids, date(2026, 1, 6))
            client.addresses.remove_integration(*p.ids)
