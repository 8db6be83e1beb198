"""`dpi serve` freezes its startup heap before serving (cli/serve.py `_settle_heap`): full
collections then walk only what requests created, instead of the whole app every time."""

from __future__ import annotations

import gc

from dpi_server.cli.serve import _settle_heap


def test_the_startup_heap_is_frozen() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        _settle_heap()
        # The app's modules alone are tens of thousands of tracked objects.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_count()[2] == 0
    finally:
        gc.unfreeze()
