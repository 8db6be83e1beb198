"""Engine creation for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dpi_server.adapters.private_files import private_dir, private_sqlite

# SQLite's synchronous levels dpi accepts. FULL (the default) fsyncs the WAL on every commit,
# so an acknowledged write survives a power loss; NORMAL only survives a process crash.
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_pragmas(
    dbapi_connection: Any, *, busy_timeout_ms: int, synchronous: str = "FULL"
) -> None:
    """Settings every SQLite connection of ours gets, whichever driver opened it."""
    # The driver's default (deferred BEGIN) lets two writers both read then fail on upgrade;
    # we start transactions ourselves (see UnitOfWork) to control that.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


def create_engine(url: str, *, echo: bool = False, synchronous: str = "FULL") -> AsyncEngine:
    """An async engine; SQLite files get WAL, a busy timeout, enforced foreign keys, the
    requested `synchronous` level, and owner-only permissions (directory 0700, files 0600)."""
    if is_sqlite(url):
        level = synchronous.upper()
        if level not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
        database = make_url(url).database
        if database and database != ":memory:":
            path = Path(database)
            # A directory we create is private; an existing one is the operator's choice
            # (`dpi serve` restricts its data directory itself).
            private_dir(path.parent, tighten_existing=False)
            private_sqlite(path)
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            pool_size=8,
            max_overflow=8,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            sqlite_pragmas(dbapi_connection, busy_timeout_ms=30000, synchronous=level)

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # No pre-ping: it costs a round trip on every checkout, i.e. on every unit of work. After a
    # server restart the first statement on a dead connection fails instead, and SQLAlchemy
    # then invalidates every pooled connection opened before it, so one request sees the error
    # rather than every request paying for the check.
    return create_async_engine(
        url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=False, pool_recycle=3600
    )
