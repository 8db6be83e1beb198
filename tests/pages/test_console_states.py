"""The console's log shows a pending push copy that failed before as `retrying`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dpi_server.sandbox.pages.console import shown_state
from dpi_server.services.notification_ports import CopyRecord

NOW = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "attempts", "shown"),
    [
        ("pending", 0, "pending"),
        ("pending", 2, "retrying"),
        ("buried", 3, "buried"),
        ("delivered", 1, "delivered"),
        ("queued", 0, "queued"),
        ("pulled", 0, "pulled"),
    ],
)
def test_the_state_a_copy_is_shown_in(state: str, attempts: int, shown: str) -> None:
    copy = CopyRecord(1, "c", "slot-booked", "push", state, attempts, NOW, None, None)

    assert shown_state(copy) == shown
