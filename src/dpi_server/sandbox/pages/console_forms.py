"""The console's forms: API clients, their delivery and limits, the clock, reset.

Like forms.py, a bad value raises `FieldErrors` (400) before any use case runs. The limits
are the sandbox API's own where it has them (sandbox/api/clients.py), so the page accepts
what `/_sandbox/clients` accepts.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from dpi_server.domain import errors
from dpi_server.domain.environments import SANDBOX
from dpi_server.sandbox.pages.forms import PageForm

# An HTTP header name is an RFC 9110 token: anything else would break every push.
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
# Far enough for any test of an integration; further would only overflow the calendar.
MAX_ADVANCE = timedelta(days=3660)
_DURATION = TypeAdapter(timedelta)
# A count in `?steps=...`: what the clock page may show of the advance that just ran.
_COUNT = re.compile(r"^[0-9]{1,9}$")
URL_LENGTH = 2000
LIMIT_MAX = 1_000_000_000


class NewClientForm(PageForm):
    name: str = Field(min_length=1, max_length=200)
    locale: str = Field(default="pl", max_length=10)
    environment: str = Field(default=SANDBOX, max_length=20)
    facility: list[int] = Field(default=[], max_length=20)
    can_edit: bool = False


class EnvironmentForm(PageForm):
    environment: str = Field(max_length=20)


class DeliveryForm(PageForm):
    mode: Literal["pull", "push"]
    push_url: str | None = Field(default=None, max_length=URL_LENGTH)
    api_key_header: str | None = Field(default=None, max_length=100)
    api_key: str | None = Field(default=None, max_length=500)
    clear_api_key: bool = False
    realtime_url: str | None = Field(default=None, max_length=URL_LENGTH)
    signing: Literal["keep", "new", "off"] = "keep"

    @field_validator("api_key_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and not _HEADER_NAME.match(value):
            raise ValueError("A header name: letters, digits and - (e.g. X-Api-Key).")
        return value


class LimitsForm(PageForm):
    enabled: bool = False
    read_limit: int = Field(ge=1, le=LIMIT_MAX)
    read_window_seconds: int = Field(ge=1, le=LIMIT_MAX)
    write_limit: int = Field(ge=1, le=LIMIT_MAX)
    write_window_seconds: int = Field(ge=1, le=LIMIT_MAX)


class EventsForm(PageForm):
    event: list[str] = Field(default=[], max_length=20)


class ConfirmForm(PageForm):
    """A destructive button's form: the ticked box is the confirmation step."""

    confirm: Literal["yes"] | None = None

    def check(self, what: str) -> None:
        if self.confirm is None:
            raise errors.FieldErrors({"confirm": [f"Tick the box to confirm {what}."]})


class ClockSetForm(PageForm):
    at: str = Field(max_length=40)


class ClockAdvanceForm(PageForm):
    duration: str = Field(max_length=40)

    def delta(self) -> timedelta:
        """Minutes (`91`), or an ISO 8601 duration (`PT91M`, `P1DT2H`)."""
        text = self.duration
        try:
            delta = (
                timedelta(minutes=int(text))
                if text.isdigit()
                else _DURATION.validate_python(text.upper())
            )
        except (ValidationError, OverflowError):
            raise errors.FieldErrors(
                {"duration": ["Minutes (91) or an ISO 8601 duration (PT91M, P1DT2H)."]}
            ) from None
        if delta <= timedelta(0):
            raise errors.FieldErrors({"duration": ["The duration must be positive."]})
        if delta > MAX_ADVANCE:
            raise errors.FieldErrors({"duration": ["At most ten years at a time."]})
        return delta


def counts(values: dict[str, str], names: tuple[str, ...]) -> dict[str, int] | None:
    """The report a redirect carried (`?steps=3&attempts=1...`), or None when any is missing
    or not a plain count: a link can make the page show numbers, never words."""
    found = {name: values.get(name, "") for name in names}
    if not all(_COUNT.match(value) for value in found.values()):
        return None
    return {name: int(value) for name, value in found.items()}
