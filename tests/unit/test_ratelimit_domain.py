from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dpi_server.domain.ratelimit import (
    Decision,
    WindowKind,
    decide,
    seconds_until,
    window_at,
    window_kind,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class TestWindowKind:
    """Reads and writes count against separate windows (behaviour.md §6)."""

    @pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
    def test_safe_methods_are_reads(self, method: str) -> None:
        assert window_kind(method) is WindowKind.READ

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "delete"])
    def test_mutating_methods_are_writes(self, method: str) -> None:
        assert window_kind(method) is WindowKind.WRITE

    def test_unknown_methods_take_the_stricter_write_window(self) -> None:
        assert window_kind("TRACE") is WindowKind.WRITE


class TestFixedWindows:
    """Windows are fixed and aligned to multiples of their length since the epoch (§6)."""

    def test_minute_window_contains_now(self) -> None:
        window = window_at(T0 + timedelta(seconds=30, microseconds=5), 60)
        assert window.start == T0
        assert window.end == T0 + timedelta(minutes=1)

    def test_hour_window_is_aligned_to_the_hour(self) -> None:
        window = window_at(T0 + timedelta(minutes=59, seconds=59), 3600)
        assert (window.start, window.end) == (T0, T0 + timedelta(hours=1))

    def test_boundary_instant_opens_the_next_window(self) -> None:
        assert window_at(T0, 60).start == T0
        assert window_at(T0 - timedelta(microseconds=1), 60).end == T0

    def test_alignment_ignores_the_offset_of_now(self) -> None:
        local = (T0 + timedelta(seconds=10)).astimezone(timezone(timedelta(hours=5, minutes=30)))
        assert window_at(local, 3600).start == T0

    def test_odd_lengths_align_to_the_epoch(self) -> None:
        window = window_at(T0, 7)
        assert window.start_epoch % 7 == 0
        assert window.start <= T0 < window.end

    def test_start_epoch_is_whole_seconds(self) -> None:
        assert window_at(T0, 60).start_epoch == int(T0.timestamp())

    def test_naive_datetimes_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            window_at(datetime(2026, 1, 5, 8, 0), 60)  # noqa: DTZ001

    def test_non_positive_lengths_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            window_at(T0, 0)


class TestDecision:
    """A decision carries what the X-RateLimit-* and Retry-After headers report (§6)."""

    def test_allowed_decision_has_no_retry_after(self) -> None:
        decision = decide(
            allowed=True, limit=40, used=3, reset_at=T0 + timedelta(minutes=1), now=T0
        )
        assert decision == Decision(
            allowed=True,
            limit=40,
            used=3,
            remaining=37,
            reset_at=T0 + timedelta(minutes=1),
            retry_after_seconds=0,
        )

    def test_refused_decision_reports_seconds_to_reset(self) -> None:
        now = T0 + timedelta(seconds=20)
        decision = decide(
            allowed=False, limit=40, used=40, reset_at=T0 + timedelta(minutes=1), now=now
        )
        assert decision.remaining == 0
        assert decision.retry_after_seconds == 40

    def test_remaining_never_goes_negative(self) -> None:
        # A lowered limit can leave an old counter above it.
        decision = decide(allowed=False, limit=10, used=25, reset_at=T0, now=T0)
        assert decision.remaining == 0

    def test_retry_after_rounds_up(self) -> None:
        assert seconds_until(T0 + timedelta(seconds=1, microseconds=1), T0) == 2

    def test_retry_after_is_at_least_one_second(self) -> None:
        assert seconds_until(T0, T0) == 1
        assert seconds_until(T0 - timedelta(seconds=5), T0) == 1
