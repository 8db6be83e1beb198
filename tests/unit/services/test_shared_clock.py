"""The shared clock and its state (domain/clock.py, services/shared_clock.py), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dpi_server.domain import errors
from dpi_server.domain.clock import FROZEN, OFFSET, REAL, ClockState
from dpi_server.services.shared_clock import SharedClock
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.memory_clock import MemoryClockStore

T = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def test_the_three_modes_tell_time_from_the_wall_clock() -> None:
    assert ClockState().now(T) == T
    assert ClockState(FROZEN, T).now(T + timedelta(hours=1)) == T
    assert ClockState(OFFSET, None, timedelta(minutes=5)).now(T) == T + timedelta(minutes=5)


def test_moving_keeps_a_frozen_clock_frozen_and_a_running_one_running() -> None:
    frozen = ClockState(FROZEN, T).moved_to(T + timedelta(hours=2), T)
    running = ClockState().moved_to(T + timedelta(hours=2), T)

    assert (frozen.mode, frozen.now(T + timedelta(days=1))) == (FROZEN, T + timedelta(hours=2))
    assert (running.mode, running.offset) == (OFFSET, timedelta(hours=2))
    assert ClockState().moved_to(T, T).mode == REAL


def test_no_move_goes_back() -> None:
    with pytest.raises(errors.ClockCannotGoBack):
        ClockState(FROZEN, T).moved_to(T - timedelta(microseconds=1), T)
    with pytest.raises(errors.ClockCannotGoBack):
        ClockState(OFFSET, None, timedelta(hours=1)).moved_to(T, T)


async def test_a_change_elsewhere_is_seen_once_the_read_is_older_than_its_max_age() -> None:
    store, ticks, wall = MemoryClockStore(), Ticks(), FakeClock(T)
    here = SharedClock(wall, store, max_age_seconds=0.5, monotonic=ticks)
    there = SharedClock(wall, store, max_age_seconds=0.5, monotonic=ticks)
    await here.refresh()

    await there.change(lambda state, now: state.frozen(now))
    wall.advance(minutes=3)
    ticks.value = 0.4
    await here.refresh()
    stale = here.now()
    ticks.value = 0.6
    await here.refresh()

    assert stale == T + timedelta(minutes=3)  # still real: read 0.4 s ago
    assert here.now() == T  # frozen where `there` froze it
    assert there.now() == T  # the process that changed it knows at once


async def test_a_change_from_a_stale_state_is_made_on_the_fresh_one() -> None:
    store, wall = MemoryClockStore(), FakeClock(T)
    here, there = SharedClock(wall, store), SharedClock(wall, store)
    await here.refresh()
    await there.change(lambda state, now: state.moved_to(now + timedelta(hours=1), now))

    moved = await here.change(
        lambda state, now: state.moved_to(state.now(now) + timedelta(hours=1), now)
    )

    assert moved.now == T + timedelta(hours=2)
    assert (await store.load()).version == 2
