"""Calendar break rules (spec/behaviour.md §4, §7.3, §8.4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dpi_server.domain.calendar import coupled_address_ids, validate_move, validate_new_break
from dpi_server.domain.errors import InvalidDateRange, SameDateRange, TillEarlierThanSince

WARSAW = ZoneInfo("Europe/Warsaw")


def at(text: str) -> datetime:
    """An aware datetime from an ISO string with an offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


NINE = at("2026-05-16T09:00+02:00")
TEN = at("2026-05-16T10:00+02:00")
ELEVEN = at("2026-05-16T11:00+02:00")


class TestNewBreak:
    def test_valid_range(self) -> None:
        """since < till is a valid break (behaviour.md §8.4)."""
        validate_new_break(NINE, TEN)

    @pytest.mark.parametrize(("since", "till"), [(TEN, TEN), (TEN, NINE)])
    def test_till_not_after_since(self, since: datetime, till: datetime) -> None:
        """till <= since gives 422 `Invalid date range` (behaviour.md §8.4)."""
        with pytest.raises(InvalidDateRange) as caught:
            validate_new_break(since, till)

        assert caught.value.status == 422
        assert caught.value.message == "Invalid date range"


class TestMoveBreak:
    def test_valid_move(self) -> None:
        """A different, non-empty range moves the break (behaviour.md §8.4)."""
        validate_move(NINE, TEN, TEN, ELEVEN, WARSAW)

    def test_same_range(self) -> None:
        """The current range again gives 422 `Same Date Range` (behaviour.md §8.4)."""
        with pytest.raises(SameDateRange) as caught:
            validate_move(NINE, TEN, NINE, TEN, WARSAW)

        assert caught.value.status == 422
        assert caught.value.message == "Same Date Range"

    def test_same_instants_in_another_offset_are_the_same_range(self) -> None:
        """Ranges compare as instants, whatever offset was sent (behaviour.md §3)."""
        with pytest.raises(SameDateRange):
            validate_move(NINE, TEN, at("2026-05-16T07:00Z"), at("2026-05-16T08:00Z"), WARSAW)

    def test_till_before_since(self) -> None:
        """till < since names both in the locale's zone (behaviour.md §4)."""
        with pytest.raises(TillEarlierThanSince) as caught:
            validate_move(NINE, TEN, at("2026-05-16T09:00Z"), at("2026-05-16T08:00Z"), WARSAW)

        assert caught.value.status == 422
        assert caught.value.message == (
            "Till (2026-05-16T10:00:00+02:00) cannot be set before since "
            "(2026-05-16T11:00:00+02:00)"
        )

    def test_empty_range(self) -> None:
        """till == since is an empty break, 422 `Invalid date range` (behaviour.md §8.4)."""
        with pytest.raises(InvalidDateRange):
            validate_move(NINE, TEN, ELEVEN, ELEVEN, WARSAW)


class TestCoupledAddresses:
    SIBLINGS = ((1, False), (2, True), (3, True), (4, False), (2, True))

    def test_offline_address_couples_to_online_only_ones(self) -> None:
        """An offline address's coupled addresses are the online-only ones (behaviour.md §7.3)."""
        assert coupled_address_ids(False, self.SIBLINGS) == [2, 3]

    def test_online_only_address_couples_to_offline_ones(self) -> None:
        """An online-only address's coupled addresses are the offline ones (behaviour.md §7.3)."""
        assert coupled_address_ids(True, self.SIBLINGS) == [1, 4]

    def test_no_siblings(self) -> None:
        """A doctor with one address has nothing to couple (behaviour.md §9)."""
        assert coupled_address_ids(False, []) == []
