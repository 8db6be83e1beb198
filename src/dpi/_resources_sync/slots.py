"""`client.slots`: availability as work periods, free slots, and booking one.

Generated from `_resources/slots.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dpi._base import (
    Id,
    address_path,
    digits,
    format_value,
    join_with,
    model_body,
    parse_items,
    parse_model,
    parse_none,
)
from dpi._models import Booking, BookingsWith, Patient, Slot, SlotsWith, WorkPeriod
from dpi._resources_sync.base import Resource

MAX_SLOTS_RANGE = timedelta(days=180)  # getSlots' limit (behaviour.md §8.3, changelog 1.9.3)


class Slots(Resource):
    """`client.slots`: availability as work periods, free slots, and booking."""

    def list(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[SlotsWith | str] = (),
    ) -> builtins.list[Slot]:
        """Free slot starts in `[start, end)`, at most 180 days (getSlots)."""
        return self._send(
            "getSlots",
            parse_items(Slot),
            address_path(facility_id, doctor_id, address_id),
            params={"start": start, "end": end, "with": join_with(with_)},
        )

    def iter_all(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        *,
        start: datetime,
        end: datetime,
        with_: Iterable[SlotsWith | str] = (),
    ) -> Iterator[Slot]:
        """Free slots of any range: getSlots answers at most 180 days (400 beyond), so a longer
        range is read in consecutive windows of 180 days."""
        extensions = builtins.list(with_)
        format_value(start), format_value(end)  # refuse naive datetimes before any arithmetic
        # In UTC: 180 wall-clock days across a DST change are 180 days and an hour.
        window_start = start.astimezone(UTC)
        while window_start < end:
            window_end = min(end, window_start + MAX_SLOTS_RANGE)
            yield from self.list(
                facility_id,
                doctor_id,
                address_id,
                start=window_start,
                end=window_end,
                with_=extensions,
            )
            window_start = window_end

    def replace(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        periods: Sequence[WorkPeriod | Mapping[str, Any]],
    ) -> None:
        """Publish availability (replaceSlots): every day the periods touch is replaced by
        them; a period without services clears its day."""
        self._send(
            "replaceSlots",
            parse_none,
            address_path(facility_id, doctor_id, address_id),
            json={"slots": [model_body(WorkPeriod, p) for p in periods]},
        )

    def delete(self, facility_id: Id, doctor_id: Id, address_id: Id, day: date) -> None:
        """Remove the availability of one day (deleteSlots); bookings stay."""
        self._send(
            "deleteSlots", parse_none, address_path(facility_id, doctor_id, address_id, date=day)
        )

    def book(
        self,
        facility_id: Id,
        doctor_id: Id,
        address_id: Id,
        start: datetime,
        *,
        address_service_id: Id,
        duration: int,
        patient: Patient | Mapping[str, Any],
        is_returning: bool | None = None,
        is_recurring: bool | None = None,
        comment: str | None = None,
        label: str | None = None,
        insurance_provider_id: Id | None = None,
        insurance_plan_id: Id | None = None,
        retry: bool | None = None,
        safe_retry: bool = False,
    ) -> Booking:
        """Book the free slot at `start` (bookSlot).

        A POST, so not retried by default: a lost answer may hide a booking already made.
        `retry=True` retries anyway. `safe_retry=True` retries connection errors and 5xx
        only after looking the booking up (this patient's phone, this start): when it exists,
        it is the answer, so one call never books twice.
        """
        body: dict[str, Any] = {
            "address_service_id": str(address_service_id),
            "duration": duration,
            "patient": model_body(Patient, patient),
        }
        optional = {
            "is_returning": is_returning,
            "is_recurring": is_recurring,
            "comment": comment,
            "label": label,
            "insurance_provider_id": insurance_provider_id,
            "insurance_plan_id": insurance_plan_id,
        }
        body.update(
            {k: str(v) if k.endswith("_id") else v for k, v in optional.items() if v is not None}
        )

        def made() -> Booking | None:
            page = self._client.bookings.list(
                facility_id,
                doctor_id,
                address_id,
                start=start,
                end=start + timedelta(minutes=duration),
                with_=[BookingsWith.PATIENT],
            )
            phone = digits(body["patient"].get("phone"))
            return next(
                (
                    b
                    for b in page.items
                    if b.status == "booked"
                    and b.start_at == start
                    and b.patient is not None
                    and digits(b.patient.phone) == phone
                ),
                None,
            )

        return self._send(
            "bookSlot",
            parse_model(Booking),
            address_path(facility_id, doctor_id, address_id, start=start),
            json=body,
            retry=retry,
            recover=made if safe_retry else None,
        )
