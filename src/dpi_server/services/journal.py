"""The request journal (issue #10, item 5): the last requests of each API client, in process
memory (docs/decisions.md "Faults and the request journal").

Recording is an append to a bounded deque of what the middleware already holds (raw header
lists, bodies cut at `body_bytes`); decoding and masking secrets happen only when an operator
reads the journal.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dpi_server.services.masking import mask_headers, mask_text

UNATTRIBUTED = ""  # requests that name no client we could verify (a refused token request)


@dataclass(slots=True)
class JournalEntry:
    """One request as the middleware saw it; raw, so recording copies nothing."""

    at: datetime
    client_id: str
    method: str
    path: str
    query: bytes
    status: int | None  # None: the connection was dropped before an answer
    latency_ms: float
    request_id: str
    fault: str | None
    request_headers: Sequence[tuple[bytes, bytes]]
    response_headers: Sequence[tuple[bytes, bytes]]
    # The first `body_bytes` of each body, and its whole size.
    request_body: bytes
    request_size: int
    response_body: bytes
    response_size: int
    seq: int = 0

    @property
    def truncated(self) -> bool:
        return self.request_size > len(self.request_body) or self.response_size > len(
            self.response_body
        )


@dataclass(frozen=True, slots=True)
class JournalView:
    """An entry as an operator sees it, secrets masked."""

    seq: int
    at: datetime
    client_id: str | None
    method: str
    path: str
    query: str
    operation: str | None
    status: int | None
    latency_ms: float
    request_id: str
    fault: str | None
    rate_limit: dict[str, str]
    request_headers: list[tuple[str, str]]
    request_body: str
    request_body_size: int
    response_body: str
    response_body_size: int
    truncated: bool


@dataclass
class RequestJournal:
    """Per client, the last `size` entries (newest kept)."""

    size: int = 500
    body_bytes: int = 4096
    _entries: dict[str, deque[JournalEntry]] = field(default_factory=dict, init=False)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def record(self, entry: JournalEntry) -> None:
        entry.seq = next(self._seq)
        ring = self._entries.get(entry.client_id)
        if ring is None:
            ring = self._entries[entry.client_id] = deque(maxlen=self.size)
        ring.append(entry)

    def entries(self, client_id: str | None = None, limit: int = 100) -> list[JournalEntry]:
        """Newest first: one client's, or everyone's (unattributed ones included)."""
        if client_id is not None:
            ring = self._entries.get(client_id, deque())
            return list(itertools.islice(reversed(ring), limit))
        merged = sorted((e for ring in self._entries.values() for e in ring), key=lambda e: -e.seq)
        return merged[:limit]

    def clear(self) -> None:
        """Forget everything (the sandbox reset calls this too)."""
        self._entries = {}


def view(entry: JournalEntry, operation: str | None) -> JournalView:
    """`entry` decoded, with its rate-limit headers picked out and its secrets masked."""
    rate_limit = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in entry.response_headers
        if name.startswith(b"x-ratelimit-") or name == b"retry-after"
    }
    return JournalView(
        seq=entry.seq,
        at=entry.at,
        client_id=entry.client_id or None,
        method=entry.method,
        path=entry.path,
        query=mask_text(entry.query.decode("latin-1")),
        operation=operation,
        status=entry.status,
        latency_ms=round(entry.latency_ms, 3),
        request_id=entry.request_id,
        fault=entry.fault,
        rate_limit=rate_limit,
        request_headers=mask_headers(entry.request_headers),
        request_body=mask_text(entry.request_body.decode("utf-8", "replace")),
        request_body_size=entry.request_size,
        response_body=mask_text(entry.response_body.decode("utf-8", "replace")),
        response_body_size=entry.response_size,
        truncated=entry.truncated,
    )
