"""Push delivery and everything else that becomes due on the delivery rows (ARCHITECTURE.md
"One scheduler"): push attempts and retries, 72-hour pull expiry, 14-day purge, stale slot
holds and endpoint health checks.

`run_due()` does what is due at the clock's now and returns; the one scheduler
(`services/scheduler.py`) calls it with the other due work, again and again in real time
(`workers/dispatcher.py`) or at each due time under time travel; tests call it after moving
a `FakeClock`. Claim, send and record are three steps, and only the first and the last touch
the database: no transaction is open while a vendor is being called. A copy whose claim is
lost in a crash is claimed again when its lease runs out, so delivery is at least once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dpi_server.domain.notifications import (
    DEFAULT_PUSH_TIMEOUT_SECONDS,
    HEALTH_INTERVAL,
    DeliverySettings,
    RetrySchedule,
    is_delivered,
    is_healthy_answer,
    pull_expired_before,
    retained_after,
    webhook_headers,
)
from dpi_server.services.notification_ports import (
    AttemptOutcome,
    ClaimedCopy,
    HttpAnswer,
    WebhookSender,
)
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory

log = logging.getLogger("dpi.delivery")
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    push_timeout: float = DEFAULT_PUSH_TIMEOUT_SECONDS
    batch_size: int = 200
    # A claim is taken again this long after its attempt's timeout (a worker that died).
    lease_margin: float = 20.0
    # Completed attempts are recorded at least this often while others are still waiting,
    # so a crash loses only the attempts that had no answer yet.
    flush_interval: float = 0.1
    housekeeping_every: timedelta = timedelta(seconds=30)
    health_checks: bool = True


@dataclass
class RunReport:
    attempts: int = 0
    delivered: int = 0
    purged: int = 0
    health_checks: int = 0


class DeliveryService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sender: WebhookSender,
        config: DeliveryConfig | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sender = sender
        self.config = config or DeliveryConfig()
        # Purges and health-check scans are cheap but take a write lock: in real time they
        # run every `housekeeping_every`; a moved test clock runs them at once.
        self._next_housekeeping: datetime | None = None
        self._next_health_scan: datetime | None = None

    async def run_due(self) -> RunReport:
        """Everything due now, in order: housekeeping, push attempts, health checks."""
        report = RunReport()
        now = self._clock.now()
        if self._is_due(self._next_housekeeping, now):
            report.purged = await self._housekeeping(now)
            self._next_housekeeping = now + self.config.housekeeping_every
        # A read first: an idle loop then takes no write lock (SQLite has only one).
        due = await self.next_due()
        while due is not None and due <= self._clock.now():
            # The clock is read again for every batch: a claim's lease must count from when
            # it is taken, or a long run would hand out leases already expired.
            claim, claimed = await self._claim(self._clock.now())
            if not claimed:
                break
            report.attempts += len(claimed)
            report.delivered += await self._send_all(claim, claimed)
            if len(claimed) < self.config.batch_size:
                break
        if self.config.health_checks and self._is_due(self._next_health_scan, now):
            report.health_checks = await self._check_health(now)
            self._next_health_scan = now + self.config.housekeeping_every
        return report

    def _is_due(self, next_at: datetime | None, now: datetime) -> bool:
        """A throttled scan is due at `next_at`, or at once if the clock went back (the
        sandbox clock's `real` after time travel) further than one interval."""
        return next_at is None or now >= next_at or next_at - now > self.config.housekeeping_every

    async def next_due(self) -> datetime | None:
        """The earliest due time of a push copy (the worker sleeps until then)."""
        async with self._uow() as uow:
            return await uow.notifications.next_due()

    async def _housekeeping(self, now: datetime) -> int:
        async with self._uow(write=True) as uow:
            purged = await uow.notifications.expire_and_purge(
                pull_expired_before(now), retained_after(now)
            )
            await uow.notifications.purge_holds(now)
            await uow.commit()
        return purged

    async def _claim(self, now: datetime) -> tuple[str, list[ClaimedCopy]]:
        lease = now + timedelta(seconds=self.config.push_timeout + self.config.lease_margin)
        claim = uuid.uuid4().hex
        async with self._uow(write=True) as uow:
            claimed = await uow.notifications.claim_due(now, self.config.batch_size, lease, claim)
            await uow.commit()
        return claim, claimed

    async def _send_all(self, claim: str, claimed: list[ClaimedCopy]) -> int:
        """Send every claimed copy at once (the sender bounds concurrency), recording answers
        in groups: at the latest `flush_interval` after the oldest unrecorded answer, so a
        crash can repeat only copies answered that recently or not at all."""
        answers: asyncio.Queue[AttemptOutcome] = asyncio.Queue()

        async def attempt(copy: ClaimedCopy) -> None:
            answers.put_nowait(await self._attempt(copy))

        tasks = [asyncio.ensure_future(attempt(c)) for c in claimed]
        delivered = 0
        buffer: list[AttemptOutcome] = []
        flush_by = 0.0
        try:
            for left in range(len(claimed), 0, -1):
                if buffer:
                    try:
                        async with asyncio.timeout(max(0.0, flush_by - time.monotonic())):
                            outcome = await answers.get()
                    except TimeoutError:
                        delivered += await self._flush(claim, buffer)
                        outcome = await answers.get()
                else:
                    outcome = await answers.get()
                if not buffer:
                    flush_by = time.monotonic() + self.config.flush_interval
                buffer.append(outcome)
                if left == 1 or time.monotonic() >= flush_by:
                    delivered += await self._flush(claim, buffer)
        finally:
            for task in tasks:
                task.cancel()
        return delivered

    async def _flush(self, claim: str, buffer: list[AttemptOutcome]) -> int:
        """Record and empty `buffer`; how many of its copies were delivered."""
        delivered = sum(o.delivered for o in buffer)
        await self._record(claim, list(buffer))
        buffer.clear()
        return delivered

    async def _record(self, claim: str, outcomes: list[AttemptOutcome]) -> None:
        async with self._uow(write=True) as uow:
            await uow.notifications.record_outcomes(claim, outcomes)
            await uow.commit()

    async def _attempt(self, copy: ClaimedCopy) -> AttemptOutcome:
        at = self._clock.now()
        settings = copy.settings
        if not settings.is_push or settings.push_url is None:
            answer = HttpAnswer(None, 0, "the client has no push URL any more")
        else:
            body = copy.body.encode()
            try:
                answer = await self._sender.post(
                    settings.push_url,
                    body,
                    push_headers(settings, f"msg_{copy.delivery_id}", body, at),
                    self.config.push_timeout,
                )
            except Exception as exc:  # recorded with the copy's retry schedule, never lost
                log.exception("push of copy %s failed", copy.delivery_id)
                answer = HttpAnswer(None, 0, f"{type(exc).__name__}: {exc}")
        delivered = is_delivered(answer.status_code)
        retry_at = (
            None
            if delivered
            else self.config.retry.next_attempt(copy.first_attempt_at, copy.attempts)
        )
        return AttemptOutcome(
            copy.delivery_id,
            copy.attempts,
            at,
            answer.status_code,
            answer.latency_ms,
            answer.error,
            delivered,
            retry_at,
        )

    async def _check_health(self, now: datetime) -> int:
        """GET each push endpoint every 5 minutes; any non-5xx answer is healthy."""
        async with self._uow(write=True) as uow:
            due = await uow.notifications.claim_health_checks(now, now + HEALTH_INTERVAL)
            await uow.commit()
        if not due:
            return 0
        answers = await asyncio.gather(*(self._ping(s) for s in due))
        async with self._uow(write=True) as uow:
            for settings, ok in zip(due, answers, strict=True):
                current = await uow.notifications.settings(settings.client_pk)
                await uow.notifications.save_settings(current.after_health_check(ok))
            await uow.commit()
        return len(due)

    async def _ping(self, settings: DeliverySettings) -> bool:
        assert settings.push_url is not None
        key = settings.api_key()
        headers = {key[0]: key[1]} if key else {}
        try:
            answer = await self._sender.get(settings.push_url, headers, self.config.push_timeout)
        except Exception:
            log.exception("health check of client %s failed", settings.client_pk)
            return False
        return is_healthy_answer(answer.status_code)


def push_headers(
    settings: DeliverySettings, message_id: str, body: bytes, at: datetime
) -> dict[str, str]:
    """JSON, the optional API-key header and, for signing clients, Standard Webhooks headers
    (a copy's message id is its own, so a retried copy keeps it)."""
    headers = dict(JSON_HEADERS)
    key = settings.api_key()
    if key is not None:
        headers[key[0]] = key[1]
    if settings.signing_secret:
        headers.update(
            webhook_headers(settings.signing_secret, message_id, int(at.timestamp()), body)
        )
    return headers
