"""What the fault, journal and request-id tests share."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import Answer, Receiver
from tests.conftest import Api


async def token_request(api: Api, estate: TestEstate, secret: str | None = None) -> httpx.Response:
    """`POST /oauth/v2/token` with the estate's credentials in a form body."""
    return await api.http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "integration",
            "client_id": estate.client_id,
            "client_secret": secret or estate.client_secret,
        },
    )


def receiver_answering(status: int) -> Iterator[Receiver]:
    """A vendor endpoint answering every post with `status`, closed afterwards."""
    found = Receiver()
    found.answer = lambda _r: Answer(status)
    yield found
    found.close()
