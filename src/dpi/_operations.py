"""Every operation of the API: its operationId (the spec's), method, path and SDK method.

The resources build their requests from this table, and a test checks it against the server's
OpenAPI document, so a new operation cannot be missing from the SDK unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v3/integration"
TOKEN_PATH = "/oauth/v2/token"

_A = "/facilities/{facility_id}/doctors/{doctor_id}/addresses/{address_id}"


@dataclass(frozen=True)
class Operation:
    """One endpoint. `path` is relative to `API_PREFIX`; `method_name` is the SDK's
    `resource.method` for it (the same on `Client` and `AsyncClient`). `aliases` are other
    names the operation goes by: the OAS names the notification operations in words
    ("Pull Notification"), the PHP SDK in camel case (`pullNotification`)."""

    operation_id: str
    method: str
    path: str
    method_name: str
    aliases: tuple[str, ...] = ()


OPERATIONS: dict[str, Operation] = {
    op.operation_id: op
    for op in (
        Operation("getFacilities", "GET", "/facilities", "facilities.list"),
        Operation("getFacility", "GET", "/facilities/{facility_id}", "facilities.get"),
        Operation("getDoctors", "GET", "/facilities/{facility_id}/doctors", "doctors.list"),
        Operation(
            "getDoctor", "GET", "/facilities/{facility_id}/doctors/{doctor_id}", "doctors.get"
        ),
        Operation(
            "requestOpinion",
            "PUT",
            "/facilities/{facility_id}/doctors/{doctor_id}/opinion-request",
            "doctors.request_opinion",
        ),
        Operation(
            "getAddresses",
            "GET",
            "/facilities/{facility_id}/doctors/{doctor_id}/addresses",
            "addresses.list",
        ),
        Operation("getAddress", "GET", _A, "addresses.get"),
        Operation("updateAddress", "PATCH", _A, "addresses.update"),
        Operation(
            "removeAddressIntegration",
            "DELETE",
            _A + "/integration",
            "addresses.remove_integration",
        ),
        Operation("getServices", "GET", "/services", "services.list"),
        Operation("getAddressServices", "GET", _A + "/services", "address_services.list"),
        Operation("addAddressService", "POST", _A + "/services", "address_services.add"),
        Operation(
            "getAddressService",
            "GET",
            _A + "/services/{address_service_id}",
            "address_services.get",
        ),
        Operation(
            "updateAddressService",
            "PATCH",
            _A + "/services/{address_service_id}",
            "address_services.update",
        ),
        Operation(
            "deleteAddressService",
            "DELETE",
            _A + "/services/{address_service_id}",
            "address_services.delete",
        ),
        Operation(
            "getInsuranceProviders", "GET", "/insurance-providers", "insurance_providers.list"
        ),
        Operation(
            "getInsurancePlans",
            "GET",
            "/insurance-providers/{insurance_provider_id}/plans",
            "insurance_providers.plans",
        ),
        Operation(
            "getAddressInsuranceProviders",
            "GET",
            _A + "/insurance-providers",
            "address_insurance_providers.list",
        ),
        Operation(
            "addAddressInsuranceProvider",
            "POST",
            _A + "/insurance-providers",
            "address_insurance_providers.add",
        ),
        Operation(
            "updateOrCreateAddressInsuranceProvider",
            "PUT",
            _A + "/insurance-providers",
            "address_insurance_providers.update_or_create",
        ),
        Operation(
            "deleteAddressInsuranceProvider",
            "DELETE",
            _A + "/insurance-providers/{insurance_provider_id}",
            "address_insurance_providers.delete",
        ),
        Operation("getCalendar", "GET", _A + "/calendar", "calendars.get"),
        Operation("enableCalendar", "POST", _A + "/calendar/enable", "calendars.enable"),
        Operation("disableCalendar", "POST", _A + "/calendar/disable", "calendars.disable"),
        Operation("getCalendarBreaks", "GET", _A + "/breaks", "breaks.list"),
        Operation("addCalendarBreak", "POST", _A + "/breaks", "breaks.add"),
        Operation("getCalendarBreak", "GET", _A + "/breaks/{break_id}", "breaks.get"),
        Operation("moveCalendarBreak", "PATCH", _A + "/breaks/{break_id}", "breaks.move"),
        Operation("deleteCalendarBreak", "DELETE", _A + "/breaks/{break_id}", "breaks.delete"),
        Operation("getSlots", "GET", _A + "/slots", "slots.list"),
        Operation("replaceSlots", "PUT", _A + "/slots", "slots.replace"),
        Operation("deleteSlots", "DELETE", _A + "/slots/{date}", "slots.delete"),
        Operation("bookSlot", "POST", _A + "/slots/{start}/book", "slots.book"),
        Operation("getBookings", "GET", _A + "/bookings", "bookings.list"),
        Operation("getBooking", "GET", _A + "/bookings/{booking_id}", "bookings.get"),
        Operation("cancelBooking", "DELETE", _A + "/bookings/{booking_id}", "bookings.cancel"),
        Operation("moveBooking", "POST", _A + "/bookings/{booking_id}/move", "bookings.move"),
        Operation(
            "confirmBooking", "PUT", _A + "/bookings/{booking_id}/confirm", "bookings.confirm"
        ),
        Operation(
            "markPatientPresence",
            "POST",
            _A + "/bookings/{booking_id}/presence/patient",
            "bookings.mark_presence",
        ),
        Operation(
            "markPatientAbsence",
            "DELETE",
            _A + "/bookings/{booking_id}/presence/patient",
            "bookings.mark_absence",
        ),
        Operation(
            "pullNotification",
            "GET",
            "/notifications",
            "notifications.pull",
            ("Pull Notification",),
        ),
        Operation(
            "pullMultipleNotification",
            "GET",
            "/notifications/multiple",
            "notifications.pull_many",
            ("Pull Multiple Notification", "pullMultipleNotifications"),
        ),
        Operation(
            "releaseNotifications",
            "POST",
            "/notifications/release",
            "notifications.release",
            ("Release Notifications",),
        ),
    )
}
"""The API's operations by operationId (behaviour.md §7.2)."""

TOKEN_OPERATION = Operation("getAccessToken", "POST", TOKEN_PATH, "get_access_token")
"""The token endpoint, on the site root rather than under `API_PREFIX`."""
