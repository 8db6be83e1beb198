"""The calendar engine: work periods, the slot grid, bookings' fit and breaks.

Pure functions over frozen dataclasses; time always comes in as an argument and every
datetime is timezone-aware. Calendar days are days in the locale's zone (`tzinfo` argument).
"""

from dpi_server.domain.calendar.breaks import (
    coupled_address_ids,
    validate_move,
    validate_new_break,
)
from dpi_server.domain.calendar.periods import (
    INSURANCE_ACCEPTED_VALUES,
    MAX_AHEAD,
    IncomingPeriod,
    clear_day,
    replace_days,
    to_work_periods,
    touched_days,
    validate_replacement,
)
from dpi_server.domain.calendar.slots import (
    BookingCheck,
    FreeSlot,
    Interval,
    PeriodService,
    WorkPeriod,
    check_booking,
    epoch_micros,
    free_slots,
    free_starts,
    grid_step,
    overlaps,
    slot_at,
)

__all__ = [
    "INSURANCE_ACCEPTED_VALUES",
    "MAX_AHEAD",
    "BookingCheck",
    "FreeSlot",
    "IncomingPeriod",
    "Interval",
    "PeriodService",
    "WorkPeriod",
    "check_booking",
    "clear_day",
    "coupled_address_ids",
    "epoch_micros",
    "free_slots",
    "free_starts",
    "grid_step",
    "overlaps",
    "replace_days",
    "slot_at",
    "to_work_periods",
    "touched_days",
    "validate_move",
    "validate_new_break",
    "validate_replacement",
]
