"""The one place where database errors become the API's documented answers, or a retry.

The use cases check every rule under a row lock (or SQLite's single writer) before they
write, so a constraint only fires when two transactions raced past each other's checks. A
unique violation on a table with a documented duplicate answer becomes that answer; anything
else that means "lost a race" (another unique or foreign-key violation, a serialization
failure, a deadlock, a lock wait that timed out, SQLite's busy database) becomes
`StorageConflict`, and the use case runs again and meets the committed winner in its checks.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from dpi_server.domain import errors
from dpi_server.services.ports import StorageConflict

# Tables whose natural keys have a documented duplicate answer (behaviour.md §4).
_DUPLICATE_ANSWERS: dict[str, type[errors.DomainError]] = {
    "address_services": errors.AddressServiceAlreadyExists,
    "address_insurance_providers": errors.AddInsuranceValidationError,
    "opinion_requests": errors.OpinionAlreadyExists,
}
# PostgreSQL SQLSTATEs that mean "this transaction lost a race; run it again".
_RETRYABLE_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
        "57014",  # query_canceled (statement or lock timeout)
    }
)
_UNIQUE_SQLSTATE = "23505"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.")


def translate(exc: DBAPIError) -> Exception | None:
    """The exception to raise instead of `exc`, or None when it is not a race we know."""
    sqlstate, table = _details(exc)
    if isinstance(exc, IntegrityError):
        duplicate = _DUPLICATE_ANSWERS.get(table or "")
        if duplicate is not None and (sqlstate in (None, _UNIQUE_SQLSTATE)):
            return duplicate()
        return StorageConflict(str(exc.orig))
    if sqlstate in _RETRYABLE_SQLSTATES:
        return StorageConflict(str(exc.orig))
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
        return StorageConflict(str(exc.orig))
    return None


def _details(exc: DBAPIError) -> tuple[str | None, str | None]:
    """(SQLSTATE, table) from asyncpg's error behind SQLAlchemy's, or from SQLite's text."""
    orig = exc.orig
    driver_error = getattr(orig, "__cause__", None)
    sqlstate = getattr(driver_error, "sqlstate", None) or getattr(orig, "pgcode", None)
    table = getattr(driver_error, "table_name", None)
    if table is None:
        found = _SQLITE_UNIQUE.search(str(orig))
        table = found.group(1) if found else None
    return sqlstate, table
