"""`client.notifications`: the pull queue, and a consumer loop over it.

Generated from `_resources/notifications.py` by scripts/sync_sdk.py: edit that file, not this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import httpx

from dpi._base import parse_none
from dpi._exceptions import NotFound
from dpi._notifications import HandlerFailed, Notification, NotificationBatch, parse_pulled
from dpi._resources_sync.base import Resource
from dpi._waiting import Event, Outcome, sync_pause

T = TypeVar("T")

EMPTY_QUEUE_MESSAGE = "No notifications found"


class Notifications(Resource):
    """`client.notifications`: the client's pull queue (behaviour.md §11.2).

    Pulling consumes: a pulled notification is never served again, so every one is handed to
    the caller, unknown event types included (`UnknownNotification`).
    """

    def pull(self) -> Notification | None:
        """The oldest notification, or None when the queue is empty (pullNotification)."""
        return self._pull("pullNotification", lambda r: parse_pulled(r.json()), None)

    def pull_many(self, limit: int = 100) -> NotificationBatch:
        """Up to `limit` (1 to 100) oldest notifications and how many remain
        (pullMultipleNotification); an empty queue gives an empty batch."""
        empty = NotificationBatch(notifications=[], remaining=0)
        return self._pull(
            "pullMultipleNotification", NotificationBatch.from_response, empty, {"limit": limit}
        )

    def release(self) -> None:
        """Re-queue buried push notifications (releaseNotifications): push clients only,
        once an hour (`RateLimited` with `retry_after` otherwise)."""
        self._send("releaseNotifications", parse_none)

    def consume(
        self,
        handler: Callable[[Notification], Outcome],
        *,
        limit: int = 100,
        idle_delay: float = 1.0,
        max_idle_delay: float = 30.0,
        stop: Event | None = None,
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
            batch = self.pull_many(limit)
            for index, notification in enumerate(batch.notifications):
                try:
                    handler(notification)
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
            if sync_pause(stop, delay):
                break
            delay = min(max_idle_delay, delay * 2)
        return handled

    def _pull(
        self,
        operation_id: str,
        parse: Callable[[httpx.Response], T],
        empty: T,
        params: Mapping[str, object] | None = None,
    ) -> T:
        """Send a pull operation; `empty` is the answer of an empty queue."""
        try:
            return self._send(operation_id, parse, params=params)
        except NotFound as error:
            # The queue answers 404 `No notifications found` when empty; any other 404 (a
            # server without the route answers `Object not found`) is a real error.
            if error.message == EMPTY_QUEUE_MESSAGE:
                return empty
            raise
