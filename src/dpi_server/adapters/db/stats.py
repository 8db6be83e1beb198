"""Per-request SQL statement and transaction counts, for the benchmark (issue #8).

Enabled by `DPI_COUNT_STATEMENTS`: engine events add to a counter that the request's context
holds, and `api/diagnostics.py` reports it in response headers. The counter lives in a
ContextVar, which SQLAlchemy's async bridge carries into the greenlet that runs the driver
call, so concurrent requests never mix their counts. Off by default: the events are not even
registered then, so production pays nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementTally:
    """What one request ran: statements sent to the database (BEGIN excluded) and transactions."""

    __slots__ = ("statements", "transactions")

    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0


_current: ContextVar[StatementTally | None] = ContextVar("dpi_statement_tally", default=None)


def begin_tally() -> StatementTally:
    """Start counting for the current context (one request) and return its tally."""
    tally = StatementTally()
    _current.set(tally)
    return tally


def install(engine: AsyncEngine | Engine) -> None:
    """Count every statement and transaction `engine` runs into the current tally, if any."""
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(target, "before_cursor_execute")
    def _statement(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        tally = _current.get()
        # SQLite's explicit BEGIN (engine.py) is how a transaction starts, not a statement of
        # the answer; PostgreSQL's BEGIN never reaches a cursor. Counting it would make the
        # two databases' figures incomparable.
        if tally is not None and not statement.startswith("BEGIN"):
            tally.statements += 1

    @event.listens_for(target, "begin")
    def _transaction(_conn: Any) -> None:
        tally = _current.get()
        if tally is not None:
            tally.transactions += 1
