"""The pages' forms: read, validated field by field, turned into the use cases' inputs.

A bad value raises `FieldErrors` (400) before any use case runs, so a bad form changes nothing.
Text limits are the API's own (api/text_limits.py), so a page accepts what bookSlot accepts.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any, TypeVar, get_origin

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dpi_server.api.body import validation_field_errors
from dpi_server.api.text_limits import (
    BreakDescription,
    Description,
    Email,
    PersonName,
    Reason,
    RequiredPersonName,
    RequiredPhone,
)
from dpi_server.domain import errors

M = TypeVar("M", bound=BaseModel)

# A form has a handful of short fields; anything bigger is not one of ours.
MAX_FORM_FIELDS = 30
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,30}$")


class PageForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SignInForm(PageForm):
    token: str = Field(min_length=1, max_length=200)
    next: str = Field(default="/", max_length=2000)


class PatientForm(PageForm):
    name: RequiredPersonName
    surname: RequiredPersonName
    phone: RequiredPhone
    email: Email | None = None

    @field_validator("phone")
    @classmethod
    def _phone_number(cls, value: str) -> str:
        # A person types a number; the API takes any text, the form asks for digits.
        if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
            raise ValueError("A phone number: digits, spaces, +, - and parentheses.")
        return value


class BookForm(PatientForm):
    start: str
    service: str  # "<address service id>:<duration>", one of the slot's choices


class CancelForm(PageForm):
    reason: Reason | None = None


class MoveForm(PageForm):
    start: str


class BreakForm(PageForm):
    since: str
    till: str
    description: BreakDescription | None = None


class PresenceForm(PageForm):
    presence: str = Field(pattern="^(present|absent)$")


class NewServiceForm(PageForm):
    service_id: int = Field(ge=1)
    price: int | None = Field(default=None, ge=0)
    default_duration: int | None = Field(default=None, ge=1, le=1440)
    description: Description | None = None


class ServiceChangeForm(PageForm):
    price: int | None = Field(default=None, ge=0)
    default_duration: int | None = Field(default=None, ge=1, le=1440)
    description: Description | None = None
    is_visible: bool = False
    custom_name: PersonName | None = None


async def read_form(request: Request, model: type[M]) -> M:
    """The posted form as `model`; empty fields count as not given. A field the model types
    as a list gathers every value posted under its name (a group of checkboxes)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    lists = {
        name for name, field in model.model_fields.items() if get_origin(field.annotation) is list
    }
    data: dict[str, Any] = {name: [] for name in lists}
    for key, value in form.multi_items():
        if isinstance(value, str) and value.strip():
            if key in lists:
                data[key].append(value)
            else:
                data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.FieldErrors(validation_field_errors(list(exc.errors()))) from None


def aware(name: str, text: str) -> datetime:
    """An ISO 8601 instant with its offset (the slot times the pages themselves render)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise errors.FieldErrors({name: ["Not a date and time."]}) from None
    if moment.tzinfo is None:
        raise errors.FieldErrors({name: ["The time has no offset."]})
    return moment


def wall_clock(name: str, text: str, zone: tzinfo) -> datetime:
    """A `datetime-local` input (`2026-01-05T10:30`), read in the facility's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise errors.FieldErrors({name: ["Not a date and time (YYYY-MM-DDTHH:MM)."]}) from None
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def service_choice(text: str) -> tuple[int, int]:
    """`"12:30"` -> address service 12 for 30 minutes."""
    left, _, right = text.partition(":")
    if not (left.isdigit() and right.isdigit()) or len(left) > 12 or len(right) > 5:
        raise errors.FieldErrors({"service": ["Choose one of the slot's services."]})
    return int(left), int(right)
