"""`/_sandbox/journal`: the last integration-API requests of each client, and the notification
copies sent to one, with their delivery attempts (services/journal.py, services/notifications.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from dpi_server.api.operations import OperationTable
from dpi_server.domain.errors import DomainError
from dpi_server.sandbox.api.auth import SANDBOX_TAG, OperatorDep, ServicesDep
from dpi_server.services.clients import ClientAdminError
from dpi_server.services.journal import view
from dpi_server.services.notification_ports import AttemptRecord, CopyRecord

router = APIRouter(tags=[SANDBOX_TAG])


class UnknownClient(DomainError):
    status = 404
    message = "No such API client."


class JournalRequest(BaseModel):
    seq: int
    at: datetime
    client_id: str | None = Field(description="null: a request no verified client made")
    method: str
    path: str
    query: str
    operation: str | None
    status: int | None = Field(description="null: the connection was dropped (injected)")
    latency_ms: float
    request_id: str
    fault: str | None = Field(description="the injected fault (X-Dpi-Fault), if any")
    rate_limit: dict[str, str] = Field(description="X-RateLimit-* and Retry-After as sent")
    request_headers: list[tuple[str, str]]
    request_body: str
    request_body_size: int
    response_body: str
    response_body_size: int
    truncated: bool = Field(description="a body is longer than what the journal keeps")


class Journal(BaseModel):
    requests: list[JournalRequest]


class NotificationCopy(BaseModel):
    notification: CopyRecord
    attempt_log: list[AttemptRecord]


class NotificationJournal(BaseModel):
    client_id: str
    copies: list[NotificationCopy]


@router.get("/journal", operation_id="sandboxGetJournal", response_model=Journal)
async def get_journal(
    request: Request,
    _operator: OperatorDep,
    services: ServicesDep,
    client_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
) -> Journal:
    """The last requests, newest first: one client's, or every client's."""
    table: OperationTable = request.app.state.operations
    entries = services.journal.entries(client_id, limit)
    return Journal(
        requests=[
            JournalRequest.model_validate(
                view(e, table.find(e.method, e.path)), from_attributes=True
            )
            for e in entries
        ]
    )


@router.get(
    "/journal/notifications",
    operation_id="sandboxGetNotificationJournal",
    response_model=NotificationJournal,
)
async def get_notification_journal(
    _operator: OperatorDep,
    services: ServicesDep,
    client_id: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NotificationJournal:
    """A client's notification copies, newest first, each with its delivery attempts."""
    admin = services.notification_admin
    try:
        copies = await admin.list_copies(client_id, None, limit)
    except ClientAdminError as exc:
        raise UnknownClient(str(exc)) from None
    shown = []
    for copy in copies:
        _record, _body, attempts = await admin.show_copy(copy.delivery_id)
        shown.append(NotificationCopy(notification=copy, attempt_log=attempts))
    return NotificationJournal(client_id=client_id, copies=shown)
