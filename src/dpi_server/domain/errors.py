"""The error tree of the API, each error carrying the exact status and message of the spec.

Messages are the literal strings of spec/behaviour.md §4; clients branch on them, so they are
never reworded. Errors that carry a field map (`errors` as an object) use `FieldErrors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """Base of every error the API answers with its documented envelope."""

    status: int = 400
    message: str = "Invalid arguments"

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)

    @property
    def field_errors(self) -> Mapping[str, Sequence[str]]:
        """Field path -> messages; empty for errors rendered with `"errors": []`."""
        return {}


class FieldErrors(DomainError):
    """400 `Invalid arguments` with `errors` as a map of field paths to messages."""

    status = 400
    message = "Invalid arguments"

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__()
        self._errors = {key: list(value) for key, value in errors.items()}

    @property
    def field_errors(self) -> Mapping[str, Sequence[str]]:
        return self._errors


# --- 400 ------------------------------------------------------------------------------------
class InvalidArguments(DomainError):
    status = 400
    message = "Invalid arguments"


class AddressServiceValidationError(DomainError):
    status = 400
    message = (
        "Invalid price value for service. Price should be either null or integer greater or "
        "equal 0."
    )


class AddInsuranceValidationError(DomainError):
    status = 400
    message = "Insurance provider with given ID is already assigned to this address."


class DeleteInsuranceValidationError(DomainError):
    status = 400
    message = "Insurance provider with given ID is not assigned to this address."


class DateRangeExceedsMaximum(DomainError):
    status = 400
    message = "Date range must not exceed 180 days"


class ParameterRequired(DomainError):
    status = 400

    def __init__(self, name: str) -> None:
        super().__init__(f'Param "{name}" is required!')


class AddressServiceDoesNotExist(DomainError):
    status = 400
    message = "Address service does not exist"


class InsuranceProviderDoesNotExist(DomainError):
    status = 400

    def __init__(self, provider_ids: Sequence[int | str], address_id: int | str) -> None:
        ids = ", ".join(str(i) for i in provider_ids)
        # The trailing quote is in Docplanner's own message; clients may match on it.
        super().__init__(
            f"Insurance provider(s) with id ({ids}) not found for address id ({address_id})'"
        )


class InsuranceProvidersMissing(DomainError):
    status = 400
    message = "Slot requires insurance (with-insurance-only), but insurance providers are missing"


class InsuranceProvidersNotSupported(DomainError):
    status = 400
    message = (
        "Insurance providers are not supported. Slot does not allow insurances "
        "(without-insurance-only)"
    )


class SlotExceedsSingleDayBoundary(DomainError):
    status = 400

    def __init__(self, start: str, end: str) -> None:
        super().__init__(f"Slot for date range {start} - {end} exceeds a single day boundary")


class ServiceDoesNotBelongToAddress(DomainError):
    status = 400
    message = "Service does not belong to the address"


class AddressDoesNotExist(DomainError):
    status = 400
    message = "Address does not exist"


class ServiceDoesNotExistForMove(DomainError):
    status = 400
    message = "Service does not exist"


class BookingNotBooked(DomainError):
    status = 400

    def __init__(self, booking_id: int | str) -> None:
        super().__init__(f"Visit {booking_id} cannot be canceled because it is not booked")


class UnableToCancelForAddress(DomainError):
    status = 400
    message = "Unable to cancel a visit for this address"


class ConfirmBookingValidationError(DomainError):
    status = 400
    message = "confirmed_by value is invalid"


class ConfirmBookingInvalidIntegration(DomainError):
    status = 400
    message = "Integration is not authorized for this address"


class VisitInTheFuture(DomainError):
    status = 400
    message = "Visit is in the future"


class OpinionRequestValidationError(DomainError):
    status = 400
    message = "Phone number is invalid."


class AddressDisabled(DomainError):
    status = 400
    message = "Could not enable calendar on disabled address"


# --- 403 ------------------------------------------------------------------------------------
class Forbidden(DomainError):
    status = 403


class FacilityNotAuthorized(Forbidden):
    message = "You are not authorized to see this facility"


class DoctorNotAuthorized(Forbidden):
    message = "You are not authorized to see this doctor"


class AddressNotAuthorized(Forbidden):
    message = "You are not authorized to see this address"


class DoctorDoesNotBelongToFacility(Forbidden):
    message = "Doctor is not related with facility"


class AddressDoesNotBelongToFacility(Forbidden):
    message = "This address does not belong to this facility"


class AddressDoesNotBelongToDoctor(Forbidden):
    message = "This address does not belong to this doctor"


class BookingDoesNotBelongToAddress(Forbidden):
    message = "This booking does not belong to this address"


class FeatureNotAuthorized(Forbidden):
    message = "You are not authorized to use this feature"


class CalendarEditionNotAuthorized(Forbidden):
    message = "You are not authorized to make changes on this calendar"


class AddressServiceMismatch(Forbidden):
    message = "This service does not belong to this address"


class VisitNotFound(Forbidden):
    message = "Visit not found"


class NotificationsReleaseForbidden(Forbidden):
    message = "You are not allowed to use this method"


class BookingOutsideFacility(Forbidden):
    message = "This address does not belong to this facility"


# --- 404 ------------------------------------------------------------------------------------
class NotFound(DomainError):
    status = 404
    message = "Object not found"


class ObjectNotFound(NotFound):
    message = "Object not found"


class InsuranceProviderNotFromDictionary(NotFound):
    message = "Provided insurance provider ID not found in dictionary"


class NoSlotsOnAddress(NotFound):
    message = "No slots found on given address"


class SlotNotFound(NotFound):
    message = "Slot not found"


class CalendarNotFoundForAddress(NotFound):
    message = "Calendar not found for this address"


class CalendarNotFound(NotFound):
    message = "Calendar does not exist"


class InvalidDate(NotFound):
    message = "Invalid date given."


class BreakNotFoundForGivenAddress(NotFound):
    message = "Invalid break ID"


class UnableToBookForAddress(NotFound):
    message = "Unable to book a visit for this address"


class ServiceDoesNotExist(NotFound):
    message = "Service does not exist"


class UnableToPerformBookingWithSlot(NotFound):
    def __init__(self, start: str) -> None:
        super().__init__(f"Unable to perform booking. Requested target slot ({start}) not found")


class UnableToPerformBookingWithService(NotFound):
    def __init__(self, start: str, address_service_id: int | str) -> None:
        super().__init__(
            f"Unable to perform booking. Slot ({start}) does not support service "
            f"{address_service_id}"
        )


class VisitDoesNotBelongToDoctor(NotFound):
    message = "This visit does not belong to this doctor"


class NotificationNotFound(NotFound):
    message = "No notifications found"


# --- 409 ------------------------------------------------------------------------------------
class Conflict(DomainError):
    status = 409


class AddressServiceAlreadyExists(Conflict):
    message = "The address service you are trying to add already exists in the system"


class CalendarBreakAlreadyExists(Conflict):
    message = "Break for given address, date range and description exists"


class VisitAlreadyMovedOrDeleted(Conflict):
    message = "The visit has already been canceled or moved"


class VisitAlreadyConfirmed(Conflict):
    message = "Visit has already been confirmed"


class VisitCanceled(Conflict):
    message = "Visit has been canceled"


class VisitDeleted(Conflict):
    message = "Visit has been deleted"


class VisitInThePast(Conflict):
    message = "Visit is in the past"


class VisitMarkedAsCanceled(Conflict):
    message = "Visit is marked as canceled"


class OpinionAlreadyExists(Conflict):
    message = "Opinion already exists"


class CalendarAlreadyEnabled(Conflict):
    message = "Calendar already enabled"


class AddressAlreadyAssigned(Conflict):
    """The marketplace side re-assigns only an address the doctor was unassigned from."""

    message = "The address is already assigned to the doctor"


class AddressAlreadyUnassigned(Conflict):
    message = "The address is already unassigned from the doctor"


class CalendarAlreadyDisabled(Conflict):
    message = "Calendar already disabled"


# --- 422 ------------------------------------------------------------------------------------
class Unprocessable(DomainError):
    status = 422


class InvalidDateRange(Unprocessable):
    message = "Invalid date range"


class SameDateRange(Unprocessable):
    message = "Same Date Range"


class TillEarlierThanSince(Unprocessable):
    def __init__(self, till: str, since: str) -> None:
        super().__init__(f"Till ({till}) cannot be set before since ({since})")


class NotCommercial(Unprocessable):
    def __init__(self, address_id: int | str) -> None:
        super().__init__(
            f"Cannot activate calendar on address {address_id}, profile/address is not commercial"
        )


class BookingCannotCrossPaymentAccounts(Unprocessable):
    message = (
        "This booking has a payment on it and the target address bills through a different "
        "payment account. Cancel the booking and create a new one instead."
    )


class CannotSendRequestForOpinion(Unprocessable):
    message = "Cannot send request"


# --- 429 ------------------------------------------------------------------------------------
class TooManyRequests(DomainError):
    status = 429
    message = "Too Many Requests"

    def __init__(self, retry_after: int | None = None, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceBusy(DomainError):
    """503: the database kept losing races for this request; nothing was changed."""

    status = 503
    message = "Service temporarily unavailable, try again"
    retry_after = 1


# --- the sandbox clock ----------------------------------------------------------------------
class ClockCannotGoBack(Conflict):
    """Tokens, retries and copies assume time only moves forward (docs/decisions.md "Sandbox
    clock"): the one way back is `real`."""

    def __init__(self, asked: str, now: str) -> None:
        super().__init__(
            f"The sandbox clock cannot be set back: {asked} is before its current time {now}. "
            "Use `real` to return to the wall clock."
        )
