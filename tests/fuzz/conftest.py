"""Prints what the fuzz run did in the session summary, where CI's log keeps it even when the
test passes (captured output of passing tests is not shown)."""

from __future__ import annotations

import pytest

SUMMARY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    for line in config.stash.get(SUMMARY, []):
        terminalreporter.write_line(line)
