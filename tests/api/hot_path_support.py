"""How the hot-path tests (test_hot_reads, test_hot_booking) compare an answer with the full
stack's (the `full_stack` fixture, tests/api/conftest.py)."""

from __future__ import annotations

import httpx


def wire(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body; the request id (new for every answer) only by name."""
    headers = [(k, "<id>" if k == "x-request-id" else v) for k, v in response.headers.multi_items()]
    assert "x-request-id" in dict(headers)
    return response.status_code, headers, response.content
