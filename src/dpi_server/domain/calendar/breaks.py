"""Calendar breaks: range rules and coupled addresses (spec/behaviour.md §4, §7.3, §8.4).

A break is busy time `[since, till)`; `slots.Interval` carries it into the slot engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from dpi_server.domain import timefmt
from dpi_server.domain.errors import InvalidDateRange, SameDateRange, TillEarlierThanSince

__all__ = ["coupled_address_ids", "validate_move", "validate_new_break"]


def validate_new_break(since: datetime, till: datetime) -> None:
    """addCalendarBreak: 422 `Invalid date range` unless `till > since` (behaviour.md §8.4)."""
    if till <= since:
        raise InvalidDateRange


def validate_move(
    current_since: datetime,
    current_till: datetime,
    new_since: datetime,
    new_till: datetime,
    zone: tzinfo,
) -> None:
    """moveCalendarBreak's range rules (behaviour.md §8.4), checked in this order.

    - The new range equals the current one (as instants): 422 `Same Date Range`.
    - `new_till` before `new_since`: 422 `Till (<till>) cannot be set before since (<since>)`,
      both rendered as ATOM date-times in `zone`.
    - `new_till` equal to `new_since`: an empty break, which addCalendarBreak would refuse, so
      422 `Invalid date range` as there.
    """
    if new_since == current_since and new_till == current_till:
        raise SameDateRange
    if new_till < new_since:
        raise TillEarlierThanSince(
            timefmt.format_datetime(new_till, zone), timefmt.format_datetime(new_since, zone)
        )
    if new_till == new_since:
        raise InvalidDateRange


def coupled_address_ids(
    address_is_online_only: bool, siblings: Sequence[tuple[int, bool]]
) -> list[int]:
    """The addresses a break with `apply_on_coupled_addresses` is copied to (behaviour.md §7.3).

    `siblings` are `(address_id, is_online_only)` for the same doctor's other addresses in the
    same facility. An offline address couples to the online-only ones and an online-only
    address to the offline ones. Ids keep their given order, without duplicates.
    """
    return list(
        dict.fromkeys(
            address_id
            for address_id, online_only in siblings
            if online_only != address_is_online_only
        )
    )
