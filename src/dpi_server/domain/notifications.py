"""Notification delivery rules: models, states, retry schedule, expiry, release throttle,
endpoint health and Standard Webhooks signatures (behaviour.md §11-§12, decisions.md
"Notifications", docs/decisions.md "Notifications (implementation)").

Every stored event becomes one *copy* per recipient client. A copy is a row with a state and
a due time; these functions decide what happens to it next, given the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from dpi_server.domain.errors import DomainError
from dpi_server.domain.events import BOOKING_MOVING, SLOT_BOOKING, STORED_EVENT_NAMES

PULL = "pull"
PUSH = "push"
MODES = (PULL, PUSH)

# Copy states. Pull: queued -> pulled. Push: pending -> sending -> delivered, or back to
# pending for a retry, or buried once the schedule is spent (release makes it pending again).
QUEUED = "queued"
PULLED = "pulled"
PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
BURIED = "buried"
STATES = (QUEUED, PULLED, PENDING, SENDING, DELIVERED, BURIED)

PULL_EXPIRY = timedelta(hours=72)
RETENTION = timedelta(days=14)
RELEASE_INTERVAL = timedelta(hours=1)
DEFAULT_RETRY_MINUTES = (5, 10)
DEFAULT_PUSH_TIMEOUT_SECONDS = 10.0
REALTIME_TIMEOUT_SECONDS = 5.0
HEALTH_INTERVAL = timedelta(minutes=5)
UNHEALTHY_AFTER = 3
DEFAULT_API_KEY_HEADER = "X-Api-Key"
PULL_LIMIT_MAX = 100

# Events a client receives only when enabled for it: the ones SDK 1.0.34 cannot parse
# (wire.md §4.2's compatibility warning) and the two real-time calls.
OPTIONAL_EVENTS = frozenset(
    {"booking-payment-status-changed", "address-assigned", "address-unassigned"}
)
REALTIME_EVENTS = frozenset({SLOT_BOOKING, BOOKING_MOVING})
DEFAULT_EVENTS = STORED_EVENT_NAMES - OPTIONAL_EVENTS
ALL_EVENT_NAMES = STORED_EVENT_NAMES | REALTIME_EVENTS


class NoNotificationsFound(DomainError):
    status = 404
    message = "No notifications found"


class NotAllowedToUseMethod(DomainError):
    """release is for push clients only (behaviour.md §11.3)."""

    status = 403
    message = "You are not allowed to use this method"


class ReleaseTooSoon(DomainError):
    """release is allowed once per hour; `retry_after` becomes the `Retry-After` header."""

    status = 429
    message = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class BookingDeniedByVendor(DomainError):
    """A real-time client did not allow a patient's booking or move (behaviour.md §12);
    `error_code` is the vendor's `{"error_code": N}` when it sent one."""

    status = 409
    message = "The booking was not accepted by the clinic's system"

    def __init__(self, error_code: int | None, reason: str) -> None:
        super().__init__()
        self.error_code = error_code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Offsets of the retries from the first attempt: (5, 10) minutes means attempts at 0,
    +5 and +10 minutes, then the copy is buried (behaviour.md §11.3)."""

    offsets: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in DEFAULT_RETRY_MINUTES)

    @classmethod
    def parse(cls, text: str) -> RetrySchedule:
        """`"5,10"` or `"1/5/15"`: minutes, increasing; empty means a single attempt."""
        parts = [p for p in text.replace("/", ",").split(",") if p.strip()]
        minutes = [float(p) for p in parts]
        if any(m <= 0 for m in minutes) or minutes != sorted(minutes):
            raise ValueError("retry minutes must be positive and increasing")
        return cls(tuple(timedelta(minutes=m) for m in minutes))

    @property
    def attempts(self) -> int:
        return 1 + len(self.offsets)

    def next_attempt(self, first_attempt_at: datetime, attempts_made: int) -> datetime | None:
        """When the next attempt is due after `attempts_made` failed ones; None: bury."""
        if attempts_made >= self.attempts:
            return None
        return first_attempt_at + self.offsets[attempts_made - 1]


def is_delivered(status: int | None) -> bool:
    """Any 2xx within the timeout counts as delivered (decisions.md "Notifications")."""
    return status is not None and 200 <= status < 300


def is_healthy_answer(status: int | None) -> bool:
    """A health check passes on any answer but a 5xx; no answer at all fails it."""
    return status is not None and status < 500


def pull_expired_before(now: datetime) -> datetime:
    """Queued copies created before this instant are expired (72 h, behaviour.md §11.2)."""
    return now - PULL_EXPIRY


def retained_after(now: datetime) -> datetime:
    """Copies created before this instant are deleted, whatever their state (14 days)."""
    return now - RETENTION


def release_retry_after(last_release_at: datetime | None, now: datetime) -> int | None:
    """Seconds until release may be called again, or None when it may be called now."""
    if last_release_at is None or now - last_release_at >= RELEASE_INTERVAL:
        return None
    left = RELEASE_INTERVAL - (now - last_release_at)
    return max(1, int(-(-left.total_seconds() // 1)))


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How one API client receives its notifications."""

    client_pk: int
    mode: str = PULL
    push_url: str | None = None
    api_key_header: str | None = None
    api_key_value: str | None = None
    realtime_url: str | None = None
    events: frozenset[str] = field(default_factory=frozenset)
    signing_secret: str | None = None
    last_release_at: datetime | None = None
    healthy: bool | None = None
    health_failures: int = 0

    def receives(self, name: str) -> bool:
        return name in DEFAULT_EVENTS or name in self.events

    @property
    def is_push(self) -> bool:
        return self.mode == PUSH and self.push_url is not None

    def api_key(self) -> tuple[str, str] | None:
        if not self.api_key_value:
            return None
        return (self.api_key_header or DEFAULT_API_KEY_HEADER, self.api_key_value)

    def after_health_check(self, ok: bool) -> DeliverySettings:
        """Three failed checks in a row mark the endpoint unhealthy; one pass heals it."""
        if ok:
            return replace(self, healthy=True, health_failures=0)
        failures = self.health_failures + 1
        return replace(
            self,
            health_failures=failures,
            healthy=False if failures >= UNHEALTHY_AFTER else self.healthy,
        )


def check_optional_events(names: frozenset[str]) -> frozenset[str]:
    unknown = names - OPTIONAL_EVENTS
    if unknown:
        raise ValueError(
            f"not optional events: {', '.join(sorted(unknown))} "
            f"(optional: {', '.join(sorted(OPTIONAL_EVENTS))})"
        )
    return names


def check_pull_limit(limit: int) -> bool:
    return 1 <= limit <= PULL_LIMIT_MAX


# --- Standard Webhooks (https://www.standardwebhooks.com) -------------------------------------
SECRET_PREFIX = "whsec_"


def webhook_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` under the base64 key after `whsec_`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(secret, message_id, timestamp, body),
    }
