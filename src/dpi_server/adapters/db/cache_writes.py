"""Noticing, in this process, that a transaction changed rows the hot-path cache is built from.

Other processes learn it from the generation counter the database triggers bump (migrations
0006 and 0015), within their polling interval. The process that made the change must drop its
copies at once, whoever made it: a use case, an operator command or a sandbox route added
later, through any repository. So instead of asking every writer to remember, the engine
watches the statements it sends: a write to a watched table marks the connection, and the
unit of work that commits it invalidates what the write touched (adapters/db/uow.py):
everything for clients, estates and the directory, only calendar answers for calendar data.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# What the cached principals, estates and directory rows are read from ("clients", the
# family the shared generation counter covers). A new token is not among them: only
# looked-up tokens are cached, and an unknown one is always looked up again.
CLIENTS = "clients"
WATCHED = frozenset(
    {"api_clients", "client_facilities", "facilities", "doctors", "doctor_facilities", "addresses"}
)
# What cached calendar answers (free slots) are computed from.
CALENDAR = "calendar"
CALENDAR_TABLES = frozenset(
    {
        "calendars",
        "work_periods",
        "calendar_breaks",
        "bookings",
        "address_services",
        "slot_holds",
    }
)
_WRITE = re.compile(r'(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_TOKEN_DELETE = re.compile(r'DELETE\s+FROM\s+"?access_tokens\b', re.IGNORECASE)
STALE_KEY = "dpi_cache_stale"


def cache_family(statement: str) -> str | None:
    """The cached family a statement changes rows of, if any."""
    text = statement.lstrip()
    if not text[:6].upper().startswith(("INSERT", "UPDATE", "DELETE")):
        return None
    match = _WRITE.match(text)
    if match is None:
        return None
    table = match[1].lower()
    if table in WATCHED or _TOKEN_DELETE.match(text) is not None:
        return CLIENTS
    return CALENDAR if table in CALENDAR_TABLES else None


def install(engine: AsyncEngine | Engine) -> None:
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(target, "before_cursor_execute")
    def _mark(
        conn: Connection, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        family = cache_family(statement)
        if family is not None:
            conn.info.setdefault(STALE_KEY, set()).add(family)


def take_mark(conn: Connection | None) -> frozenset[str]:
    """The families `conn` wrote rows of since the last call (and forget them)."""
    if conn is None:
        return frozenset()
    return frozenset(conn.info.pop(STALE_KEY, ()))
