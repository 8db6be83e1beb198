"""Length limits and character rules for free text in request bodies (issue #12, item 8).

Docplanner documents no lengths except `custom_name`'s minLength 1 (wire.md §3.3); the limits
here are generous for real data and recorded in docs/decisions.md "Hardening". Control
characters are refused: a NUL or an escape sequence in a patient's name is never data, and
they break the consoles, CSV exports and PDFs that names end up in. Free-text fields that may
span lines (comments, descriptions, reasons) keep tab, LF and CR.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from dpi_server.domain import timefmt

# C0 controls, DEL, C1 controls, and lone surrogates (JSON's \ud800 escapes decode to them,
# and no database encoding can store them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MESSAGE = "This value contains control characters."

ID_MAX = 32  # ids are integers; 32 characters leave room for any id form we may adopt
DATE_MAX = 64  # an ISO 8601 date-time with offset and fraction is 32 characters
NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321's limit on a forward path
PHONE_MAX = 32
NIN_MAX = 32
INSURANCE_NUMBER_MAX = 64
LABEL_MAX = 100
CODE_MAX = 64  # enum-like strings: insurance_support, insurance_accepted, confirmed_by
COMMENT_MAX = 2000
DESCRIPTION_MAX = 2000
BREAK_DESCRIPTION_MAX = 255
REASON_MAX = 2000
CUSTOM_NAME_MAX = 255

# The longest break accepted: a year (a doctor away for longer disables the calendar), which
# also keeps every break inside the spec's 180-day getSlots window plus a margin either side.
BREAK_MAX = timedelta(days=366)
BREAK_TOO_LONG = "A break must not last longer than 366 days."


def _checked(max_length: int, *, multiline: bool) -> AfterValidator:
    """Length in characters (Symfony's message, as the domain's own limits use) and no
    control characters."""
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL
    too_long = f"This value is too long. It should have {max_length} characters or less."

    def check(value: str) -> str:
        if len(value) > max_length:
            raise PydanticCustomError("string_too_long", too_long)
        if pattern.search(value):
            raise PydanticCustomError("control_characters", CONTROL_MESSAGE)
        return value

    return AfterValidator(check)


# One-line strings without control characters, and free text that may span lines; maxLength
# is published in the OpenAPI document so generated clients (and schemathesis) know it.
Id = Annotated[
    str, Field(json_schema_extra={"maxLength": ID_MAX}), _checked(ID_MAX, multiline=False)
]
RequiredId = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"maxLength": ID_MAX}),
    _checked(ID_MAX, multiline=False),
]
DateText = Annotated[
    str, Field(json_schema_extra={"maxLength": DATE_MAX}), _checked(DATE_MAX, multiline=False)
]
RequiredDateText = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"maxLength": DATE_MAX}),
    _checked(DATE_MAX, multiline=False),
]
Code = Annotated[
    str, Field(json_schema_extra={"maxLength": CODE_MAX}), _checked(CODE_MAX, multiline=False)
]
PersonName = Annotated[
    str, Field(json_schema_extra={"maxLength": NAME_MAX}), _checked(NAME_MAX, multiline=False)
]
RequiredPersonName = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"maxLength": NAME_MAX}),
    _checked(NAME_MAX, multiline=False),
]
Email = Annotated[
    str, Field(json_schema_extra={"maxLength": EMAIL_MAX}), _checked(EMAIL_MAX, multiline=False)
]
Phone = Annotated[
    str, Field(json_schema_extra={"maxLength": PHONE_MAX}), _checked(PHONE_MAX, multiline=False)
]
RequiredPhone = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"maxLength": PHONE_MAX}),
    _checked(PHONE_MAX, multiline=False),
]
Nin = Annotated[
    str, Field(json_schema_extra={"maxLength": NIN_MAX}), _checked(NIN_MAX, multiline=False)
]
InsuranceNumber = Annotated[
    str,
    Field(json_schema_extra={"maxLength": INSURANCE_NUMBER_MAX}),
    _checked(INSURANCE_NUMBER_MAX, multiline=False),
]
Label = Annotated[
    str, Field(json_schema_extra={"maxLength": LABEL_MAX}), _checked(LABEL_MAX, multiline=False)
]
CustomName = Annotated[
    str,
    Field(json_schema_extra={"maxLength": CUSTOM_NAME_MAX}),
    _checked(CUSTOM_NAME_MAX, multiline=True),
]
BreakDescription = Annotated[
    str,
    Field(json_schema_extra={"maxLength": BREAK_DESCRIPTION_MAX}),
    _checked(BREAK_DESCRIPTION_MAX, multiline=True),
]
Comment = Annotated[
    str, Field(json_schema_extra={"maxLength": COMMENT_MAX}), _checked(COMMENT_MAX, multiline=True)
]
Description = Annotated[
    str,
    Field(json_schema_extra={"maxLength": DESCRIPTION_MAX}),
    _checked(DESCRIPTION_MAX, multiline=True),
]
Reason = Annotated[
    str, Field(json_schema_extra={"maxLength": REASON_MAX}), _checked(REASON_MAX, multiline=True)
]


def break_too_long(since: str | None, till: str | None) -> bool:
    """Whether a break's readable `since`..`till` spans more than `BREAK_MAX`. Unreadable or
    missing ends are left to the use case, which answers them with the spec's messages."""
    if not since or not till:
        return False
    start, end = timefmt.parse_datetime(since), timefmt.parse_datetime(till)
    return start is not None and end is not None and end - start > BREAK_MAX
