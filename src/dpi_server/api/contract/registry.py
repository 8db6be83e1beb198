"""What each operation answers, keyed by operationId (behaviour.md §4, §7.2; wire.md §2.1).

The routes stay free to change how they read requests: the document generator
(api/contract/document.py) looks every operation up here by its operationId and writes its
responses from this table. A test checks that the table and the app's operations match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Error statuses every authenticated API operation may answer.
_AUTH = (401, 429)
# ... and those of a request with a JSON body.
_BODY = (400, 413)


@dataclass(frozen=True, slots=True)
class Success:
    status: int
    description: str
    schema: str | None = None  # a component of api/contract/models.py; None: no body
    location: bool = False  # a `Location` header names the created resource


@dataclass(frozen=True, slots=True)
class Operation:
    success: Success
    # Error statuses beyond the common ones, each with what it covers.
    errors: Mapping[int, str] = field(default_factory=dict)
    body: bool = False  # has a JSON request body (400 for shape errors, 413 when too large)
    extensions: tuple[str, ...] = ()  # the `with` values this operation honours
    api: bool = True  # under /api/v3/integration: bearer token and rate limits

    def error_statuses(self) -> list[int]:
        statuses = set(self.errors)
        if self.api:
            statuses.update(_AUTH)
        if self.body:
            statuses.update(_BODY)
        return sorted(statuses)


_NOT_FOUND = "`Object not found`: an id in the path does not exist (or is of another locale)."
_PATH_403 = (
    "The path leaves the client's estate (`You are not authorized to see this facility`, "
    "`... doctor`, `... address`) or a child does not belong to its parent "
    "(`This address does not belong to this facility`, `Doctor is not related with facility`)."
)
_EDIT_403 = _PATH_403 + (
    " A read-only assignment: `You are not authorized to make changes on this calendar`."
)
_NOT_COMMERCIAL = (
    "`Cannot activate calendar on address N, profile/address is not commercial`: the doctor "
    "or the address is not commercial."
)


def _path(**extra: str) -> dict[int, str]:
    """The errors of every operation under a facility path, plus `extra` (`e403=...`)."""
    found: dict[int, str] = {403: _PATH_403, 404: _NOT_FOUND}
    for key, text in extra.items():
        status = int(key.removeprefix("e"))
        found[status] = f"{found[status]} {text}" if status in found else text
    return found


def _editing(**extra: str) -> dict[int, str]:
    found = _path(**extra)
    found[403] = _EDIT_403 + (f" {extra['e403']}" if "e403" in extra else "")
    return found


_INVALID = "`Invalid arguments`, with `errors` mapping each field path to its messages."
_DOCTOR_EXTENSIONS = ("doctor.profile_url", "doctor.license_numbers")
_ADDRESS_EXTENSIONS = (
    "address.online_only",
    "address.visit_payment",
    "address.commercial_type",
    "address.insurance_support",
)
_SERVICE_EXTENSIONS = (
    "address_service.allowed_patients",
    "address_service.custom_name",
    "address_service.public_insurance_flow",
)

_PRESENCE_ERRORS = _path(
    e400="`Visit is in the future`.",
    e403="`This booking does not belong to this address`.",
    e404="`This visit does not belong to this doctor`.",
    e409="`Visit is marked as canceled`.",
)

OPERATIONS: Mapping[str, Operation] = {
    "getAccessToken": Operation(
        Success(200, "A bearer token for `Authorization: Bearer <token>`.", "TokenResponse"),
        {
            400: "RFC 6749 `invalid_request`, `unsupported_grant_type` or `invalid_scope`.",
            401: "`invalid_client`: unknown client or wrong secret.",
            413: "The body is over the size limit (Docplanner's error envelope).",
            429: "`slow_down`: too many attempts for this client id or source address.",
        },
        api=False,
    ),
    # Facilities and doctors
    "getFacilities": Operation(
        Success(200, "The facilities assigned to the client.", "Facilities")
    ),
    "getFacility": Operation(
        Success(200, "One facility.", "Facility"), _path(), extensions=("facility.doctors",)
    ),
    "getDoctors": Operation(
        Success(200, "The commercial doctors connected to the facility.", "Doctors"),
        _path(),
        extensions=(*_DOCTOR_EXTENSIONS, "doctor.specializations"),
    ),
    "getDoctor": Operation(
        Success(200, "One doctor.", "Doctor"),
        _path(),
        extensions=(
            *_DOCTOR_EXTENSIONS,
            "doctor.addresses",
            "address.booking_extra_fields",
            "address.online_only",
            "address.visit_payment",
            "address.commercial_type",
        ),
    ),
    # Addresses
    "getAddresses": Operation(
        Success(200, "The doctor's addresses in the facility.", "Addresses"),
        _path(),
        extensions=_ADDRESS_EXTENSIONS,
    ),
    "getAddress": Operation(
        Success(200, "One address.", "Address"), _path(), extensions=_ADDRESS_EXTENSIONS
    ),
    "updateAddress": Operation(
        Success(200, "The updated address, with `insurance_support`.", "Address"),
        _editing(e400=_INVALID),
        body=True,
        extensions=_ADDRESS_EXTENSIONS,
    ),
    "removeAddressIntegration": Operation(
        Success(202, "Accepted: the address no longer counts as integrated. No body."),
        _editing(e403="`You are not authorized to use this feature`."),
    ),
    # Services
    "getServices": Operation(
        Success(200, "The dictionary of services of the locale.", "Services"),
        {400: "`specialization_id` is not a positive integer."},
        extensions=("services.only_diagnostics",),
    ),
    "getAddressServices": Operation(
        Success(200, "The services of the address.", "AddressServices"),
        _path(e404="`Slot not found`: no slot starts at `start`."),
        extensions=_SERVICE_EXTENSIONS,
    ),
    "addAddressService": Operation(
        Success(201, "Created: the new address service.", "AddressService", location=True),
        _editing(
            e400=_INVALID + " Also the price message.",
            e409="`The address service you are trying to add already exists in the system`.",
        ),
        body=True,
        extensions=_SERVICE_EXTENSIONS,
    ),
    "getAddressService": Operation(
        Success(200, "One address service.", "AddressService"),
        _path(e403="`This service does not belong to this address`."),
        extensions=_SERVICE_EXTENSIONS,
    ),
    "updateAddressService": Operation(
        Success(200, "The updated address service.", "AddressService"),
        _editing(e400=_INVALID, e403="`This service does not belong to this address`."),
        body=True,
        extensions=_SERVICE_EXTENSIONS,
    ),
    "deleteAddressService": Operation(
        Success(204, "Deleted. No body."),
        _editing(e403="`This service does not belong to this address`."),
    ),
    # Insurance
    "getInsuranceProviders": Operation(
        Success(200, "The dictionary of insurance providers.", "InsuranceProviders")
    ),
    "getInsurancePlans": Operation(
        Success(200, "The plans of one dictionary provider.", "InsurancePlans"),
        {404: "The provider is not in the dictionary."},
    ),
    "getAddressInsuranceProviders": Operation(
        Success(200, "The providers accepted at the address.", "AddressInsuranceProviders"),
        _path(),
    ),
    "addAddressInsuranceProvider": Operation(
        Success(204, "Linked. No body."),
        _editing(
            e400="`Insurance provider with given ID is already assigned to this address.`, "
            "or a plan of another provider.",
            e404="`Provided insurance provider ID not found in dictionary`.",
        ),
        body=True,
    ),
    "updateOrCreateAddressInsuranceProvider": Operation(
        Success(204, "Linked, with exactly the plans given. No body."),
        _editing(
            e400="A plan of another provider.",
            e404="`Provided insurance provider ID not found in dictionary`.",
        ),
        body=True,
    ),
    "deleteAddressInsuranceProvider": Operation(
        Success(204, "Unlinked. No body."),
        _editing(e400="`Insurance provider with given ID is not assigned to this address.`"),
    ),
    # Calendars
    "getCalendar": Operation(
        Success(200, "The calendar's status.", "Calendar"),
        _path(e404="`Calendar does not exist`."),
    ),
    "enableCalendar": Operation(
        Success(200, "Enabled. No body."),
        _editing(
            e400="`Could not enable calendar on disabled address`.",
            e409="`Calendar already enabled`.",
            e422=_NOT_COMMERCIAL,
        ),
    ),
    "disableCalendar": Operation(
        Success(200, "Disabled. No body."),
        _editing(e409="`Calendar already disabled`."),
    ),
    # Breaks
    "getCalendarBreaks": Operation(
        Success(200, "The breaks that intersect `since`..`till`.", "CalendarBreaks"),
        _path(
            e400='`Param "since" is required!` / `Param "till" is required!`.',
            e404="`Calendar not found for this address`, `Invalid date given.`.",
        ),
    ),
    "addCalendarBreak": Operation(
        Success(201, "Created: the new break.", "CalendarBreak", location=True),
        _editing(
            e400='`Param "since" is required!`, `Param "till" is required!`, or a field map.',
            e409="`Break for given address, date range and description exists`.",
            e422="`Invalid date range`, or " + _NOT_COMMERCIAL,
        ),
        body=True,
    ),
    "getCalendarBreak": Operation(
        Success(200, "One break.", "CalendarBreak"),
        _path(e404="`Invalid break ID`."),
    ),
    "moveCalendarBreak": Operation(
        Success(204, "Moved (with the breaks linked to it). No body."),
        _editing(
            e400='`Param "since" is required!`, `Param "till" is required!`, or a field map.',
            e404="`Invalid break ID`.",
            e422="`Same Date Range`, `Till (...) cannot be set before since (...)`, "
            "`Invalid date range`.",
        ),
        body=True,
    ),
    "deleteCalendarBreak": Operation(
        Success(204, "Deleted (with the breaks linked to it). No body."),
        _editing(e404="`Invalid break ID`."),
    ),
    # Slots
    "getSlots": Operation(
        Success(200, "The free slots between `start` and `end`.", "Slots"),
        _path(
            e400="Missing or unreadable `start`/`end`, `end` not after `start`, or "
            "`Date range must not exceed 180 days`.",
            e404="`No slots found on given address`.",
        ),
        extensions=("slot.services",),
    ),
    "replaceSlots": Operation(
        Success(201, "The availability is replaced. No body."),
        _editing(
            e400=_INVALID + " Also `Slots comes from different days`, "
            "`Address service does not exist` and the insurance rules.",
            e422=_NOT_COMMERCIAL,
            e429="The same payload is still being processed.",
        ),
        body=True,
    ),
    "deleteSlots": Operation(
        Success(204, "The day's availability is removed. No body."),
        _editing(e404="`Invalid date given.`"),
    ),
    "bookSlot": Operation(
        Success(200, "The new booking.", "Booking"),
        _editing(
            e400=_INVALID,
            e404="`Unable to book a visit for this address`, `Service does not exist`, "
            "`Unable to perform booking. Requested target slot (...) not found`, "
            "`Unable to perform booking. Slot (...) does not support service N`.",
            e422=_NOT_COMMERCIAL,
        ),
        body=True,
    ),
    # Bookings
    "getBookings": Operation(
        Success(200, "The bookings starting between `start` and `end`.", "Bookings"),
        _path(e400="Missing or unreadable `start`/`end`, or a bad `page`/`limit`."),
        extensions=(
            "booking.patient",
            "booking.address_service",
            "booking.presence",
            "booking.confirmation",
            "address_service.public_insurance_flow",
        ),
    ),
    "getBooking": Operation(
        Success(200, "One booking, with its patient and address service.", "Booking"),
        _path(e403="`This booking does not belong to this address`."),
        extensions=(
            "booking.moving",
            "booking.confirmation",
            "address_service.public_insurance_flow",
        ),
    ),
    "cancelBooking": Operation(
        Success(204, "Canceled. No body."),
        _path(
            e400="`Visit N cannot be canceled because it is not booked`, "
            "`Unable to cancel a visit for this address`.",
            e403="`This booking does not belong to this address`.",
        ),
        body=True,
    ),
    "moveBooking": Operation(
        Success(201, "Moved: the new booking.", "Booking", location=True),
        _path(
            e400=_INVALID + " Also `Service does not belong to the address`, "
            "`Service does not exist`, `Address does not exist`.",
            e403="`This booking does not belong to this address`.",
            e404="`Unable to book a visit for this address`, or the target slot.",
            e409="`The visit has already been canceled or moved`.",
            e422="The booking holds a payment and the target address bills through another "
            "payment account.",
        ),
        body=True,
        extensions=("address_service.public_insurance_flow",),
    ),
    "confirmBooking": Operation(
        Success(204, "Confirmed. No body."),
        _path(
            e400="`confirmed_by value is invalid`, "
            "`Integration is not authorized for this address`.",
            e403="`This booking does not belong to this address`.",
            e409="`Visit has already been confirmed`, `Visit has been canceled`, "
            "`Visit has been deleted`, `Visit is in the past`.",
        ),
        body=True,
    ),
    "requestOpinion": Operation(
        Success(200, "The request is sent. No body."),
        _path(
            e400="`Phone number is invalid.`",
            e403="`Visit not found`.",
            e409="`Opinion already exists`.",
            e422="`Cannot send request`.",
        ),
        body=True,
    ),
    "markPatientPresence": Operation(
        Success(204, "Marked present. No body."),
        _PRESENCE_ERRORS,
    ),
    "markPatientAbsence": Operation(
        Success(204, "Marked absent. No body."),
        _PRESENCE_ERRORS,
    ),
    # Notifications (behaviour.md §11; the bodies are api/routes/notifications.py's schemas)
    "pullNotification": Operation(
        Success(
            200, "The oldest notification not pulled yet; pulling consumes it.", "Notification"
        ),
        {404: "`No notifications found`: the queue is empty."},
    ),
    "pullMultipleNotification": Operation(
        Success(
            200,
            "Up to `limit` of the oldest notifications, and how many remain queued.",
            "PullMultipleNotificationsResponse",
        ),
        {400: _INVALID + " `limit` must be 1..100.", 404: "`No notifications found`."},
    ),
    "releaseNotifications": Operation(
        Success(204, "Buried push notifications are queued again. No body."),
        {
            403: "`You are not allowed to use this method`: the client is not a push client.",
            429: "Called again within the hour: `Too Many Requests`, with `Retry-After`.",
        },
    ),
}

# The spec's tags (wire.md §2.1), in its order, each with its operations.
TAGS: Mapping[str, tuple[str, ...]] = {
    "Authorization": ("getAccessToken",),
    "Facilities": ("getFacilities", "getFacility"),
    "Doctors": ("getDoctors", "getDoctor"),
    "Addresses": ("getAddresses", "getAddress", "updateAddress", "removeAddressIntegration"),
    "Services": (
        "getServices",
        "getAddressServices",
        "addAddressService",
        "getAddressService",
        "updateAddressService",
        "deleteAddressService",
    ),
    "Insurances": (
        "getInsuranceProviders",
        "getInsurancePlans",
        "getAddressInsuranceProviders",
        "addAddressInsuranceProvider",
        "updateOrCreateAddressInsuranceProvider",
        "deleteAddressInsuranceProvider",
    ),
    "Calendars": ("getCalendar", "enableCalendar", "disableCalendar"),
    "Calendar Breaks": (
        "getCalendarBreaks",
        "addCalendarBreak",
        "getCalendarBreak",
        "moveCalendarBreak",
        "deleteCalendarBreak",
    ),
    "Slots": ("getSlots", "replaceSlots", "deleteSlots", "bookSlot"),
    "Bookings": (
        "getBookings",
        "getBooking",
        "cancelBooking",
        "moveBooking",
        "confirmBooking",
        "requestOpinion",
    ),
    "Patient Presence": ("markPatientPresence", "markPatientAbsence"),
    "Notifications": ("pullNotification", "pullMultipleNotification", "releaseNotifications"),
}
TAG_OF: Mapping[str, str] = {op: tag for tag, ops in TAGS.items() for op in ops}
