"""`client.notifications`: the pull queue, and a consumer loop over it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import httpx

from dpi._base import parse_none
from dpi._exceptions import NotFound
from dpi._notifications import HandlerFailed, Notification, NotificationBatch, parse_pulled
from dpi._resources.base import AsyncResource
from dpi._waiting import AsyncEvent, AsyncOutcome, async_pause

T = TypeVar("T")

EMPTY_QUEUE_MESSAGE = "No notifications found"


class AsyncNotifications(AsyncResource):
    """`client.notifications`: the client's pull queue (behaviour.md §11.2).

    Pulling consumes: a pulled notification is never served again, so every one is handed to
    the caller, unknown event types included (`UnknownNotification`).
    """

    async def pull(self) -> Notification | None:
        """The oldest notification, or None when the queue is empty (pullNotification)."""
        return await self._pull("pullNotification", lambda r: parse_pulled(r.json()), None)

    async def pull_many(self, limit: int = 100) -> NotificationBatch:
        """Up to `limit` (1 to 100) oldest notifications and how many remain
        (pullMultipleNotification); an empty queue gives an empty batch."""
        empty = NotificationBatch(notifications=[], remaining=0)
        return await self._pull(
            "pullMultipleNotification", NotificationBatch.from_response, empty, {"limit": limit}
        )

    async def release(self) -> None:
        """Re-queue buried push notifications (releaseNotifications): push clients only,
        once an hour (`RateLimited` with `retry_after` otherwise)."""
        await self._send("releaseNotifications", parse_none)

    async def consume(
        self,
        handler: Callable[[Notification], AsyncOutcome],
        *,
        limit: int = 100,
        idle_delay: float = 1.0,
        max_idle_delay: float = 30.0,
        stop: AsyncEvent | None = None,
        stop_when_empty: bool = False,
    ) -> int:
        """Pull batches and hand each notification to `handler`, oldest first, until `stop`
        is set (or, with `stop_when_empty`, the queue is empty). Returns how many were handled.

        An empty queue is polled again after `idle_delay` seconds, doubling up to
        `max_idle_delay` while it stays empty. `stop` is checked between batches, so a batch
        already pulled is always handed over in full. Pulled notifications are gone from the
        server: when `handler` raises, the loop ends with `HandlerFailed`, which carries the
        notification that failed and the rest of its batch (the original error is its cause).
        """
        handled = 0
        delay = idle_delay
        while stop is None or not stop.is_set():
            batch = await self.pull_many(limit)
            for index, notification in enumerate(batch.notifications):
                try:
                    await handler(notification)
                except Exception as exc:
                    raise HandlerFailed(notification, batch.notifications[index + 1 :]) from exc
                handled += 1
            if batch.remaining > 0:
                delay = idle_delay
                continue
            if stop_when_empty:
                break
            if batch.notifications:
                delay = idle_delay  # more may have arrived meanwhile: look again at once
                continue
            if await async_pause(stop, delay):
                break
            delay = min(max_idle_delay, delay * 2)
        return handled

    async def _pull(
        self,
        operation_id: str,
        parse: Callable[[httpx.Response], T],
        empty: T,
        params: Mapping[str, object] | None = None,
    ) -> T:
        """Send a pull operation; `empty` is the answer of an empty queue."""
        try:
            return await self._send(operation_id, parse, params=params)
        except NotFound as error:
            # The queue answers 404 `No notifications found` when empty; any other 404 (a
            # server without the route answers `Object not found`) is a real error.
            if error.message == EMPTY_QUEUE_MESSAGE:
                return empty
            raise
