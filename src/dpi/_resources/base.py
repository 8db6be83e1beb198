"""What every resource shares: its client, and the one way its methods send a call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from dpi._base import Call
from dpi._operations import OPERATIONS

if TYPE_CHECKING:
    from dpi._client_async import AsyncClient

T = TypeVar("T")


class AsyncResource:
    """A group of operations of `AsyncClient` (`client.facilities`, `client.slots`...)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _send(
        self,
        operation_id: str,
        parse: Callable[[httpx.Response], T],
        path: Mapping[str, object] | None = None,
        *,
        params: Mapping[str, object | None] | None = None,
        json: Any = None,
        retry: bool | None = None,
        recover: Callable[[], Any] | None = None,
    ) -> T:
        """Call the operation named by its operationId with these path values, query and body,
        retrying as the client's policy allows; answer the parsed success or raise its error.

        `retry` overrides the policy for this call; `recover` finds what a call whose answer
        was lost may have created (see `Call.recover`).
        """
        target = Call(
            OPERATIONS[operation_id], parse, path or {}, params or {}, json, retry, recover
        )
        return await self._client._request(target)
