"""The notification rules of `domain/notifications.py`: retry schedule, expiry, release
throttle, endpoint health and Standard Webhooks signatures (behaviour.md §11.2-§11.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dpi_server.domain.notifications import (
    DEFAULT_EVENTS,
    OPTIONAL_EVENTS,
    DeliverySettings,
    RetrySchedule,
    check_pull_limit,
    is_delivered,
    is_healthy_answer,
    pull_expired_before,
    release_retry_after,
    retained_after,
    webhook_signature,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class TestRetrySchedule:
    def test_the_default_retries_at_5_and_10_minutes_then_buries(self) -> None:
        schedule = RetrySchedule()

        due = [schedule.next_attempt(T0, n) for n in (1, 2, 3)]

        assert due == [T0 + timedelta(minutes=5), T0 + timedelta(minutes=10), None]
        assert schedule.attempts == 3

    @pytest.mark.parametrize(("text", "minutes"), [("1/5/15", (1, 5, 15)), ("5,10", (5, 10))])
    def test_the_schedule_is_parsed_from_minutes(self, text: str, minutes: tuple[int]) -> None:
        assert RetrySchedule.parse(text).offsets == tuple(timedelta(minutes=m) for m in minutes)

    def test_an_empty_schedule_is_a_single_attempt(self) -> None:
        assert RetrySchedule.parse("").next_attempt(T0, 1) is None

    @pytest.mark.parametrize("text", ["10,5", "0", "-1", "x"])
    def test_a_bad_schedule_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError):  # noqa: PT011
            RetrySchedule.parse(text)


class TestLimits:
    def test_only_2xx_delivers(self) -> None:
        assert [is_delivered(s) for s in (200, 204, 299, 300, 404, 500, None)] == [
            True,
            True,
            True,
            False,
            False,
            False,
            False,
        ]

    def test_a_health_check_fails_only_on_5xx_or_no_answer(self) -> None:
        assert [is_healthy_answer(s) for s in (200, 404, 499, 500, None)] == [
            True,
            True,
            True,
            False,
            False,
        ]

    def test_pull_limits_are_1_to_100(self) -> None:
        assert [check_pull_limit(n) for n in (0, 1, 100, 101)] == [False, True, True, False]

    def test_expiry_and_retention(self) -> None:
        assert pull_expired_before(T0) == T0 - timedelta(hours=72)
        assert retained_after(T0) == T0 - timedelta(days=14)

    def test_release_is_allowed_once_an_hour(self) -> None:
        assert release_retry_after(None, T0) is None
        assert release_retry_after(T0, T0 + timedelta(minutes=59, seconds=30)) == 30
        assert release_retry_after(T0, T0 + timedelta(hours=1)) is None


class TestSettings:
    def test_optional_events_are_received_only_when_enabled(self) -> None:
        plain = DeliverySettings(1)
        opted = DeliverySettings(1, events=frozenset({"address-assigned"}))

        assert all(plain.receives(n) for n in DEFAULT_EVENTS)
        assert not any(plain.receives(n) for n in OPTIONAL_EVENTS)
        assert opted.receives("address-assigned")

    def test_three_failed_checks_in_a_row_make_an_endpoint_unhealthy(self) -> None:
        s = DeliverySettings(1, mode="push", push_url="https://x.example", healthy=True)

        s1 = s.after_health_check(False)
        s2 = s1.after_health_check(False)
        s3 = s2.after_health_check(False)

        assert (s1.healthy, s2.healthy, s3.healthy) == (True, True, False)
        assert s3.after_health_check(True).healthy is True

    def test_the_api_key_header_defaults_to_x_api_key(self) -> None:
        assert DeliverySettings(1, api_key_value="k").api_key() == ("X-Api-Key", "k")
        assert DeliverySettings(1).api_key() is None


def test_the_signature_matches_the_standard_webhooks_example() -> None:
    """The example of the Standard Webhooks specification, computed here."""
    signature = webhook_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )

    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
