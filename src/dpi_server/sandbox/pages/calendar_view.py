"""The week the marketplace and doctor pages show: Monday to Sunday in the facility's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

from dpi_server.sandbox.pages.rendering import error_text, status_of

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time(), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.monday + WEEK, time(), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    @property
    def previous(self) -> str:
        return (self.monday - WEEK).isoformat()

    @property
    def next(self) -> str:
        return (self.monday + WEEK).isoformat()

    @property
    def label(self) -> str:
        last = self.monday + timedelta(days=6)
        return f"{self.monday:%d %b} to {last:%d %b %Y}"


def week_of(day: date, zone: ZoneInfo) -> Week:
    return Week(day - timedelta(days=day.weekday()), zone)


def requested_week(request: Request, now: datetime, zone: ZoneInfo) -> tuple[Week, str | None]:
    """The week named by `?week=YYYY-MM-DD` (any day of it), else this week; a bad value
    shows this week with an error."""
    text = request.query_params.get("week")
    today = now.astimezone(zone).date()
    if not text:
        return week_of(today, zone), None
    try:
        return week_of(date.fromisoformat(text), zone), None
    except ValueError:
        return week_of(today, zone), "The week must be a date (YYYY-MM-DD)."


__all__ = ["Week", "error_text", "requested_week", "status_of", "week_of"]
