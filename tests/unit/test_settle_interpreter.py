"""`dpi serve` freezes its startup heap before serving (cli/serve.py `_settle_interpreter`):
full collections then walk only what requests created, instead of the whole app every time;
and worker threads hand the GIL back to the event loop every millisecond."""

from __future__ import annotations

import gc
import sys

from dpi_server.cli.serve import SWITCH_INTERVAL_S, _settle_interpreter


def test_the_startup_heap_is_frozen() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    interval = sys.getswitchinterval()
    try:
        _settle_interpreter()
        # The app's modules alone are tens of thousands of tracked objects.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_count()[2] == 0
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S < 0.005
    finally:
        gc.unfreeze()
        sys.setswitchinterval(interval)
